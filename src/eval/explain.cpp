// Explanations: one subject evaluated alone, its registers read back.
#include <fmt/format.h>

#include "gradus/core/decimal.hpp"
#include "gradus/core/error.hpp"
#include "gradus/eval/evaluator.hpp"
#include "../core/text.hpp"
#include "runner.hpp"

namespace gradus {

namespace {

std::string where(const Plan& plan, Span span) {
  if (!plan.source) return {};
  Location loc = plan.source->location(span.begin);
  return fmt::format("{}:{}:{}", plan.source->name(), loc.line, loc.column);
}

/// The rule text of a span, on one line with runs of white space folded.
std::string quote(const Plan& plan, Span span) {
  if (!plan.source) return {};
  std::string out;
  bool space = false;
  for (char c : plan.source->slice(span)) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string json_string(std::string_view s) { return text::json(s); }

}  // namespace

Explanation explain(const Plan& plan, const SubjectTable& table, std::size_t subject, const EvalOptions& options) {
  table.validate(plan.schema, true);
  if (subject >= table.subject_count())
    throw UsageError(fmt::format("explain: subject index {} is out of range ({} subjects)", subject,
                                 table.subject_count()));
  detail::Runner run(plan, table, options.as_of);
  run.run(subject, 1);

  Explanation x;
  x.subject = table.id(subject);
  if (!run.errors().empty()) {
    x.failed = true;
    x.error = run.describe(run.errors().front());
    return x;
  }
  x.start = run.reg(plan.start_reg)[0];
  std::vector<std::int64_t> group_sum(plan.groups.size(), 0);
  for (const auto& c : plan.contributions) {
    Explanation::Contribution ec;
    ec.name = c.name;
    ec.rule = quote(plan, c.span);
    ec.at = where(plan, c.span);
    std::int64_t v = run.reg(c.reg)[0];
    ec.points = c.deduct ? -v : v;
    if (c.group >= 0) {
      ec.group = plan.groups[static_cast<std::size_t>(c.group)].name;
      group_sum[static_cast<std::size_t>(c.group)] += v;
    }
    for (const auto& f : c.feeds) {
      const std::int32_t* sel = run.sel(f.sel);
      for (std::size_t k = 0; k < run.sel_size(f.sel); ++k) {
        std::size_t i = static_cast<std::size_t>(sel[k]);
        std::size_t r = run.first_record() + i;
        std::int64_t value = f.value >= 0 ? run.reg(f.value)[i] : decimal::kScale;
        ec.records.push_back({r, r < table.record_line.size() ? table.record_line[r] : 0,
                              plan.schema.kinds[static_cast<std::size_t>(table.record_kind[r])], value,
                              f.result >= 0 && value == run.reg(f.result)[0]});
      }
    }
    x.contributions.push_back(std::move(ec));
  }
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    if (plan.groups[g].cap_reg < 0) continue;
    std::int64_t cap = run.reg(plan.groups[g].cap_reg)[0];
    if (group_sum[g] > cap)
      x.caps.push_back(fmt::format("group {} capped at {} (was {}) by `{}` at {}", plan.groups[g].name,
                                   decimal::format(cap), decimal::format(group_sum[g]),
                                   quote(plan, plan.groups[g].span), where(plan, plan.groups[g].span)));
  }
  x.score = run.reg(plan.score_reg)[0];
  // the score before the clamp: start plus every contribution, groups capped
  std::int64_t raw = x.start;
  for (const auto& c : x.contributions)
    if (c.group.empty()) raw += c.points;
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    std::int64_t v = group_sum[g];
    if (plan.groups[g].cap_reg >= 0) v = std::min(v, run.reg(plan.groups[g].cap_reg)[0]);
    bool deduct = false;
    for (const auto& c : plan.contributions)
      if (c.group == static_cast<std::int32_t>(g)) deduct = c.deduct;
    raw += deduct ? -v : v;
  }
  if (raw != x.score)
    x.clamp = fmt::format("clamped from {} to {} by `{}` at {}", decimal::format(raw), decimal::format(x.score),
                          quote(plan, plan.clamp_span), where(plan, plan.clamp_span));

  // walk the ladder as the plan does (tiers without a band are not on it)
  std::size_t band_tier = plan.tiers.size() - 1;
  while (band_tier > 0 && plan.tiers[band_tier].by_override) --band_tier;
  for (std::size_t t = 0; t < band_tier; ++t) {
    const PlanTier& pt = plan.tiers[t];
    if (pt.by_override) continue;
    bool reached = pt.band.lo_closed ? x.score >= pt.band.lo : x.score > pt.band.lo;
    if (!reached) continue;
    if (pt.requires_reg >= 0 && !run.reg(pt.requires_reg)[0]) {
      x.tier_steps.push_back(fmt::format("not {}: requirement `{}` at {} does not hold", pt.name,
                                         quote(plan, pt.requires_span), where(plan, pt.requires_span)));
      continue;
    }
    band_tier = t;
    break;
  }
  x.band_tier = plan.tiers[band_tier].name;
  std::size_t tier = band_tier;
  for (const auto& o : plan.overrides) {
    if (!run.reg(o.when_reg)[0]) continue;
    std::size_t before = tier;
    switch (o.action) {
      case PlanOverride::Action::force: tier = static_cast<std::size_t>(o.tier); break;
      case PlanOverride::Action::at_most: tier = std::max(tier, static_cast<std::size_t>(o.tier)); break;
      case PlanOverride::Action::at_least: tier = std::min(tier, static_cast<std::size_t>(o.tier)); break;
    }
    Explanation::Override eo;
    eo.name = o.name;
    eo.rule = quote(plan, o.span);
    eo.at = where(plan, o.span);
    eo.because = o.because;
    eo.basis = o.basis;
    eo.effect = before == tier ? fmt::format("no change (tier stays {})", plan.tiers[tier].name)
                               : fmt::format("tier {} -> {}", plan.tiers[before].name, plan.tiers[tier].name);
    x.overrides.push_back(std::move(eo));
  }
  x.tier = plan.tiers[tier].name;
  x.supervision = plan.tiers[tier].supervision;
  for (const auto& c : plan.conditionals)  // `measure x when c` of this tier, where c holds
    if (c.tier == static_cast<std::int32_t>(tier) && run.reg(c.when_reg)[0])
      (c.incentive ? x.supervision.incentives : x.supervision.measures).push_back(c.name);
  return x;
}

