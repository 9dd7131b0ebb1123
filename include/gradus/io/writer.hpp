// Writing outcomes (CSV or JSON Lines) and the summary.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "gradus/eval/evaluator.hpp"
#include "gradus/penalty/penalty.hpp"
#include "gradus/eval/suite.hpp"

namespace gradus {

enum class OutputFormat { csv, jsonl };

/// A column after `error` (a combination's tier and score per category).
struct ExtraColumn {
  std::string name;
  /// Subject i's value as text; nullopt for an empty cell (JSON null).
  std::function<std::optional<std::string>(std::size_t)> value;
  bool number = false;  // JSON: the text is a number, written unquoted
};

/// One row per subject in table order. CSV header:
///   id,score,tier,sampling,interval_days,incentives,measures,overrides,error
/// with `checks_per_year` after `interval_days` when some tier states it, and
/// the extra columns at the end. Lists (incentives, measures, overrides) are
/// joined with ';'. Scores are printed exactly (shortest decimal). A band
/// (a range of sampling ratios, checks per year) prints as "[0.05, 0.2]". A
/// failed subject has an empty score and tier and its message in `error`.
void write_outcomes(std::ostream& out, const Plan& plan, const SubjectTable& table,
                    const Outcomes& outcomes, OutputFormat format, const std::vector<ExtraColumn>& extra = {});

/// A combination's outcomes: its rows, then `NAME.tier` and `NAME.score` for
/// each category NAME (empty where the subject is not evaluated in it or its
/// evaluation failed there).
void write_suite_outcomes(std::ostream& out, const Plan& combination, const SuiteOutcomes& outcomes,
                          OutputFormat format);

/// One row per breach in input order. CSV header:
///   id,party,date,penalty,level,measures,error
/// `measures` as format_measures() writes them. JSON Lines give each measure
/// as an object with its range, statutory range, unit, escalation flag and basis.
void write_decisions(std::ostream& out, const CheckedRulebook& checked, const BreachTable& breaches,
                     const std::vector<Decision>& decisions, OutputFormat format);

/// Subjects per category and tier, plus the exact score sum.
struct Summary {
  std::string category_field;                      // subject field grouped by; empty = none
  std::vector<std::string> categories;             // sorted
  std::vector<std::string> tiers;                  // best first
  std::vector<std::vector<std::size_t>> counts;    // [category][tier]
  std::vector<std::size_t> tier_totals;            // per tier
  std::size_t failed = 0;                          // subjects whose evaluation failed
  std::size_t subjects = 0;
  std::int64_t score_sum = 0;                      // scaled, exact (subjects that did not fail)
  bool score_sum_overflow = false;
};

Summary summarize(const Plan& plan, const SubjectTable& table, const Outcomes& outcomes);
/// Text table, then `score_sum=...` with 6 decimals.
std::string format_summary(const Summary& summary);

}  // namespace gradus
