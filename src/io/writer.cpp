// Outcome writers (CSV, JSON Lines) and the summary.
//
// Rows are formatted by hand into one buffer that is flushed to the stream in
// large blocks. Everything that depends only on the tier (its name and
// supervision) is formatted once per tier.
#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/core/error.hpp"
#include "gradus/io/writer.hpp"

#include "../core/text.hpp"

namespace gradus {

namespace {

constexpr std::size_t kFlushAt = std::size_t{1} << 20;

/// Appends the digits of v.
inline void put_uint(std::string& out, std::uint64_t v) {
  char buf[20];
  char* e = buf + sizeof buf;
  char* p = e;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<std::size_t>(e - p));
}

inline void put_int(std::string& out, std::int64_t v) {
  if (v < 0) {
    out += '-';
    put_uint(out, 0 - static_cast<std::uint64_t>(v));
  } else {
    put_uint(out, static_cast<std::uint64_t>(v));
  }
}

/// decimal::format, without allocating: shortest exact text of a scaled value.
inline void put_decimal(std::string& out, std::int64_t v) {
  std::uint64_t mag = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  if (v < 0) out += '-';
  const auto scale = static_cast<std::uint64_t>(decimal::kScale);
  put_uint(out, mag / scale);
  std::uint64_t frac = mag % scale;
  if (frac == 0) return;
  int digits = decimal::kDigits;
  while (frac % 10 == 0) frac /= 10, --digits;
  char buf[decimal::kDigits];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out += '.';
  out.append(buf, static_cast<std::size_t>(digits));
}

void put_csv(std::string& out, std::string_view s) { text::append_csv(out, s); }
void put_json(std::string& out, std::string_view s) { text::append_json(out, s); }

std::string join_csv(const std::vector<std::string>& items) {
  std::string joined;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) joined += ';';
    joined += items[i];
  }
  std::string out;
  put_csv(out, joined);
  return out;
}

std::string json_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    put_json(out, items[i]);
  }
  out += ']';
  return out;
}

void check_shapes(const Plan& plan, const SubjectTable& table, const Outcomes& outcomes) {
  const std::size_t n = table.subject_count();
  if (outcomes.score.size() != n || outcomes.tier.size() != n)
    throw UsageError(fmt::format("outcomes hold {} scores and {} tiers for {} subjects", outcomes.score.size(),
                                 outcomes.tier.size(), n));
  if (!outcomes.overrides.empty() && outcomes.overrides.size() != n)
    throw UsageError(fmt::format("outcomes hold {} override masks for {} subjects", outcomes.overrides.size(), n));
  for (std::size_t i = 0; i < n; ++i)
    if (outcomes.tier[i] >= static_cast<std::int32_t>(plan.tiers.size()))
      throw UsageError(fmt::format("subject {} has tier {}, the plan has {} tiers", i, outcomes.tier[i],
                                   plan.tiers.size()));
  for (const auto& e : outcomes.errors)
    if (e.subject >= n) throw UsageError(fmt::format("outcome error for subject {} of {}", e.subject, n));
  if (!outcomes.conditionals.empty() && outcomes.conditionals.size() != n)
    throw UsageError(fmt::format("outcomes hold {} condition masks for {} subjects", outcomes.conditionals.size(), n));
}

/// Walks Outcomes::errors (ascending by subject) alongside the subjects.
class ErrorCursor {
 public:
  explicit ErrorCursor(const Outcomes& o) : errors_(o.errors) {}
  /// The message of subject i's failure, or null.
  const std::string* at(std::size_t i) {
    while (next_ < errors_.size() && errors_[next_].subject < i) ++next_;
    if (next_ < errors_.size() && errors_[next_].subject == i) return &errors_[next_].message;
    return nullptr;
  }

 private:
  const std::vector<Outcomes::SubjectError>& errors_;
  std::size_t next_ = 0;
};

