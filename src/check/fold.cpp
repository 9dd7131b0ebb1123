#include "gradus/check/fold.hpp"

#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"

namespace gradus {

using ast::Expr;
using ast::ExprKind;

std::optional<std::int64_t> fold_constant(const Expr& e, const CheckedRulebook& c) {
  switch (e.kind) {
    case ExprKind::number: {
      auto v = decimal::parse(e.text);
      if (!v) return std::nullopt;
      std::int64_t r = *v;
      switch (e.unit) {
        case ast::Unit::percent: return *v / 100 * 100 == *v ? std::optional<std::int64_t>(*v / 100) : std::nullopt;
        case ast::Unit::weeks: return decimal::mul(*v, 7 * decimal::kScale, r) ? std::optional(r) : std::nullopt;
        case ast::Unit::months: return *v / decimal::kScale;  // period: whole months
        case ast::Unit::years: return *v / decimal::kScale * 12;
        default: return r;
      }
    }
    case ExprKind::boolean: return e.text == "true" ? 1 : 0;
    case ExprKind::date: {
      auto d = date::parse(e.text);
      return d ? std::optional<std::int64_t>(*d) : std::nullopt;
    }
    case ExprKind::name: {
      const Binding& b = c.bindings[e.id];
      if (b.kind == Binding::Kind::constant) return c.const_values[b.index];
      if (b.kind == Binding::Kind::member) return b.index;
      return std::nullopt;
    }
    case ExprKind::unary: {
      auto a = fold_constant(*e.args[0], c);
      if (!a) return std::nullopt;
      if (e.text == "-") return *a == INT64_MIN ? std::nullopt : std::optional<std::int64_t>(-*a);
      return *a == 0 ? 1 : 0;
    }
    case ExprKind::binary: {
      auto a = fold_constant(*e.args[0], c);
      auto b = fold_constant(*e.args[1], c);
      if (!a || !b) return std::nullopt;
      std::int64_t r = 0;
      const std::string& op = e.text;
      Type ta = c.types[e.args[0]->id], tb = c.types[e.args[1]->id];
      if (op == "+") {
        if (ta.kind == TypeKind::date) return *a + decimal::round_whole(*b);
        if (tb.kind == TypeKind::date) return *b + decimal::round_whole(*a);
        return decimal::add(*a, *b, r) ? std::optional(r) : std::nullopt;
      }
      if (op == "-") {
        if (ta.kind == TypeKind::date && tb.kind == TypeKind::date) return (*a - *b) * decimal::kScale;
        if (ta.kind == TypeKind::date) return *a - decimal::round_whole(*b);
        return decimal::sub(*a, *b, r) ? std::optional(r) : std::nullopt;
      }
      if (op == "*") return decimal::mul(*a, *b, r) ? std::optional(r) : std::nullopt;
      if (op == "/") return decimal::div(*a, *b, r) ? std::optional(r) : std::nullopt;
      if (op == "=") return *a == *b;
      if (op == "!=") return *a != *b;
      if (op == "<") return *a < *b;
      if (op == "<=") return *a <= *b;
      if (op == ">") return *a > *b;
      if (op == ">=") return *a >= *b;
      if (op == "and") return *a && *b;
      if (op == "or") return *a || *b;
      return std::nullopt;
    }
    case ExprKind::if_else: {
      auto cond = fold_constant(*e.args[0], c);
      if (!cond) return std::nullopt;
      return fold_constant(*e.args[*cond ? 1 : 2], c);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace gradus
