#include "gradus/gradus.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

namespace gradus {

std::string Compilation::render() const {
  std::string out = source ? render_all(*source, diagnostics) : std::string();
  for (const auto& c : categories) out += c.render();
  return out;
}

namespace {

Compilation front_end(Source source, const CheckOptions& options, bool as_category);

/// Compiles the categories of a combination rulebook from their files and
/// links them into its plan: each category's plan, and where each of its
/// tiers goes in the combination's `tier` type. Problems are E0604/E0607
/// diagnostics of the combination, at the category's row.
void compile_categories(Compilation& c, Plan& plan) {
  const std::filesystem::path base = std::filesystem::path(c.source->name()).parent_path();
  const EnumType* tiers = nullptr;
  if (plan.category_tier_field >= 0) {
    const Type t = plan.schema.record_fields[static_cast<std::size_t>(plan.category_tier_field)].type;
    tiers = &plan.schema.enums[static_cast<std::size_t>(t.enum_index)];
  }
  for (PlanCategory& pc : plan.categories) {
    auto fail = [&](Code code, std::string message) { c.diagnostics.error(code, pc.span, std::move(message)); };
    const std::string path = (base / pc.path).lexically_normal().generic_string();
    Source source;
    try {
      source = Source::from_file(path);
    } catch (const Error& e) {
      fail(Code::E0607, fmt::format("category '{}': {}", pc.name, e.what()));
      continue;
    }
    if (!pc.variant.empty()) {
      ParseResult parsed = parse(source);
      const auto& vs = parsed.rulebook.variants;
      if (parsed.ok() && std::none_of(vs.begin(), vs.end(), [&](const ast::Variant& v) { return v.name.text == pc.variant; })) {
        std::string list;
        for (const auto& v : vs) list += (list.empty() ? "" : ", ") + v.name.text;
        fail(Code::E0604, fmt::format("{} has no variant '{}'{}", path, pc.variant,
                                      list.empty() ? std::string() : fmt::format("; its variants are {}", list)));
        continue;
      }
    }
    Compilation cat = front_end(std::move(source), CheckOptions{pc.variant}, true);
    if (!cat.ok()) {
      fail(Code::E0607, fmt::format("category '{}': {} has errors", pc.name, path));
    } else if (!cat.plan) {
      fail(Code::E0607, fmt::format("category '{}': {} has no score to grade by", pc.name, path));
    } else if (!cat.plan->categories.empty()) {
      fail(Code::E0607, fmt::format("category '{}': {} has categories itself; a category is a plain rulebook", pc.name,
                                    path));
    } else {
      pc.plan = cat.plan;
      for (const auto& t : cat.plan->tiers) {
        if (!tiers) break;
        auto code = tiers->code_of(t.name);
        if (!code) {
          fail(Code::E0607, fmt::format("category '{}' has tier '{}', which {} does not have", pc.name, t.name,
                                        tiers->name));
          break;
        }
        pc.tier_code.push_back(*code);
      }
    }
    c.categories.push_back(std::move(cat));
  }
}

/// Parse, check, compile; a category's own categories are not compiled (it
/// may not have any), so a rulebook naming itself cannot recurse.
Compilation front_end(Source source, const CheckOptions& options, bool as_category) {
  Compilation c;
  c.source = std::make_shared<const Source>(std::move(source));
  ParseResult parsed = parse(*c.source);
  c.diagnostics = std::move(parsed.diagnostics);
  if (!c.diagnostics.has_errors()) {
    auto rulebook = std::make_shared<const ast::Rulebook>(std::move(parsed.rulebook));
    c.rulebook = rulebook;
    CheckResult checked = check(*rulebook, options);
    for (auto& d : checked.diagnostics.items()) c.diagnostics.add(std::move(d));
    if (checked.ok()) {
      Diagnostics proof;
      c.proof = prove(*checked.checked, proof);
      for (auto& d : proof.items()) c.diagnostics.add(std::move(d));
      if (!proof.has_errors()) {
        if (!rulebook->scores.empty()) {
          Plan plan = compile(*checked.checked, c.source);
          if (!plan.categories.empty() && !as_category) compile_categories(c, plan);
          if (!c.diagnostics.has_errors()) c.plan = std::make_shared<const Plan>(std::move(plan));
        }
        if (!c.diagnostics.has_errors()) c.checked = std::move(checked.checked);
      }
    }
  }
  c.diagnostics.sort();
  return c;
}

}  // namespace

Compilation compile_source(Source source, const CheckOptions& options) {
  return front_end(std::move(source), options, false);
}

Compilation compile_file(const std::string& path, const CheckOptions& options) {
  return compile_source(Source::from_file(path), options);
}

std::string_view op_name(Op op) {
  switch (op) {
    case Op::constant: return "constant";
    case Op::as_of_offset: return "as_of_offset";
    case Op::as_of_months: return "as_of_months";
    case Op::load_subject: return "load_subject";
    case Op::load_record: return "load_record";
    case Op::broadcast: return "broadcast";
    case Op::copy: return "copy";
    case Op::add: return "add";
    case Op::sub: return "sub";
    case Op::mul: return "mul";
    case Op::mul_int: return "mul_int";
    case Op::div: return "div";
    case Op::neg: return "neg";
    case Op::min: return "min";
    case Op::max: return "max";
    case Op::abs: return "abs";
    case Op::scale_int: return "scale_int";
    case Op::eq: return "eq";
    case Op::ne: return "ne";
    case Op::lt: return "lt";
    case Op::le: return "le";
    case Op::gt: return "gt";
    case Op::ge: return "ge";
    case Op::logical_not: return "not";
    case Op::band: return "band";
    case Op::lookup: return "lookup";
    case Op::sel_true: return "sel_true";
    case Op::sel_false: return "sel_false";
    case Op::sel_kinds: return "sel_kinds";
    case Op::sel_minus: return "sel_minus";
    case Op::sel_cmp: return "sel_cmp";
    case Op::sel_owners: return "sel_owners";
    case Op::agg_sum: return "agg_sum";
    case Op::agg_count: return "agg_count";
    case Op::agg_min: return "agg_min";
    case Op::agg_max: return "agg_max";
    case Op::agg_any: return "agg_any";
    case Op::year_of: return "year_of";
  }
  return "?";
}

std::string format_band(const PlanBand& band) {
  auto end = [](std::int64_t v) -> std::string {
    if (v == INT64_MIN) return "-inf";
    if (v == INT64_MAX) return "inf";
    return decimal::format(v);
  };
  return fmt::format("{}{}, {}{}", band.lo_closed && band.lo != INT64_MIN ? '[' : '(', end(band.lo), end(band.hi),
                     band.hi_closed && band.hi != INT64_MAX ? ']' : ')');
}

std::vector<bool> Plan::reads(Level level) const {
  const bool record = level == Level::record;
  std::vector<bool> read(record ? schema.record_fields.size() : schema.subject_fields.size(), false);
  for (const Instr& in : code)
    if (in.op == (record ? Op::load_record : Op::load_subject) && in.a >= 0) read.at(static_cast<std::size_t>(in.a)) = true;
  return read;
}

std::string Plan::dump() const {
  std::string out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const Instr& in = code[i];
    bool sel_op = in.op == Op::sel_true || in.op == Op::sel_false || in.op == Op::sel_kinds || in.op == Op::sel_minus ||
                  in.op == Op::sel_cmp || in.op == Op::sel_owners;
    out += fmt::format("{:4} {:<12} {} {}{}", i, op_name(in.op), in.level == Level::subject ? "S" : "R",
                       sel_op ? "s" : "r", in.dst);
    if (in.a >= 0) out += fmt::format(" a={}", in.a);
    if (in.op == Op::sel_cmp) out += fmt::format(" {}", op_name(static_cast<Op>(in.b)));
    else if (in.b >= 0) out += fmt::format(" b={}", in.b);
    if (in.imm != 0 || in.op == Op::constant) out += fmt::format(" imm={}", in.imm);
    if (in.sel >= 0) out += fmt::format(" under s{}", in.sel);
    if (source) {
      Location loc = source->location(in.span.begin);
      out += fmt::format("  ; {}:{}", loc.line, loc.column);
    }
    out += '\n';
  }
  return out;
}

}  // namespace gradus
