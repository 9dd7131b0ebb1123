// print(): the AST as text, for golden tests and debugging.
//
// print(Rulebook) writes an indented tree, one node a line, every field but
// the byte offsets (so goldens survive whitespace edits). Expressions show
// their id: `#3 binary *`. Parts missing after a syntax error print as `?`.
// print(Expr) writes one fully parenthesised line: `(a + (b * 2))`.
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "gradus/syntax/parser.hpp"

namespace gradus {

namespace {

using namespace ast;

/// A string literal as it would be written: quoted, with escapes.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

std::string_view name_or_missing(const Name& n) { return n.text.empty() ? std::string_view("?") : n.text; }

std::string join_names(const std::vector<Name>& names) {
  std::string out;
  for (const Name& n : names) {
    if (!out.empty()) out += ", ";
    out += n.text;
  }
  return out;
}

std::string_view unit_suffix(Unit u) {
  switch (u) {
    case Unit::none: return "";
    case Unit::percent: return "%";
    case Unit::days: return " days";
    case Unit::weeks: return " weeks";
    case Unit::months: return " months";
    case Unit::years: return " years";
    case Unit::yuan: return " yuan";
  }
  return "";
}

std::string_view unit_name(Unit u) {
  switch (u) {
    case Unit::none: return "";
    case Unit::percent: return "percent";
    case Unit::days: return "days";
    case Unit::weeks: return "weeks";
    case Unit::months: return "months";
    case Unit::years: return "years";
    case Unit::yuan: return "yuan";
  }
  return "";
}

std::string bound(const Bound& b) {
  if (b.infinite) return b.negative ? "-inf" : "inf";
  if (b.text.empty()) return "?";
  return b.percent ? b.text + "%" : b.text;
}

std::string band(const Band& b) {
  return fmt::format("{}{}, {}{}", b.lo_closed ? '[' : '(', bound(b.lo), bound(b.hi), b.hi_closed ? ']' : ')');
}

std::string kinds_text(const std::vector<Name>& kinds) { return kinds.empty() ? "records" : join_names(kinds); }

// ---------------------------------------------------------------- infix

void infix(const Expr& e, std::string& out);

void infix_or_missing(const ExprPtr& e, std::string& out) {
  if (e) {
    infix(*e, out);
  } else {
    out += '?';
  }
}

void infix(const Expr& e, std::string& out) {
  auto arg = [&](std::size_t i) -> const ExprPtr& {
    static const ExprPtr kNone;
    return i < e.args.size() ? e.args[i] : kNone;
  };
  switch (e.kind) {
    case ExprKind::number:
      out += e.text;
      out += unit_suffix(e.unit);
      break;
    case ExprKind::date:
    case ExprKind::boolean:
    case ExprKind::name:
      out += e.text;
      break;
    case ExprKind::string:
      out += quote(e.text);
      break;
    case ExprKind::lookup:
      out += e.text;
      out += '[';
      infix_or_missing(arg(0), out);
      out += ']';
      break;
    case ExprKind::call:
      out += e.text;
      out += '(';
      for (std::size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) out += ", ";
        infix_or_missing(e.args[i], out);
      }
      out += ')';
      break;
    case ExprKind::unary:
      out += '(';
      out += e.text;
      if (e.text == "not") out += ' ';
      infix_or_missing(arg(0), out);
      out += ')';
      break;
    case ExprKind::binary:
      out += '(';
      infix_or_missing(arg(0), out);
      out += fmt::format(" {} ", e.text);
      infix_or_missing(arg(1), out);
      out += ')';
      break;
    case ExprKind::if_else:
      out += "(if ";
      infix_or_missing(arg(0), out);
      out += " then ";
      infix_or_missing(arg(1), out);
      out += " else ";
      infix_or_missing(arg(2), out);
      out += ')';
      break;
    case ExprKind::in_band:
      out += '(';
      infix_or_missing(arg(0), out);
      out += " in ";
      out += band(e.band);
      out += ')';
      break;
    case ExprKind::within:
      out += '(';
      infix_or_missing(arg(0), out);
      out += " within ";
      infix_or_missing(arg(1), out);
      out += ')';
      break;
    case ExprKind::aggregate:
      out += e.text;
      out += '(';
      if (!e.args.empty()) {
        infix_or_missing(e.args[0], out);
        out += " over ";
      }
      out += kinds_text(e.kinds);
      if (e.where) {
        out += " where ";
        infix(*e.where, out);
      }
      if (e.otherwise) {
        out += " otherwise ";
        infix(*e.otherwise, out);
      }
      out += ')';
      break;
  }
}

// ---------------------------------------------------------------- tree

class TreePrinter {
 public:
  std::string run(const Rulebook& rb) {
    header(rb.header);
    for (const Law& l : rb.laws) line(0, fmt::format("law {} {}", name_or_missing(l.name), quote(l.text)));
    for (const EnumDecl& d : rb.enums) enum_decl(d);
    for (const Schema& s : rb.schemas) schema(s);
    for (const Const& c : rb.consts) {
      line(0, fmt::format("const {}", name_or_missing(c.name)));
      expr(1, c.value);
    }
    for (const Table& t : rb.tables) table(t);
    for (const Let& l : rb.lets) {
      line(0, fmt::format("let {}", name_or_missing(l.name)));
      expr(1, l.value);
    }
    for (const MeasureDecl& m : rb.measures) {
      line(0, fmt::format("{} {} {}", m.incentive ? "incentive" : "measure", name_or_missing(m.name),
                          quote(m.label)));
      if (m.basis) basis(1, *m.basis);
    }
    for (const Score& s : rb.scores) score(s);
    for (const Tiers& t : rb.tiers) tiers(t);
    for (const auto& block : rb.overrides) overrides(block);
    for (const Supervision& s : rb.supervision) supervision(s);
    for (const Summary& s : rb.summaries) line(0, fmt::format("summary by {}", name_or_missing(s.field)));
    for (const Sanction& s : rb.sanctions) sanction(s);
    for (const Breaches& b : rb.breaches) breaches(b);
    for (const Penalty& p : rb.penalties) penalty(p);
    for (const Proportion& p : rb.proportions) line(0, fmt::format("proportion {}", join_names(p.chain)));
    for (const Discretion& d : rb.discretions) discretion(d);
    for (const Variant& v : rb.variants) variant(v);
    for (const CategoryRef& c : rb.categories) {
      std::string text = fmt::format("category {} {}", name_or_missing(c.name), quote(c.path));
      if (c.variant) text += fmt::format(" variant {}", c.variant->text);
      line(0, text);
    }
    line(0, fmt::format("expr_count {}", rb.expr_count));
    return std::move(out_);
  }

