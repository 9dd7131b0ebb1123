// gradus: credit-graded, category-based supervision rules.
//
//   gradus::Engine engine = gradus::Engine::from_file("rules/w1.gradus");   // parse + check + compile
//   gradus::SubjectTable data = gradus::load_csv(engine.plan().schema, "subjects.csv", "records.csv", {});
//   gradus::Outcomes out = gradus::evaluate(engine.plan(), data, {.as_of = as_of_days, .threads = 2});
//
// Umbrella header: includes every stage.
#pragma once

#include <memory>
#include <string>

#include "gradus/check/checker.hpp"
#include "gradus/check/schema.hpp"
#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/core/diagnostic.hpp"
#include "gradus/core/error.hpp"
#include "gradus/core/source.hpp"
#include "gradus/eval/evaluator.hpp"
#include "gradus/eval/suite.hpp"
#include "gradus/eval/subject_table.hpp"
#include "gradus/io/csv.hpp"
#include "gradus/io/writer.hpp"
#include "gradus/penalty/penalty.hpp"
#include "gradus/plan/compiler.hpp"
#include "gradus/plan/plan.hpp"
#include "gradus/syntax/parser.hpp"

namespace gradus {

/// The result of running the front end (parse, check, compile) over one rulebook.
struct Compilation {
  std::shared_ptr<const Source> source;
  Diagnostics diagnostics;          // parse and check diagnostics, sorted by position
  std::shared_ptr<const Plan> plan; // null when there are errors (here or in a category) or the rulebook has no score
  std::shared_ptr<const ast::Rulebook> rulebook;  // the AST (null when it did not parse)
  std::shared_ptr<const CheckedRulebook> checked; // null when there are errors (here or in a category)
  ProofSummary proof;               // the proportionality proof of its penalty rules
  /// A combination rulebook's categories, each compiled from its file (the
  /// path relative to this rulebook's folder) as its variant; their plans
  /// are linked into plan->categories.
  std::vector<Compilation> categories;
  bool ok() const { return checked != nullptr; }
  /// Every diagnostic rendered as the CLI prints it, the categories' after this rulebook's.
  std::string render() const;
};

/// Parses, checks and compiles rule text (as options.variant, when given).
/// Never throws for bad rule text; a category file that cannot be read is a
/// diagnostic too.
Compilation compile_source(Source source, const CheckOptions& options = {});
/// The same for a file; throws IoError when the file cannot be read.
Compilation compile_file(const std::string& path, const CheckOptions& options = {});

}  // namespace gradus
