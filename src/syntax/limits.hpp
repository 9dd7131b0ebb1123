// Private to the syntax stage: the size limits of ParseLimits beyond bytes and depth.
#pragma once

#include <vector>

#include "gradus/core/diagnostic.hpp"
#include "gradus/syntax/ast.hpp"
#include "gradus/syntax/parser.hpp"

namespace gradus::syntax {

/// Reports (E0106) each list, the definitions or the expressions over their limit.
/// `roots` are the rulebook's declaration-level expressions.
void check_limits(const ast::Rulebook& rb, const std::vector<ast::Expr*>& roots, const ParseLimits& limits,
                  Diagnostics& diags);

}  // namespace gradus::syntax
