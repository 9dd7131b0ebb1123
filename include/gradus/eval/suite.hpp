// Evaluating a combination rulebook: every category over its own data, then
// the combination over the categories' outcomes.
//
// A combination rulebook names its categories (other rulebooks, see
// Plan::categories). Its records are made here, not read: one per subject
// and category the subject is evaluated in, of the kind named after the
// category, holding the category's tier (as a member of the combination's
// `tier` type) and score. So the comprehensive result is an ordinary
// evaluation, and its explanation names the categories that fed it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gradus/eval/evaluator.hpp"

namespace gradus {

struct SuiteOutcomes {
  SubjectTable combined;               // the combination's input: its subjects, one record per category outcome
  Outcomes overall;                    // the comprehensive evaluation, per subject of `combined`
  std::vector<Outcomes> categories;    // per category (Plan::categories order), over that category's table
  /// [category][subject]: the subject's index in the category's table, -1 when it is not evaluated there.
  std::vector<std::vector<std::int64_t>> index;
};

/// Evaluates a combination plan whose categories are compiled (compile_file
/// does that). `subjects` holds the combination's own subjects (records are
/// not read: they are made from the outcomes); tables[k] is category k's
/// data. A subject may be missing from a category's table: it is not
/// evaluated in that category. A subject whose evaluation fails in a category
/// fails in the combination too, with that category's message. Throws
/// DataError when a category's table names a subject that `subjects` lacks,
/// UsageError when the plan or the tables do not fit.
SuiteOutcomes evaluate_suite(const Plan& combination, const SubjectTable& subjects,
                             const std::vector<const SubjectTable*>& tables, const EvalOptions& options);

/// Why one subject got its comprehensive result: the combination's
/// explanation (its records are the categories, the deciding ones marked)
/// and the explanation of each category the subject is evaluated in.
struct SuiteExplanation {
  Explanation overall;
  std::vector<std::pair<std::string, Explanation>> categories;

  std::string to_text() const;
  /// {"overall":{...},"categories":{"name":{...},...}} (no trailing newline).
  std::string to_json() const;
};

SuiteExplanation explain_suite(const Plan& combination, const SuiteOutcomes& outcomes,
                               const std::vector<const SubjectTable*>& tables, std::size_t subject,
                               const EvalOptions& options);

}  // namespace gradus