std::string Explanation::to_text() const {
  std::string o = fmt::format("subject {}\n", subject);
  if (failed) return o + fmt::format("  evaluation failed: {}\n", error);
  o += fmt::format("  start             {}\n", decimal::format(start));
  for (const auto& c : contributions) {
    std::string pts = fmt::format("{}{}", c.points > 0 ? "+" : "", decimal::format(c.points));
    o += fmt::format("  {:<17} {:>10}  {}{}\n", c.name, pts,
                     c.group.empty() ? "" : fmt::format("[group {}] ", c.group), c.at);
    o += fmt::format("      rule: {}\n", c.rule);
    for (const auto& r : c.records)
      o += fmt::format("      record {} ({}{}): {}{}\n", r.index, r.kind,
                       r.line ? fmt::format(", line {}", r.line) : "", decimal::format(r.value),
                       r.decides ? "  <- decides" : "");
  }
  for (const auto& c : caps) o += fmt::format("  {}\n", c);
  if (!clamp.empty()) o += fmt::format("  {}\n", clamp);
  o += fmt::format("  score             {}\n", decimal::format(score));
  for (const auto& s : tier_steps) o += fmt::format("  {}\n", s);
  o += fmt::format("  tier by score     {}\n", band_tier);
  for (const auto& ov : overrides) {
    o += fmt::format("  override {}: {} ({})\n", ov.name, ov.effect, ov.at);
    o += fmt::format("      because: {}\n", ov.because);
    if (!ov.basis.empty()) o += fmt::format("      basis: {}\n", ov.basis);
  }
  o += fmt::format("  tier              {}\n", tier);
  if (supervision.has_sampling) o += fmt::format("  sampling          {}\n", decimal::format(supervision.sampling));
  if (supervision.has_sampling_band)
    o += fmt::format("  sampling          {}\n", format_band(supervision.sampling_band));
  if (supervision.has_interval) o += fmt::format("  interval          {} days\n", supervision.interval_days);
  if (supervision.has_checks) o += fmt::format("  checks per year   {}\n", format_band(supervision.checks));
  for (const auto& m : supervision.incentives) o += fmt::format("  incentive         {}\n", m);
  for (const auto& m : supervision.measures) o += fmt::format("  measure           {}\n", m);
  return o;
}

std::string Explanation::to_json() const {
  std::string o = fmt::format("{{\"subject\":{}", json_string(subject));
  if (failed) return o + fmt::format(",\"error\":{}}}", json_string(error));
  o += fmt::format(",\"start\":{},\"contributions\":[", decimal::format(start));
  for (std::size_t i = 0; i < contributions.size(); ++i) {
    const auto& c = contributions[i];
    o += fmt::format("{}{{\"name\":{},\"points\":{},\"group\":{},\"rule\":{},\"at\":{},\"records\":[", i ? "," : "",
                     json_string(c.name), decimal::format(c.points), c.group.empty() ? "null" : json_string(c.group),
                     json_string(c.rule), json_string(c.at));
    for (std::size_t k = 0; k < c.records.size(); ++k) {
      const auto& r = c.records[k];
      o += fmt::format("{}{{\"index\":{},\"line\":{},\"kind\":{},\"value\":{}{}}}", k ? "," : "", r.index, r.line,
                       json_string(r.kind), decimal::format(r.value), r.decides ? ",\"decides\":true" : "");
    }
    o += "]}";
  }
  o += "],\"caps\":[";
  for (std::size_t i = 0; i < caps.size(); ++i) o += fmt::format("{}{}", i ? "," : "", json_string(caps[i]));
  o += fmt::format("],\"clamp\":{},\"score\":{},\"tier_by_score\":{},\"overrides\":[",
                   clamp.empty() ? "null" : json_string(clamp), decimal::format(score), json_string(band_tier));
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    const auto& ov = overrides[i];
    o += fmt::format("{}{{\"name\":{},\"effect\":{},\"because\":{},\"basis\":{},\"rule\":{},\"at\":{}}}", i ? "," : "",
                     json_string(ov.name), json_string(ov.effect), json_string(ov.because), json_string(ov.basis),
                     json_string(ov.rule), json_string(ov.at));
  }
  o += fmt::format("],\"tier\":{}}}", json_string(tier));
  return o;
}

}  // namespace gradus
