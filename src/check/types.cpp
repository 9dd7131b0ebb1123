#include "gradus/check/types.hpp"

#include "gradus/core/decimal.hpp"

namespace gradus::types {

bool is_bare_number(const ast::Expr& e) {
  if (e.kind == ast::ExprKind::number) return e.unit == ast::Unit::none;
  if (e.kind == ast::ExprKind::unary && e.text == "-" && !e.args.empty() && e.args[0])
    return is_bare_number(*e.args[0]);
  return false;
}

Type literal_type(const ast::Expr& e) {
  switch (e.unit) {
    case ast::Unit::percent: return Type::of(TypeKind::decimal);
    case ast::Unit::days:
    case ast::Unit::weeks: return Type::of(TypeKind::days);
    case ast::Unit::months:
    case ast::Unit::years: return Type::of(TypeKind::period);
    case ast::Unit::yuan: return Type::of(TypeKind::money);
    case ast::Unit::none: break;
  }
  return Type::of(e.text.find('.') == std::string::npos ? TypeKind::integer : TypeKind::decimal);
}

std::optional<std::int64_t> bound_value(const ast::Bound& b) {
  if (b.infinite) return b.negative ? INT64_MIN : INT64_MAX;
  auto v = decimal::parse(b.text);
  if (!v || !b.percent) return v;
  if (*v % 100 != 0) return std::nullopt;  // a ratio with more than 6 decimals
  return *v / 100;
}

static bool unitless(Type t) { return t.kind == TypeKind::integer || t.kind == TypeKind::decimal; }

static Type widen(Type a, Type b) {
  // integer op integer stays integer; any decimal makes a decimal
  return Type::of(a.kind == TypeKind::integer && b.kind == TypeKind::integer ? TypeKind::integer
                                                                             : TypeKind::decimal);
}

std::optional<Type> unify(Type a, bool a_bare, Type b, bool b_bare) {
  if (a.kind == TypeKind::error || b.kind == TypeKind::error) return Type::of(TypeKind::error);
  if (a == b) return a;
  if (unitless(a) && unitless(b)) return widen(a, b);
  if (a_bare && unitless(a) && b.is_numeric()) return b;
  if (b_bare && unitless(b) && a.is_numeric()) return a;
  return std::nullopt;
}

std::optional<Type> arithmetic(char op, Type a, bool a_bare, Type b, bool b_bare) {
  if (a.kind == TypeKind::error || b.kind == TypeKind::error) return Type::of(TypeKind::error);
  const TypeKind ak = a.kind, bk = b.kind;
  switch (op) {
    case '+':
      if (ak == TypeKind::date && bk == TypeKind::days) return a;
      if (ak == TypeKind::days && bk == TypeKind::date) return b;
      if (!a.is_numeric() || !b.is_numeric()) return std::nullopt;
      return unify(a, a_bare, b, b_bare);
    case '-':
      if (ak == TypeKind::date && bk == TypeKind::date) return Type::of(TypeKind::days);
      if (ak == TypeKind::date && bk == TypeKind::days) return a;
      if (!a.is_numeric() || !b.is_numeric()) return std::nullopt;
      return unify(a, a_bare, b, b_bare);
    case '*':
      if (!a.is_numeric() || !b.is_numeric()) return std::nullopt;
      if (unitless(a) && unitless(b)) return widen(a, b);
      if (unitless(a)) return b;
      if (unitless(b)) return a;
      return std::nullopt;  // money * money, days * money: no such unit
    case '/':
      if (!a.is_numeric() || !b.is_numeric()) return std::nullopt;
      if (unitless(b)) return unitless(a) ? Type::of(TypeKind::decimal) : a;
      if (a == b) return Type::of(TypeKind::decimal);  // a ratio of like quantities
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace gradus::types