/// Names of the overrides in a mask, formatted once per distinct mask in a row of masks.
class OverrideNames {
 public:
  OverrideNames(const Plan& plan, bool json) : plan_(plan), json_(json) { last_ = render(0); }
  const std::string& get(std::uint64_t mask) {
    if (mask != mask_) {
      mask_ = mask;
      last_ = render(mask);
    }
    return last_;
  }

 private:
  std::string render(std::uint64_t mask) const {
    std::vector<std::string> names;
    for (std::size_t k = 0; k < plan_.overrides.size() && k < 64; ++k)
      if ((mask >> k) & 1) names.push_back(plan_.overrides[k].name);
    return json_ ? json_array(names) : join_csv(names);
  }
  const Plan& plan_;
  bool json_;
  std::uint64_t mask_ = 0;
  std::string last_;
};

}  // namespace

void write_outcomes(std::ostream& out, const Plan& plan, const SubjectTable& table, const Outcomes& outcomes,
                    OutputFormat format, const std::vector<ExtraColumn>& extra) {
  check_shapes(plan, table, outcomes);
  const bool json = format == OutputFormat::jsonl;
  // the checks_per_year column is there when some tier states it
  const bool checks = std::any_of(plan.tiers.begin(), plan.tiers.end(),
                                  [](const PlanTier& t) { return t.supervision.has_checks; });

  // Everything from the tier to the measures, per tier.
  auto supervision_text = [&](const PlanTier& t, const PlanSupervision& sv) {
    std::string s;
    if (json) {
      s += "\"tier\":";
      put_json(s, t.name);
      s += ",\"sampling\":";
      if (sv.has_sampling) put_decimal(s, sv.sampling);
      else if (sv.has_sampling_band) put_json(s, format_band(sv.sampling_band));
      else s += "null";
      s += ",\"interval_days\":";
      if (sv.has_interval) put_int(s, sv.interval_days);
      else s += "null";
      if (checks) {
        s += ",\"checks_per_year\":";
        if (sv.has_checks) put_json(s, format_band(sv.checks));
        else s += "null";
      }
      s += ",\"incentives\":" + json_array(sv.incentives) + ",\"measures\":" + json_array(sv.measures);
    } else {
      put_csv(s, t.name);
      s += ',';
      if (sv.has_sampling) put_decimal(s, sv.sampling);
      else if (sv.has_sampling_band) put_csv(s, format_band(sv.sampling_band));
      s += ',';
      if (sv.has_interval) put_int(s, sv.interval_days);
      if (checks) {
        s += ',';
        if (sv.has_checks) put_csv(s, format_band(sv.checks));
      }
      s += ',' + join_csv(sv.incentives) + ',' + join_csv(sv.measures);
    }
    return s;
  };
  std::vector<std::string> tier_text;
  for (const auto& t : plan.tiers) tier_text.push_back(supervision_text(t, t.supervision));
  // a subject's tier text with the measures whose condition held for it (`measure x when c`)
  std::string composed;
  auto conditional_text = [&](std::size_t i, std::int32_t tier) -> const std::string& {
    if (outcomes.conditionals.empty()) return tier_text[static_cast<std::size_t>(tier)];
    const PlanTier& t = plan.tiers[static_cast<std::size_t>(tier)];
    PlanSupervision sv = t.supervision;
    bool any = false;
    for (std::size_t k = 0; k < plan.conditionals.size() && k < 64; ++k) {
      const PlanConditional& c = plan.conditionals[k];
      if (c.tier != tier || !((outcomes.conditionals[i] >> k) & 1)) continue;
      (c.incentive ? sv.incentives : sv.measures).push_back(c.name);
      any = true;
    }
    if (!any) return tier_text[static_cast<std::size_t>(tier)];
    composed = supervision_text(t, sv);
    return composed;
  };
  // cells after `error`, for combination rulebooks
  auto put_extra = [&](std::string& b, std::size_t i) {
    for (const auto& x : extra) {
      std::optional<std::string> v = x.value(i);
      if (json) {
        b += ',';
        put_json(b, x.name);
        b += ':';
        if (!v) b += "null";
        else if (x.number) b += *v;
        else put_json(b, *v);
      } else {
        b += ',';
        if (v) put_csv(b, *v);
      }
    }
  };

  std::string buf;
  buf.reserve(kFlushAt + 4096);
  auto flush = [&] {
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.clear();
  };
  if (!json) {
    buf += checks ? "id,score,tier,sampling,interval_days,checks_per_year,incentives,measures,overrides,error"
                  : "id,score,tier,sampling,interval_days,incentives,measures,overrides,error";
    for (const auto& x : extra) {
      buf += ',';
      put_csv(buf, x.name);
    }
    buf += '\n';
  }

  static const std::string kFailed = "evaluation failed";  // a failed subject without a message
  ErrorCursor errors(outcomes);
  OverrideNames overrides(plan, json);
  const std::size_t n = table.subject_count();
  std::string number;  // a whole-number id, written out
  auto id = [&](std::size_t i) -> std::string_view {
    if (!table.ids.empty()) return table.ids[i];
    return number = table.id(i);
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::string* error = errors.at(i);
    const std::int32_t tier = outcomes.tier[i];
    const bool failed = error != nullptr || tier < 0;
    if (json) {
      buf += "{\"id\":";
      put_json(buf, id(i));
      if (failed) {
        buf += ",\"score\":null,\"tier\":null,\"sampling\":null,\"interval_days\":null,";
        if (checks) buf += "\"checks_per_year\":null,";
        buf += "\"incentives\":[],\"measures\":[],\"overrides\":[],\"error\":";
        put_json(buf, error ? *error : kFailed);
        put_extra(buf, i);
        buf += "}\n";
      } else {
        buf += ",\"score\":";
        put_decimal(buf, outcomes.score[i]);
        buf += ',';
        buf += conditional_text(i, tier);
        buf += ",\"overrides\":";
        buf += overrides.get(outcomes.overrides.empty() ? 0 : outcomes.overrides[i]);
        buf += ",\"error\":null";
        put_extra(buf, i);
        buf += "}\n";
      }
    } else {
      put_csv(buf, id(i));
      if (failed) {
        buf += checks ? ",,,,,,,,," : ",,,,,,,,";
        put_csv(buf, error ? *error : kFailed);
        put_extra(buf, i);
        buf += '\n';
      } else {
        buf += ',';
        put_decimal(buf, outcomes.score[i]);
        buf += ',';
        buf += conditional_text(i, tier);
        buf += ',';
        buf += overrides.get(outcomes.overrides.empty() ? 0 : outcomes.overrides[i]);
        buf += ',';
        put_extra(buf, i);
        buf += '\n';
      }
    }
    if (buf.size() >= kFlushAt) flush();
  }
  flush();
  out.flush();
  if (!out) throw IoError("cannot write the outcomes");
}

