// Fuzz target: a fuzzed rulebook evaluated on a small fixed data set.
//
// Rule text that compiles is scored on data built from its own schema
// (fuzz_data.hpp). Besides crashes, it checks three properties and traps when
// one fails: outcomes are identical for every thread count and chunk size,
// and for the same table read in place (Column::borrow), and explain() agrees
// with the batch result for every subject.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_data.hpp"
#include "gradus/gradus.hpp"

namespace {

bool same(const gradus::Outcomes& a, const gradus::Outcomes& b) {
  if (a.score != b.score || a.tier != b.tier || a.overrides != b.overrides || a.errors.size() != b.errors.size())
    return false;
  for (std::size_t i = 0; i < a.errors.size(); ++i)
    if (a.errors[i].subject != b.errors[i].subject || a.errors[i].message != b.errors[i].message) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gradus::Compilation c =
      gradus::compile_source(gradus::Source("fuzz.gradus", std::string(reinterpret_cast<const char*>(data), size)));
  if (!c.plan || !c.plan->categories.empty()) return 0;  // no score to evaluate, or categories with their own data
  const gradus::Plan& plan = *c.plan;
  const gradus::SubjectTable table = gradus::fuzz::sample_table(plan.schema);
  table.validate(plan.schema);

  gradus::EvalOptions one;
  one.as_of = 20'089;  // 2025-01-01
  const gradus::Outcomes out = gradus::evaluate(plan, table, one);
  gradus::EvalOptions many = one;
  many.threads = 2;
  many.chunk_size = 3;
  if (!same(out, gradus::evaluate(plan, table, many))) __builtin_trap();

  gradus::SubjectTable borrowed = table;
  auto borrow = [](const gradus::Column& c) { return gradus::Column::borrow(c.data(), c.size(), {}, nullptr); };
  for (std::size_t k = 0; k < table.subject_columns.size(); ++k) borrowed.subject_columns[k] = borrow(table.subject_columns[k]);
  for (std::size_t k = 0; k < table.record_columns.size(); ++k) borrowed.record_columns[k] = borrow(table.record_columns[k]);
  borrowed.record_kind = borrow(table.record_kind);
  if (!same(out, gradus::evaluate(plan, borrowed, many))) __builtin_trap();

  for (std::size_t s = 0; s < table.subject_count(); ++s) {
    const gradus::Explanation e = gradus::explain(plan, table, s, one);
    const bool failed = out.tier[s] < 0;
    if (e.failed != failed) __builtin_trap();
    if (!failed && (e.score != out.score[s] || e.tier != plan.tiers[static_cast<std::size_t>(out.tier[s])].name))
      __builtin_trap();
    (void)e.to_text();
    (void)e.to_json();
  }

  std::ostringstream csv, jsonl;
  gradus::write_outcomes(csv, plan, table, out, gradus::OutputFormat::csv);
  gradus::write_outcomes(jsonl, plan, table, out, gradus::OutputFormat::jsonl);
  (void)gradus::format_summary(gradus::summarize(plan, table, out));
  return 0;
}