 private:
  void line(int depth, std::string_view text) {
    out_.append(static_cast<std::size_t>(depth) * 2, ' ');
    out_ += text;
    out_ += '\n';
  }

  void header(const Header& h) {
    line(0, fmt::format("rulebook {}", quote(h.title)));
    if (!h.version.empty()) line(1, fmt::format("version {}", quote(h.version)));
    if (h.effective_from) {
      line(1, h.effective_to ? fmt::format("effective {} to {}", *h.effective_from, *h.effective_to)
                             : fmt::format("effective {}", *h.effective_from));
    }
    for (const Basis& b : h.basis) basis(1, b);
  }

  void basis(int depth, const Basis& b) {
    line(depth, b.law ? fmt::format("basis law {}", b.law->text) : fmt::format("basis {}", quote(b.text)));
  }

  void enum_decl(const EnumDecl& d) {
    line(0, fmt::format("{} {}", d.ordered ? "scale" : "enum", name_or_missing(d.name)));
    for (const Member& m : d.members) {
      line(1, m.label ? fmt::format("member {} label {}", m.name.text, quote(*m.label))
                      : fmt::format("member {}", m.name.text));
    }
  }

  static std::string type(const TypeRef& t) {
    if (t.name.text == "kind" && !t.kinds.empty()) return fmt::format("kind of {}", join_names(t.kinds));
    return std::string(name_or_missing(t.name));
  }

