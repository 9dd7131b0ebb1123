// Checking: ast::Rulebook -> CheckedRulebook.
//
// Resolves every name, types every expression, checks tables, tier ladders,
// score groups, overrides and supervision, and orders derived values by
// their dependencies (a cycle is an error that names its path). The checker
// annotates the AST through side tables keyed by Expr::id; it never rewrites
// it. Mistakes are Diagnostics, never exceptions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradus/check/schema.hpp"
#include "gradus/core/diagnostic.hpp"
#include "gradus/syntax/ast.hpp"

namespace gradus {

/// What a name expression refers to.
struct Binding {
  enum class Kind : std::uint8_t {
    none,           // unresolved
    subject_field,  // index into Schema::subject_fields
    record_field,   // index into Schema::record_fields
    key,            // the subject id (not usable in arithmetic)
    let,            // index into ast::Rulebook::lets
    constant,       // index into ast::Rulebook::consts
    member,         // enum member: enum_index + code
    kind,           // the record kind field
    as_of,          // the evaluation date
    table,          // index into ast::Rulebook::tables (lookup/band name)
    function,       // builtin function (call)
    input,          // a breach input: index into Schema::breach_fields
    define,         // a penalty rule's `define`: index of the item; enum_index: the penalty
    level,          // the discretion level decided for the breach
    breach_date,    // the breach's date
    score,          // the subject's final score (tier requirements and overrides only)
  } kind = Kind::none;
  std::int32_t index = -1;  // meaning depends on kind; member: the code
  std::int32_t enum_index = -1;  // member only
};

/// A measure of the penalty catalogue (rules/PENALTIES.md): built in, or a `sanction`.
struct SanctionDef {
  std::string name, label;
  std::int64_t rank = 0;
  TypeKind unit = TypeKind::error;  // money, days or period; error: the measure has no amount
  std::optional<std::int64_t> cap;  // runtime representation of the unit (period: months)
  std::string basis;
  Span span;                        // empty for the built-in catalogue
};

/// How a discretion level narrows a range [LOW, HIGH]: ratios in millionths.
struct DiscretionDef {
  std::int64_t low = 0, high = 0;
  bool of_minimum = false;  // [low x LOW, high x LOW] rather than LOW + ratio x (HIGH - LOW)
};

/// The discretion levels, lowest first (the built-in scale `level`).
inline constexpr const char* kLevels[] = {"none", "mitigated", "lighter", "general", "heavier"};
inline constexpr const char* kLevelLabels[] = {"不予处罚", "减轻", "从轻", "一般", "从重"};
inline constexpr std::int32_t kLevelGeneral = 3;

/// The penalty side of a checked rulebook.
struct CheckedPenalties {
  std::vector<SanctionDef> sanctions;                // the built-in catalogue, then the rulebook's
  std::int32_t level_enum = -1;                      // Schema::enums index of the scale `level`
  std::vector<DiscretionDef> discretion;             // by level code
  std::vector<std::string> basis;                    // by penalty: its basis text
  std::vector<std::vector<std::int32_t>> item_ref;   // by penalty and item: sanction (impose/escalate), level
                                                     // code (level) or -1
  std::vector<std::vector<std::string>> item_basis;  // by penalty and item
  std::vector<std::vector<std::int32_t>> chains;     // proportion chains, as penalty indices
};

/// The checked rulebook: the AST plus side tables. Holds a pointer to the
/// AST it annotates; the AST must outlive it.
struct CheckedRulebook {
  const ast::Rulebook* ast = nullptr;
  Schema schema;
  std::vector<Type> types;                 // by Expr::id (index 0 unused)
  std::vector<Binding> bindings;           // by Expr::id, for name, lookup, call
  std::vector<std::int32_t> let_order;     // lets in dependency order (Boost.Graph topological sort)
  std::vector<std::int32_t> const_order;   // consts in dependency order
  std::vector<std::int64_t> const_values;  // folded value of each const (runtime representation)
  std::vector<Type> const_types;
  std::vector<Type> let_types;
  std::vector<Type> table_key_types, table_value_types;
  std::vector<std::int32_t> table_enum;    // key enum of each lookup table, or -1 for band tables
  CheckedPenalties penalties;              // empty unless the rulebook has penalty rules
  std::int32_t variant = -1;               // index into ast::Rulebook::variants of the selected variant, or -1
};

/// What to check the rulebook as.
struct CheckOptions {
  std::string variant;  // the variant whose constant values apply; empty: the values as declared
};

struct CheckResult {
  std::unique_ptr<CheckedRulebook> checked;  // null when there are errors
  Diagnostics diagnostics;
  bool ok() const { return checked != nullptr; }
};

CheckResult check(const ast::Rulebook& rulebook, const CheckOptions& options = {});

}  // namespace gradus
