// Penalty decisions and the static proportionality proof (rules/PENALTIES.md).
//
// decide(): for each breach, the discretion level, the measures with their
// amount ranges, the escalations its party's history triggers, and the legal
// basis of each, computed exactly (rational arithmetic, rounded once to 6
// decimals). prove(): checks over the whole input space that every penalty
// rule is monotone in its ordered inputs, that levels and declared
// proportions hold, that amounts stay within their caps and that no measure
// is imposed twice; each failure is a diagnostic with a counterexample.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradus/check/checker.hpp"
#include "gradus/core/diagnostic.hpp"

namespace gradus {

/// Breaches in columns. Inputs follow Schema::breach_fields, in the runtime
/// representation of schema.hpp.
struct BreachTable {
  std::vector<std::string> ids;
  std::vector<std::string> parties;
  std::vector<std::int32_t> dates;                 // days since 1970-01-01
  std::vector<std::int32_t> penalties;             // index into ast::Rulebook::penalties
  std::vector<std::vector<std::int64_t>> inputs;   // one column per breach field
  std::vector<std::uint32_t> lines;                // source line of each breach (0 = not from a file)

  std::size_t size() const { return ids.size(); }
  /// Throws UsageError when columns do not fit `checked` (counts, lengths, codes).
  void validate(const CheckedRulebook& checked) const;
};

/// One measure of a decision.
struct ImposedMeasure {
  std::int32_t sanction = -1;  // index into CheckedPenalties::sanctions
  bool has_amount = false;
  std::int64_t low = 0, high = 0;  // the range after discretion (unit's runtime representation)
  std::int64_t statutory_low = 0, statutory_high = 0;  // the range the rule states
  bool escalation = false;
  std::vector<std::int32_t> items;  // the impose/escalate items that produced it
};

struct Decision {
  std::int32_t level = -1;          // code of the scale `level`; -1 when the breach failed
  std::int32_t level_item = -1;     // the `level` item that decided it, -1 for the default
  std::vector<ImposedMeasure> measures;  // in catalogue order
  std::string error;                // non-empty when the breach could not be decided
};

struct DecideOptions {
  int threads = 0;  // 0: hardware concurrency
};

/// Decides every breach. Breaches of one party are decided in date order
/// (then input order) so that each sees the decisions before it; parties are
/// independent, so results do not depend on the thread count.
std::vector<Decision> decide(const CheckedRulebook& checked, const BreachTable& breaches,
                             const DecideOptions& options = {});

/// One line per measure: `fine 5000 to 50000 yuan (罚款) basis: ...`, the
/// level and what decided it, escalations and their history.
std::string explain_decision(const CheckedRulebook& checked, const BreachTable& breaches, std::size_t row,
                             const Decision& decision);

/// `fine 5000..50000; warning; tender_ban 12..24 months` (escalations marked `!`).
std::string format_measures(const CheckedRulebook& checked, const Decision& decision);

/// The legal basis of a measure imposed under penalty rule `penalty`: the
/// basis of each item that produced it (the rule's own when the item states
/// none), each once, `; `-separated.
std::string measure_basis(const CheckedRulebook& checked, std::int32_t penalty, const ImposedMeasure& measure);

/// `yuan`, `days` or `months`: the unit of an amount of a measure with that unit.
const char* unit_name(TypeKind unit);

/// The result of the proportionality proof.
struct ProofSummary {
  std::size_t rules = 0;   // penalty rules examined
  std::size_t cases = 0;   // input regions the proof enumerated
  bool proved = false;     // no diagnostic
};

/// Proves the properties of rules/PENALTIES.md for every penalty rule of
/// `checked`, adding an E07xx diagnostic with a counterexample for each
/// failure. A rulebook without penalty rules proves trivially.
ProofSummary prove(const CheckedRulebook& checked, Diagnostics& diagnostics);

}  // namespace gradus
