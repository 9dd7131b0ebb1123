// Parsing: rule text -> ast::Rulebook.
//
// The grammar is Spirit X3, compiled in one translation unit
// (src/syntax/grammar.cpp); no header outside syntax/detail includes Spirit.
// Bad rule text never throws: every problem is a Diagnostic and the parser
// recovers at the next declaration to report as many as it can.
#pragma once

#include "gradus/core/diagnostic.hpp"
#include "gradus/core/source.hpp"
#include "gradus/syntax/ast.hpp"

namespace gradus {

/// Limits the parser enforces, each with its own diagnostic.
struct ParseLimits {
  std::size_t max_bytes = 16u << 20;   // E0002 beyond this
  std::size_t max_depth = 200;         // E0104 beyond this nesting of expressions
  // E0106 beyond these (see rules/README.md, Limits):
  std::size_t max_definitions = 1000;  // named declarations and section entries (score items, tiers, rows, ...)
  std::size_t max_entries = 10000;     // entries of one list: enum members, table rows, schema fields, kinds, ...
  std::size_t max_nodes = 20000;       // operators, names and literals in all expressions together
};

struct ParseResult {
  ast::Rulebook rulebook;   // as much as could be parsed
  Diagnostics diagnostics;  // E00xx/E01xx
  bool ok() const { return !diagnostics.has_errors(); }
};

ParseResult parse(const Source& source, const ParseLimits& limits = {});

/// Prints the AST as an indented tree, one node a line, for golden tests.
std::string print(const ast::Rulebook& rulebook);
/// Prints an expression in fully parenthesised form, e.g. "(a + (b * 2))".
std::string print(const ast::Expr& expr);

}  // namespace gradus
