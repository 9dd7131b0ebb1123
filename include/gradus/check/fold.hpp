// Constant folding: the value of an expression that needs no data.
#pragma once

#include <cstdint>
#include <optional>

#include "gradus/check/checker.hpp"

namespace gradus {

/// The value of e in the runtime representation (schema.hpp) when it uses
/// only literals, consts, enum members and operators; nullopt when it needs
/// data or the evaluation date, or when its arithmetic leaves the range.
/// Reads the side tables of `checked` for e's subtree, so e must have been
/// checked. Periods (months, years) fold to whole months.
std::optional<std::int64_t> fold_constant(const ast::Expr& e, const CheckedRulebook& checked);

}  // namespace gradus
