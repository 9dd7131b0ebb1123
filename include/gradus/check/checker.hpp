// Checking: ast::Rulebook -> CheckedRulebook.
//
// Resolves every name, types every expression, checks tables, tier ladders,
// score groups, overrides and supervision, and orders derived values by
// their dependencies (a cycle is an error that names its path). The checker
// annotates the AST through side tables keyed by Expr::id; it never rewrites
// it. Mistakes are Diagnostics, never exceptions.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "gradus/check/schema.hpp"
#include "gradus/core/diagnostic.hpp"
#include "gradus/syntax/ast.hpp"

namespace gradus {

/// What a name expression refers to.
struct Binding {
  enum class Kind : std::uint8_t {
    none,           // unresolved
    subject_field,  // index into Schema::subject_fields
    record_field,   // index into Schema::record_fields
    key,            // the subject id (not usable in arithmetic)
    let,            // index into ast::Rulebook::lets
    constant,       // index into ast::Rulebook::consts
    member,         // enum member: enum_index + code
    kind,           // the record kind field
    as_of,          // the evaluation date
    table,          // index into ast::Rulebook::tables (lookup/band name)
    function,       // builtin function (call)
  } kind = Kind::none;
  std::int32_t index = -1;  // meaning depends on kind; member: the code
  std::int32_t enum_index = -1;  // member only
};

/// The checked rulebook: the AST plus side tables. Holds a pointer to the
/// AST it annotates; the AST must outlive it.
struct CheckedRulebook {
  const ast::Rulebook* ast = nullptr;
  Schema schema;
  std::vector<Type> types;                 // by Expr::id (index 0 unused)
  std::vector<Binding> bindings;           // by Expr::id, for name, lookup, call
  std::vector<std::int32_t> let_order;     // lets in dependency order (Boost.Graph topological sort)
  std::vector<std::int32_t> const_order;   // consts in dependency order
  std::vector<std::int64_t> const_values;  // folded value of each const (runtime representation)
  std::vector<Type> const_types;
  std::vector<Type> let_types;
  std::vector<Type> table_key_types, table_value_types;
  std::vector<std::int32_t> table_enum;    // key enum of each lookup table, or -1 for band tables
};

struct CheckResult {
  std::unique_ptr<CheckedRulebook> checked;  // null when there are errors
  Diagnostics diagnostics;
  bool ok() const { return checked != nullptr; }
};

CheckResult check(const ast::Rulebook& rulebook);

}  // namespace gradus
