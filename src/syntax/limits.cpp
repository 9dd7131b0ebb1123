// The size limits of a rulebook (ParseLimits), checked once the text is parsed.
//
// They keep every later stage bounded: the checker's and compiler's work and
// recursion (lets that use each other are resolved depth first), and the
// evaluator's memory (one vector per compiled instruction and chunk). A
// rulebook over a limit gets E0106 at the first entry beyond it, and is not
// checked further. New lists in the AST belong here too.
#include "limits.hpp"

#include <fmt/format.h>

namespace gradus::syntax {
namespace {

class Limits {
 public:
  Limits(const ParseLimits& limits, Diagnostics& diags) : limits_(limits), diags_(diags) {}

  /// A list of entries: the first one beyond max_entries is reported.
  template <class T, class SpanOf>
  void entries(const std::vector<T>& list, std::string_view what, SpanOf span_of) {
    if (list.size() > limits_.max_entries) over(span_of(list[limits_.max_entries]), what, limits_.max_entries);
  }
  void names(const std::vector<ast::Name>& list, std::string_view what) {
    entries(list, what, [](const ast::Name& n) { return n.span; });
  }

  /// A definition or section entry, counted over the whole rulebook.
  void definition(Span span) {
    if (++definitions_ == limits_.max_definitions + 1)
      over(span, "definitions (declarations, score items, tiers and rows of sections, all together)",
           limits_.max_definitions);
  }

  void over(Span span, std::string_view what, std::size_t limit) {
    diags_.error(Code::E0106, span, fmt::format("too many {}: the limit is {}", what, limit));
  }

 private:
  const ParseLimits& limits_;
  Diagnostics& diags_;
  std::size_t definitions_ = 0;
};

}  // namespace

void check_limits(const ast::Rulebook& rb, const std::vector<ast::Expr*>& roots, const ParseLimits& limits,
                  Diagnostics& diags) {
  Limits l(limits, diags);
  auto span = [](const auto& x) { return x.span; };

  l.entries(rb.header.basis, "basis lines in the header", span);
  for (const auto& x : rb.laws) l.definition(x.span);
  for (const auto& e : rb.enums) {
    l.definition(e.span);
    l.entries(e.members, fmt::format("members in {} '{}'", e.ordered ? "scale" : "enum", e.name.text), span);
  }
  for (const auto& s : rb.schemas) {
    l.entries(s.fields, s.records ? "record fields" : "subject fields", span);
    for (const auto& f : s.fields) {
      l.names(f.type.kinds, "record kinds");
      l.names(f.for_kinds, "record kinds after 'for'");
      l.entries(f.allowed, fmt::format("allowed values of field '{}'", f.name.text), span);
    }
  }
  for (const auto& x : rb.consts) l.definition(x.span);
  for (const auto& t : rb.tables) {
    l.definition(t.span);
    l.entries(t.rows, fmt::format("rows in table '{}'", t.name.text), span);
    for (const auto& r : t.rows) l.names(r.keys, "keys in one table row");
  }
  for (const auto& x : rb.lets) l.definition(x.span);
  for (const auto& x : rb.measures) l.definition(x.span);
  for (const auto& s : rb.scores)
    for (const auto& x : s.items) l.definition(x.span);
  for (const auto& t : rb.tiers)
    for (const auto& x : t.tiers) l.definition(x.span);
  for (const auto& s : rb.supervision)
    for (const auto& r : s.rows) {
      l.definition(r.span);
      l.names(r.incentives, "incentives in one supervision row");
      l.names(r.measures, "measures in one supervision row");
      l.entries(r.conditional, "measures and incentives with a condition in one supervision row",
                [](const ast::ConditionalMeasure& c) { return c.name.span; });
    }
  for (const auto& x : rb.sanctions) l.definition(x.span);
  for (const auto& b : rb.breaches) l.entries(b.inputs, "breach inputs", span);
  for (const auto& p : rb.penalties) {
    l.definition(p.span);
    for (const auto& x : p.items) l.definition(x.span);
  }
  for (const auto& p : rb.proportions) {
    l.definition(p.span);
    l.names(p.chain, "names in one proportion");
  }
  for (const auto& d : rb.discretions)
    for (const auto& x : d.rows) l.definition(x.span);
  for (const auto& v : rb.variants) {
    l.definition(v.span);
    l.entries(v.sets, fmt::format("settings in variant '{}'", v.name.text), span);
  }
  for (const auto& x : rb.categories) l.definition(x.span);

  // Expressions: their total size, and the record kinds each aggregation names.
  std::size_t nodes = 0;
  std::vector<const ast::Expr*> todo(roots.begin(), roots.end());
  while (!todo.empty()) {
    const ast::Expr* e = todo.back();
    todo.pop_back();
    if (++nodes == limits.max_nodes + 1)
      l.over(e->span, "operators, names and literals in expressions", limits.max_nodes);
    l.names(e->kinds, "record kinds in one aggregation");
    for (const auto& a : e->args) todo.push_back(a.get());
    if (e->where) todo.push_back(e->where.get());
    if (e->otherwise) todo.push_back(e->otherwise.get());
  }
}

}  // namespace gradus::syntax