void write_suite_outcomes(std::ostream& out, const Plan& plan, const SuiteOutcomes& so, OutputFormat format) {
  if (so.categories.size() != plan.categories.size() || so.index.size() != plan.categories.size())
    throw UsageError("write_suite_outcomes: the outcomes do not fit the categories");
  std::vector<ExtraColumn> extra;
  for (std::size_t k = 0; k < plan.categories.size(); ++k) {
    const Plan& cp = *plan.categories[k].plan;
    const Outcomes& o = so.categories[k];
    const std::vector<std::int64_t>& index = so.index[k];
    auto evaluated = [&o, &index](std::size_t i) -> std::int64_t {
      const std::int64_t j = index[i];
      return j >= 0 && o.tier[static_cast<std::size_t>(j)] >= 0 ? j : -1;
    };
    extra.push_back({plan.categories[k].name + ".tier", [&cp, &o, evaluated](std::size_t i) -> std::optional<std::string> {
                       const std::int64_t j = evaluated(i);
                       if (j < 0) return std::nullopt;
                       return cp.tiers[static_cast<std::size_t>(o.tier[static_cast<std::size_t>(j)])].name;
                     }, false});
    extra.push_back({plan.categories[k].name + ".score", [&o, evaluated](std::size_t i) -> std::optional<std::string> {
                       const std::int64_t j = evaluated(i);
                       if (j < 0) return std::nullopt;
                       return decimal::format(o.score[static_cast<std::size_t>(j)]);
                     }, true});
  }
  write_outcomes(out, plan, so.combined, so.overall, format, extra);
}

