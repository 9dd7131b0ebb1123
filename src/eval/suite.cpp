// Combination rulebooks: categories first, then the combination over their outcomes.
#include "gradus/eval/suite.hpp"

#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "gradus/core/error.hpp"
#include "../core/text.hpp"

namespace gradus {

namespace {

/// The message of each failed subject of an evaluation, by subject.
std::unordered_map<std::size_t, const std::string*> failures(const Outcomes& o) {
  std::unordered_map<std::size_t, const std::string*> out;
  for (const auto& e : o.errors) out.emplace(e.subject, &e.message);
  return out;
}

}  // namespace

SuiteOutcomes evaluate_suite(const Plan& plan, const SubjectTable& subjects,
                             const std::vector<const SubjectTable*>& tables, const EvalOptions& options) {
  const auto& cats = plan.categories;
  if (cats.empty()) throw UsageError("evaluate_suite: the rulebook has no categories");
  if (tables.size() != cats.size())
    throw UsageError(fmt::format("evaluate_suite: {} tables for {} categories", tables.size(), cats.size()));
  for (const auto& c : cats) {
    if (!c.plan) throw UsageError(fmt::format("evaluate_suite: category '{}' is not compiled", c.name));
    if (plan.category_tier_field >= 0 && c.tier_code.size() != c.plan->tiers.size())
      throw UsageError(fmt::format("evaluate_suite: category '{}' has no place for its tiers", c.name));
  }
  const std::size_t n = subjects.subject_count();
  std::unordered_map<std::string, std::size_t> position;
  position.reserve(n);
  for (std::size_t i = 0; i < n; ++i) position.emplace(subjects.id(i), i);

  SuiteOutcomes so;
  so.categories.resize(cats.size());
  so.index.assign(cats.size(), std::vector<std::int64_t>(n, -1));
  for (std::size_t k = 0; k < cats.size(); ++k) {
    if (!tables[k]) throw UsageError(fmt::format("evaluate_suite: no table for category '{}'", cats[k].name));
    const SubjectTable& t = *tables[k];
    for (std::size_t j = 0; j < t.subject_count(); ++j) {
      auto it = position.find(t.id(j));
      if (it == position.end())
        throw DataError(fmt::format("category '{}': subject '{}' is not among the subjects of the combination",
                                    cats[k].name, t.id(j)));
      so.index[k][it->second] = static_cast<std::int64_t>(j);
    }
    so.categories[k] = evaluate(*cats[k].plan, t, options);
  }

  // The combination's input: its subjects, and a record per category outcome.
  SubjectTable& c = so.combined;
  c.ids = subjects.ids;
  c.id_numbers = subjects.id_numbers;
  c.subject_columns = subjects.subject_columns;
  c.record_columns.assign(plan.schema.record_fields.size(), {});
  c.record_offsets.assign(n + 1, 0);
  std::vector<std::unordered_map<std::size_t, const std::string*>> failed;
  for (const auto& o : so.categories) failed.push_back(failures(o));
  std::vector<Outcomes::SubjectError> category_errors;  // ascending by subject
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < cats.size(); ++k) {
      const std::int64_t j = so.index[k][i];
      if (j < 0) continue;
      const Outcomes& o = so.categories[k];
      const auto ju = static_cast<std::size_t>(j);
      if (o.tier[ju] < 0) {
        if (category_errors.empty() || category_errors.back().subject != i) {
          auto f = failed[k].find(ju);
          category_errors.push_back(
              {i, fmt::format("category '{}': {}", cats[k].name, f != failed[k].end() ? *f->second : "evaluation failed")});
        }
        continue;
      }
      c.record_kind.values().push_back(cats[k].kind);
      c.record_line.push_back(0);
      for (std::size_t f = 0; f < c.record_columns.size(); ++f) {
        const auto fi = static_cast<std::int32_t>(f);
        c.record_columns[f].values().push_back(fi == plan.category_tier_field    ? cats[k].tier_code[static_cast<std::size_t>(o.tier[ju])]
                                      : fi == plan.category_score_field ? o.score[ju]
                                                                        : 0);
      }
    }
    c.record_offsets[i + 1] = static_cast<std::int64_t>(c.record_kind.size());
  }

  so.overall = evaluate(plan, c, options);
  // a subject that failed in a category fails here too, with that message
  if (!category_errors.empty()) {
    std::vector<Outcomes::SubjectError> merged;
    auto& own = so.overall.errors;
    std::size_t a = 0;
    for (auto& e : category_errors) {
      while (a < own.size() && own[a].subject < e.subject) merged.push_back(std::move(own[a++]));
      if (a < own.size() && own[a].subject == e.subject) ++a;
      so.overall.tier[e.subject] = -1;
      so.overall.score[e.subject] = 0;
      merged.push_back(std::move(e));
    }
    while (a < own.size()) merged.push_back(std::move(own[a++]));
    own = std::move(merged);
  }
  return so;
}

SuiteExplanation explain_suite(const Plan& plan, const SuiteOutcomes& so, const std::vector<const SubjectTable*>& tables,
                               std::size_t subject, const EvalOptions& options) {
  if (tables.size() != plan.categories.size() || so.index.size() != plan.categories.size())
    throw UsageError("explain_suite: the tables or outcomes do not fit the categories");
  SuiteExplanation x;
  x.overall = explain(plan, so.combined, subject, options);
  if (so.overall.tier[subject] < 0 && !x.overall.failed) {
    x.overall = Explanation{};
    x.overall.subject = so.combined.id(subject);
    x.overall.failed = true;
    for (const auto& e : so.overall.errors)
      if (e.subject == subject) x.overall.error = e.message;
  }
  for (std::size_t k = 0; k < plan.categories.size(); ++k) {
    const std::int64_t j = so.index[k][subject];
    if (j < 0) continue;
    x.categories.emplace_back(plan.categories[k].name,
                              explain(*plan.categories[k].plan, *tables[k], static_cast<std::size_t>(j), options));
  }
  return x;
}

std::string SuiteExplanation::to_text() const {
  std::string o = overall.to_text();
  for (const auto& [name, x] : categories) {
    o += fmt::format("  category {}:\n", name);
    const std::string own = x.to_text();
    std::string_view text = own;
    while (!text.empty()) {  // indented under the category
      std::size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      o += fmt::format("    {}\n", line);
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    }
  }
  return o;
}

std::string SuiteExplanation::to_json() const {
  std::string o = "{\"overall\":" + overall.to_json() + ",\"categories\":{";
  for (std::size_t i = 0; i < categories.size(); ++i)
    o += fmt::format("{}{}:{}", i ? "," : "", text::json(categories[i].first), categories[i].second.to_json());
  return o + "}}";
}

}  // namespace gradus
