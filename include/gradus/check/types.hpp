// Typing rules of the rule language, independent of any rulebook.
//
// Units never mix: money and days are different units, and plain numbers
// (integer, decimal) are unitless. A bare number literal adopts the unit of
// the other operand (`amount > 10000`, `age_days < 365`), so rules read
// naturally while `amount + age_days` is refused.
#pragma once

#include <cstdint>
#include <optional>

#include "gradus/check/schema.hpp"
#include "gradus/syntax/ast.hpp"

namespace gradus::types {

/// A number literal without a unit, possibly negated: it may adopt a unit.
bool is_bare_number(const ast::Expr& e);

/// The type of a number literal from its text and unit.
Type literal_type(const ast::Expr& e);

/// Result type of `a op b` for + - * /, or nullopt when the units do not fit.
/// `a_bare` / `b_bare` say whether an operand is a bare number literal.
std::optional<Type> arithmetic(char op, Type a, bool a_bare, Type b, bool b_bare);

/// The value of a band bound or an allowed value in the runtime representation
/// (`5%` is 0.05; -inf and inf are INT64_MIN and INT64_MAX), or nullopt when
/// the number has more than 6 decimals.
std::optional<std::int64_t> bound_value(const ast::Bound& b);

/// The common type of two values that are compared or merged (if/else, min,
/// max), or nullopt when they do not fit.
std::optional<Type> unify(Type a, bool a_bare, Type b, bool b_bare);

}  // namespace gradus::types