  void schema(const Schema& s) {
    line(0, s.records ? "records" : "subjects");
    for (const Field& f : s.fields) {
      std::string text = fmt::format("field {}: {}", name_or_missing(f.name), type(f.type));
      if (!f.allowed.empty()) {
        std::string values;
        for (const Bound& v : f.allowed) values += (values.empty() ? "" : ", ") + bound(v);
        text += fmt::format(" in {{{}}}", values);
      }
      if (!f.for_kinds.empty()) text += fmt::format(" for {}", join_names(f.for_kinds));
      line(1, text);
    }
  }

  void table(const Table& t) {
    line(0, fmt::format("table {}({}: {}) -> {}", name_or_missing(t.name), name_or_missing(t.param),
                        type(t.key_type), type(t.value_type)));
    for (const TableRow& r : t.rows) {
      switch (r.kind) {
        case TableRow::Kind::band: line(1, fmt::format("row {}", band(r.band))); break;
        case TableRow::Kind::keys: line(1, fmt::format("row keys {}", join_names(r.keys))); break;
        case TableRow::Kind::otherwise: line(1, "row otherwise"); break;
      }
      expr(2, r.value);
    }
  }

  void score(const Score& s) {
    line(0, "score");
    for (const ScoreItem& i : s.items) {
      switch (i.kind) {
        case ScoreItem::Kind::start:
          line(1, "start at");
          expr(2, i.value);
          break;
        case ScoreItem::Kind::add:
        case ScoreItem::Kind::deduct: {
          std::string text = fmt::format("{} {}", i.kind == ScoreItem::Kind::add ? "add" : "deduct",
                                         name_or_missing(i.name));
          if (i.group) text += fmt::format(" in {}", i.group->text);
          line(1, text);
          expr(2, i.value);
          break;
        }
        case ScoreItem::Kind::cap:
          line(1, fmt::format("cap {} at", name_or_missing(i.name)));
          expr(2, i.value);
          break;
        case ScoreItem::Kind::clamp:
          line(1, "clamp");
          expr(2, i.value);
          line(1, "to");
          expr(2, i.high);
          break;
      }
    }
  }

  void tiers(const Tiers& t) {
    line(0, "tiers");
    for (const Tier& tier : t.tiers) {
      std::string text = fmt::format("tier {}", name_or_missing(tier.name));
      if (tier.label) text += fmt::format(" {}", quote(*tier.label));
      text += tier.by_override ? std::string(" by override") : fmt::format(" {}", band(tier.band));
      line(1, text);
      if (tier.requires_) {
        line(2, "requires");
        expr(3, tier.requires_);
      }
    }
  }

  void overrides(const std::vector<Override>& block) {
    line(0, "overrides");
    for (const Override& o : block) {
      std::string_view action = o.action == Override::Action::force     ? "force"
                                : o.action == Override::Action::at_most ? "at most"
                                                                        : "at least";
      line(1, fmt::format("override {}: {} {}", name_or_missing(o.name), action, name_or_missing(o.tier)));
      line(2, "when");
      expr(3, o.when);
      line(2, fmt::format("because {}", quote(o.because)));
      if (o.basis) basis(2, *o.basis);
    }
  }

  void supervision(const Supervision& s) {
    line(0, s.variant ? fmt::format("supervision for {}", s.variant->text) : std::string("supervision"));
    for (const SupervisionRow& r : s.rows) {
      line(1, fmt::format("tier {}", name_or_missing(r.tier)));
      if (r.sampling) {
        line(2, "sampling");
        expr(3, r.sampling);
      }
      if (r.sampling_band) line(2, fmt::format("sampling {}", band(*r.sampling_band)));
      if (r.interval) {
        line(2, "interval");
        expr(3, r.interval);
      }
      if (r.checks) line(2, fmt::format("checks {}", band(*r.checks)));
      for (const Name& n : r.incentives) line(2, fmt::format("incentive {}", n.text));
      for (const Name& n : r.measures) line(2, fmt::format("measure {}", n.text));
      for (const ConditionalMeasure& c : r.conditional) {
        line(2, fmt::format("{} {} when", c.incentive ? "incentive" : "measure", c.name.text));
        expr(3, c.when);
      }
    }
  }

  void variant(const Variant& v) {
    line(0, fmt::format("variant {} {}", name_or_missing(v.name), quote(v.label)));
    if (v.basis) basis(1, *v.basis);
    for (const VariantSet& set : v.sets) {
      line(1, fmt::format("set {}", name_or_missing(set.name)));
      expr(2, set.value);
    }
  }