Summary summarize(const Plan& plan, const SubjectTable& table, const Outcomes& outcomes) {
  check_shapes(plan, table, outcomes);
  Summary s;
  const std::size_t n = table.subject_count();
  const std::size_t nt = plan.tiers.size();
  for (const auto& t : plan.tiers) s.tiers.push_back(t.name);
  s.tier_totals.assign(nt, 0);
  s.subjects = n;

  const Schema& schema = plan.schema;
  const Column* column = nullptr;
  const FieldDef* field = nullptr;
  if (plan.summary_field >= 0) {
    const auto k = static_cast<std::size_t>(plan.summary_field);
    if (k >= schema.subject_fields.size() || k >= table.subject_columns.size())
      throw UsageError(fmt::format("summary field {} does not exist", plan.summary_field));
    field = &schema.subject_fields[k];
    column = &table.subject_columns[k];
    s.category_field = field->name;
  }

  // Counts by category value (a code for enums), then named and sorted.
  std::map<std::int64_t, std::vector<std::size_t>> by_value;
  std::vector<std::size_t>* row = nullptr;
  std::int64_t row_value = 0;
  decimal::int128 sum = 0;
  ErrorCursor errors(outcomes);
  for (std::size_t i = 0; i < n; ++i) {
    const bool failed = errors.at(i) != nullptr || outcomes.tier[i] < 0;
    if (column) {
      const std::int64_t v = (*column)[i];
      if (!row || v != row_value) {
        auto [it, fresh] = by_value.try_emplace(v);
        if (fresh) it->second.assign(nt, 0);
        row = &it->second;
        row_value = v;
      }
    }
    if (failed) {
      ++s.failed;
      continue;
    }
    const auto t = static_cast<std::size_t>(outcomes.tier[i]);
    ++s.tier_totals[t];
    if (row) ++(*row)[t];
    sum += outcomes.score[i];
  }
  if (sum > INT64_MAX || sum < INT64_MIN) {
    s.score_sum_overflow = true;
    s.score_sum = sum > 0 ? INT64_MAX : INT64_MIN;
  } else {
    s.score_sum = static_cast<std::int64_t>(sum);
  }

  if (field) {
    auto name_of = [&](std::int64_t v) -> std::string {
      switch (field->type.kind) {
        case TypeKind::enumeration: {
          const auto e = static_cast<std::size_t>(field->type.enum_index);
          if (e < schema.enums.size() && v >= 0 && static_cast<std::size_t>(v) < schema.enums[e].members.size())
            return schema.enums[e].members[static_cast<std::size_t>(v)];
          return fmt::format("#{}", v);
        }
        case TypeKind::boolean: return v ? "true" : "false";
        case TypeKind::date: return date::format(v);
        default: return decimal::format(v);
      }
    };
    std::vector<std::pair<std::string, std::vector<std::size_t>>> named;
    for (auto& [v, counts] : by_value) named.emplace_back(name_of(v), std::move(counts));
    std::sort(named.begin(), named.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [name, counts] : named) {
      s.categories.push_back(std::move(name));
      s.counts.push_back(std::move(counts));
    }
  }
  return s;
}

