// The catalogue of diagnostic codes. Codes are stable: a code is never
// reused for another meaning. rules/README.md lists each with an example.
//
//   E00xx  source text (encoding)
//   E01xx  syntax
//   E02xx  names
//   E03xx  types
//   E04xx  structure: tables, tiers, score, overrides, supervision
//   E05xx  dependencies
//   E06xx  schemes: allowed values, tiers by override, score in conditions,
//          variants, combination rulebooks and their categories
//   E07xx  penalties and their proportionality proof (rules/PENALTIES.md)
//   W0xxx  warnings (W06xx: the schemes' warnings)
#pragma once

#include <string_view>

namespace gradus {

#define GRADUS_CODES(X)                                                               \
  X(E0001, "invalid UTF-8 in rule text")                                              \
  X(E0002, "rule text too large")                                                     \
  X(E0101, "syntax error")                                                            \
  X(E0102, "malformed literal")                                                       \
  X(E0103, "unterminated string")                                                     \
  X(E0104, "expression nested too deeply")                                            \
  X(E0105, "missing rulebook header")                                                 \
  X(E0106, "rulebook over a size limit")                                              \
  X(E0201, "duplicate definition")                                                    \
  X(E0202, "unknown type")                                                            \
  X(E0203, "unknown name")                                                            \
  X(E0204, "unknown record kind")                                                     \
  X(E0205, "unknown tier")                                                            \
  X(E0206, "unknown measure or incentive")                                            \
  X(E0207, "field not available for these record kinds")                              \
  X(E0208, "record field used outside an aggregation")                                \
  X(E0209, "unknown function")                                                        \
  X(E0210, "unknown law")                                                             \
  X(E0301, "type mismatch")                                                           \
  X(E0302, "operands of different units")                                             \
  X(E0303, "wrong number of arguments")                                               \
  X(E0304, "condition is not a bool")                                                 \
  X(E0305, "value out of range for its type")                                         \
  X(E0306, "ordering comparison on an unordered type")                                \
  X(E0307, "constant expression required")                                            \
  X(E0308, "division by constant zero")                                               \
  X(E0401, "table does not cover its key domain")                                     \
  X(E0402, "table rows overlap")                                                      \
  X(E0403, "tier bands out of order, overlapping or leaving a gap")                   \
  X(E0404, "schema incomplete")                                                       \
  X(E0405, "missing section")                                                         \
  X(E0406, "score group mixes additions and deductions")                              \
  X(E0407, "lowest tier has a requirement")                                           \
  X(E0408, "supervision missing for a tier")                                          \
  X(E0409, "min or max over records needs an 'otherwise' value")                      \
  X(E0410, "empty band")                                                              \
  X(E0411, "duplicate section")                                                       \
  X(E0412, "too many overrides")                                                      \
  X(E0413, "aggregations cannot nest")                                                \
  X(E0501, "dependency cycle")                                                        \
  X(E0701, "measure not in the catalogue")                                            \
  X(E0702, "order declared on an unordered input")                                     \
  X(E0703, "amount does not fit the measure")                                          \
  X(E0704, "one measure imposed twice for one breach")                                 \
  X(E0705, "unknown discretion level")                                                 \
  X(E0706, "unknown penalty rule")                                                     \
  X(E0707, "breach input outside a penalty rule")                                      \
  X(E0708, "breach input type too large")                                              \
  X(E0710, "penalty not proportionate to the seriousness of the breach")               \
  X(E0711, "discretion levels out of order")                                           \
  X(E0712, "penalty rules out of their declared proportion")                           \
  X(E0713, "amount outside its legal bounds")                                          \
  X(E0714, "penalty rule outside what the proportionality prover decides")             \
  X(W0001, "unused definition")                                                       \
  X(W0002, "override can never change the tier")                                      \
  X(W0003, "table row can never match")                                               \
  X(E0601, "allowed values do not fit the field")                                     \
  X(E0602, "tier without a band used as a limit")                                     \
  X(E0603, "score used outside tier requirements and overrides")                      \
  X(E0604, "unknown variant")                                                         \
  X(E0605, "a variant sets something that is not a constant")                         \
  X(E0606, "records of a combination rulebook do not fit its categories")             \
  X(E0607, "category rulebook does not fit the combination")                          \
  X(E0608, "too many measures and incentives with a condition")                       \
  X(W0601, "tier without a band that no override gives")

enum class Code {
#define GRADUS_CODE_ENUM(name, text) name,
  GRADUS_CODES(GRADUS_CODE_ENUM)
#undef GRADUS_CODE_ENUM
};

/// "E0203"
std::string_view code_name(Code c);
/// One-line description from the catalogue.
std::string_view code_summary(Code c);

}  // namespace gradus