  void sanction(const Sanction& s) {
    line(0, fmt::format("sanction {} {}{}", name_or_missing(s.name), quote(s.label),
                        s.unit ? fmt::format(" unit {}", s.unit->text) : std::string()));
    line(1, "rank");
    expr(2, s.rank);
    if (s.cap) {
      line(1, "cap");
      expr(2, s.cap);
    }
    if (s.basis) basis(1, *s.basis);
  }

  void breaches(const Breaches& b) {
    line(0, "breaches");
    for (const BreachInput& i : b.inputs) {
      std::string_view order = i.order == BreachInput::Order::increasing   ? " increasing"
                               : i.order == BreachInput::Order::decreasing ? " decreasing"
                                                                           : "";
      line(1, fmt::format("input {}: {}{}", name_or_missing(i.name), type(i.type), order));
    }
  }

  void penalty(const Penalty& p) {
    line(0, fmt::format("penalty {}{}", name_or_missing(p.name), p.label.empty() ? std::string() : fmt::format(" {}", quote(p.label))));
    if (p.basis) basis(1, *p.basis);
    for (const PenaltyItem& i : p.items) {
      static constexpr std::string_view kKind[] = {"define", "level", "impose", "escalate"};
      std::string head = fmt::format("{} {}", kKind[static_cast<int>(i.kind)], name_or_missing(i.name));
      if (i.otherwise) head += " otherwise";
      if (i.also) head += " also";
      line(1, head);
      if (i.value) {
        line(2, i.kind == PenaltyItem::Kind::define ? "value" : i.range ? "from" : "for");
        expr(3, i.value);
      }
      if (i.high) {
        line(2, "to");
        expr(3, i.high);
      }
      if (i.when) {
        line(2, "when");
        expr(3, i.when);
      }
      if (i.basis) basis(2, *i.basis);
    }
  }

  void discretion(const Discretion& d) {
    line(0, "discretion");
    for (const DiscretionRow& r : d.rows) {
      line(1, fmt::format("level {}{}", name_or_missing(r.level), r.of_minimum ? " of minimum" : ""));
      expr(2, r.low);
      expr(2, r.high);
    }
  }

  void expr(int depth, const ExprPtr& e) {
    if (!e) {
      line(depth, "?");
      return;
    }
    const Expr& x = *e;
    std::string head = fmt::format("#{} ", x.id);
    switch (x.kind) {
      case ExprKind::number:
        head += fmt::format("number {}", x.text);
        if (x.unit != Unit::none) head += fmt::format(" {}", unit_name(x.unit));
        break;
      case ExprKind::date: head += fmt::format("date {}", x.text); break;
      case ExprKind::string: head += fmt::format("string {}", quote(x.text)); break;
      case ExprKind::boolean: head += fmt::format("bool {}", x.text); break;
      case ExprKind::name: head += fmt::format("name {}", x.text); break;
      case ExprKind::lookup: head += fmt::format("lookup {}", x.text); break;
      case ExprKind::call: head += fmt::format("call {}", x.text); break;
      case ExprKind::unary: head += fmt::format("unary {}", x.text); break;
      case ExprKind::binary: head += fmt::format("binary {}", x.text); break;
      case ExprKind::if_else: head += "if"; break;
      case ExprKind::in_band: head += fmt::format("in {}", band(x.band)); break;
      case ExprKind::within: head += "within"; break;
      case ExprKind::aggregate: head += fmt::format("aggregate {} over {}", x.text, kinds_text(x.kinds)); break;
    }
    line(depth, head);
    for (const ExprPtr& a : x.args) expr(depth + 1, a);
    if (x.where) {
      line(depth + 1, "where");
      expr(depth + 2, x.where);
    }
    if (x.otherwise) {
      line(depth + 1, "otherwise");
      expr(depth + 2, x.otherwise);
    }
  }

  std::string out_;
};

}  // namespace

std::string print(const Rulebook& rulebook) { return TreePrinter().run(rulebook); }

std::string print(const Expr& expr) {
  std::string out;
  infix(expr, out);
  return out;
}

}  // namespace gradus