std::string format_summary(const Summary& s) {
  // Rows: the categories, then the totals; columns: the tiers, then the row total.
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head{s.category_field.empty() ? "category" : s.category_field};
  for (const auto& t : s.tiers) head.push_back(t);
  head.emplace_back("total");
  rows.push_back(head);
  auto add_row = [&](const std::string& name, const std::vector<std::size_t>& counts) {
    std::vector<std::string> r{name};
    std::size_t total = 0;
    for (std::size_t c : counts) {
      r.push_back(std::to_string(c));
      total += c;
    }
    r.push_back(std::to_string(total));
    rows.push_back(std::move(r));
  };
  for (std::size_t i = 0; i < s.categories.size(); ++i) add_row(s.categories[i], s.counts[i]);
  add_row("total", s.tier_totals);

  std::vector<std::size_t> width(head.size(), 0);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < r.size(); ++c) {
      if (c == 0) {
        out += r[c];
        out.append(width[c] - r[c].size(), ' ');
      } else {
        out.append(2 + width[c] - r[c].size(), ' ');
        out += r[c];
      }
    }
    out += '\n';
  }
  out += fmt::format("subjects={} failed={}\n", s.subjects, s.failed);
  out += "score_sum=";
  out += s.score_sum_overflow ? std::string("overflow") : decimal::format_fixed(s.score_sum, 6);
  out += '\n';
  return out;
}

void write_decisions(std::ostream& out, const CheckedRulebook& checked, const BreachTable& breaches,
                     const std::vector<Decision>& decisions, OutputFormat format) {
  using text::append_csv;
  using text::append_json;
  const auto& P = checked.penalties;
  std::string buf;
  if (format == OutputFormat::csv) buf += "id,party,date,penalty,level,measures,error\n";
  for (std::size_t i = 0; i < breaches.size(); ++i) {
    const Decision& d = decisions[i];
    const std::string& rule = checked.ast->penalties[breaches.penalties[i]].name.text;
    const char* level = d.level >= 0 ? kLevels[d.level] : "";
    if (format == OutputFormat::csv) {
      for (std::string_view f : {std::string_view(breaches.ids[i]), std::string_view(breaches.parties[i])}) {
        append_csv(buf, f);
        buf += ',';
      }
      buf += date::format(breaches.dates[i]);
      buf += ',';
      append_csv(buf, rule);
      buf += ',';
      buf += level;
      buf += ',';
      append_csv(buf, format_measures(checked, d));
      buf += ',';
      append_csv(buf, d.error);
      buf += '\n';
    } else {
      buf += "{\"id\":";
      append_json(buf, breaches.ids[i]);
      buf += ",\"party\":";
      append_json(buf, breaches.parties[i]);
      buf += fmt::format(",\"date\":\"{}\",\"penalty\":", date::format(breaches.dates[i]));
      append_json(buf, rule);
      buf += ",\"level\":";
      if (d.level >= 0) append_json(buf, level);
      else buf += "null";
      buf += ",\"measures\":[";
      for (std::size_t k = 0; k < d.measures.size(); ++k) {
        const ImposedMeasure& m = d.measures[k];
        const SanctionDef& def = P.sanctions[m.sanction];
        buf += k ? ",{\"measure\":" : "{\"measure\":";
        append_json(buf, def.name);
        buf += ",\"label\":";
        append_json(buf, def.label);
        if (m.has_amount) {
          auto num = [&](std::int64_t v) {
            return def.unit == TypeKind::period ? std::to_string(v) : decimal::format(v);
          };
          buf += fmt::format(",\"low\":\"{}\",\"high\":\"{}\",\"statutory_low\":\"{}\",\"statutory_high\":\"{}\","
                             "\"unit\":\"{}\"",
                             num(m.low), num(m.high), num(m.statutory_low), num(m.statutory_high), unit_name(def.unit));
        }
        buf += fmt::format(",\"escalation\":{}", m.escalation ? "true" : "false");
        buf += ",\"basis\":";
        append_json(buf, measure_basis(checked, breaches.penalties[i], m));
        buf += '}';
      }
      buf += "],\"error\":";
      if (d.error.empty()) buf += "null";
      else append_json(buf, d.error);
      buf += "}\n";
    }
    if (buf.size() > (1 << 16)) {
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

}  // namespace gradus
