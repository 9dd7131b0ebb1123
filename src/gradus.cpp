#include "gradus/gradus.hpp"

#include <fmt/format.h>

namespace gradus {

std::string Compilation::render() const { return source ? render_all(*source, diagnostics) : std::string(); }

Compilation compile_source(Source source) {
  Compilation c;
  c.source = std::make_shared<const Source>(std::move(source));
  ParseResult parsed = parse(*c.source);
  c.diagnostics = std::move(parsed.diagnostics);
  if (!c.diagnostics.has_errors()) {
    auto rulebook = std::make_shared<const ast::Rulebook>(std::move(parsed.rulebook));
    c.rulebook = rulebook;
    CheckResult checked = check(*rulebook);
    for (auto& d : checked.diagnostics.items()) c.diagnostics.add(std::move(d));
    if (checked.ok()) {
      Diagnostics proof;
      c.proof = prove(*checked.checked, proof);
      for (auto& d : proof.items()) c.diagnostics.add(std::move(d));
      if (!proof.has_errors()) {
        if (!rulebook->scores.empty()) c.plan = std::make_shared<const Plan>(compile(*checked.checked, c.source));
        c.checked = std::move(checked.checked);
      }
    }
  }
  c.diagnostics.sort();
  return c;
}

Compilation compile_file(const std::string& path) { return compile_source(Source::from_file(path)); }

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
  }
  return "?";
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
