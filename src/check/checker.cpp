#include "gradus/check/checker.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/topological_sort.hpp>
#include <fmt/format.h>

#include "gradus/check/fold.hpp"
#include "gradus/check/types.hpp"
#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"

namespace gradus {
namespace {

using ast::Expr;
using ast::ExprKind;

constexpr std::size_t kMaxOverrides = 64;
constexpr std::size_t kMaxKinds = 64;
constexpr std::size_t kMaxDefineChain = 64;   // defines depending on defines, in one penalty rule
constexpr std::size_t kMaxInputMembers = 64;  // members of an enum or scale a breach input may have

/// Calls f on every name expression under e.
template <class F>
void walk_names(const ast::Expr* e, F&& f) {
  if (!e) return;
  if (e->kind == ast::ExprKind::name) f(*e);
  for (const auto& a : e->args) walk_names(a.get(), f);
  walk_names(e->where.get(), f);
  walk_names(e->otherwise.get(), f);
}

/// What a global name stands for.
struct Global {
  Binding::Kind kind;
  std::int32_t index;
  Span span;
};

/// Where an expression is checked.
struct Scope {
  bool in_aggregate = false;    // inside sum/count/...: record fields visible
  std::uint64_t kinds = 0;      // kinds the aggregation covers
  std::string kinds_text;       // for messages
  bool constant = false;        // const, table value, sampling: no fields, lets or aggregations
  std::int32_t penalty = -1;    // inside penalty rule `penalty`: its inputs, defines, level and history
  std::size_t item = 0;         // the penalty item being checked (earlier defines are visible)
  bool score_visible = false;   // tier requirements and overrides: `score` is known
};


class Checker {
 public:
  Checker(const ast::Rulebook& rb, Diagnostics& diags, const CheckOptions& options)
      : rb_(rb), d_(diags), options_(options) {
    out_ = std::make_unique<CheckedRulebook>();
    out_->ast = &rb;
    out_->types.assign(rb.expr_count + 1, Type{});
    out_->bindings.assign(rb.expr_count + 1, Binding{});
  }

  std::unique_ptr<CheckedRulebook> run() {
    header();
    laws();
    penalty_only_ = !rb_.penalties.empty() && rb_.scores.empty() && rb_.tiers.empty();
    select_variant();
    enums();
    schemas();
    breaches();
    categories();
    globals();
    order_definitions();
    consts();
    variants();
    tables();
    lets();
    measures();
    score();
    tiers();
    overrides();
    supervision();
    summary();
    penalties();
    unused();
    if (d_.has_errors()) return nullptr;
    return std::move(out_);
  }

 private:
  const ast::Rulebook& rb_;
  Diagnostics& d_;
  const CheckOptions& options_;
  std::unique_ptr<CheckedRulebook> out_;
  Schema& schema() { return out_->schema; }

  std::unordered_map<std::string, std::int32_t> laws_;
  std::unordered_map<std::string, std::int32_t> enum_index_;
  std::unordered_map<std::string, Global> globals_;
  std::unordered_map<std::string, std::int32_t> measures_;
  std::unordered_map<std::string, std::int32_t> tier_index_;
  std::vector<bool> let_checked_, const_checked_;
  // use counts for W0001
  bool penalty_only_ = false;  // penalty rules without score and tiers: no subjects needed
  std::unordered_map<std::string, std::int32_t> sanctions_, penalty_index_;
  std::vector<int> used_const_, used_let_, used_table_, used_law_, used_measure_, used_enum_;

  // ------------------------------------------------------------ helpers
  void dup(const std::string& what, const ast::Name& name, Span first) {
    Diagnostic d{Severity::error, Code::E0201, name.span,
                 fmt::format("{} '{}' is already defined", what, name.text), {}};
    d.notes.push_back({first, "first defined here"});
    d_.add(std::move(d));
  }

  std::string suggest(const std::string& name, const std::vector<std::string>& cands) {
    std::string s = did_you_mean(name, cands);
    return s.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", s);
  }

  std::string tname(Type t) { return schema().type_name(t); }

  void set(const Expr& e, Type t) {
    if (e.id < out_->types.size()) out_->types[e.id] = t;
  }
  void bind(const Expr& e, Binding b) {
    if (e.id < out_->bindings.size()) out_->bindings[e.id] = b;
  }

  std::optional<std::string> basis_text(const std::optional<ast::Basis>& b) {
    if (!b) return std::string();
    if (b->law) {
      auto it = laws_.find(b->law->text);
      if (it == laws_.end()) {
        std::vector<std::string> c;
        for (auto& [k, v] : laws_) c.push_back(k);
        d_.error(Code::E0210, b->law->span,
                 fmt::format("unknown law '{}'{}", b->law->text, suggest(b->law->text, c)));
        return std::nullopt;
      }
      ++used_law_[it->second];
      return rb_.laws[it->second].text;
    }
    return b->text;
  }

  // ------------------------------------------------------------ declarations
  void header() {
    if (rb_.header.title.empty())
      d_.error(Code::E0105, rb_.header.span, "the rulebook needs a title: rulebook \"...\"");
    const auto& h = rb_.header;
    auto date_ok = [&](const std::optional<std::string>& t, Span at) {
      if (t && !date::parse(*t))
        d_.error(Code::E0102, at.empty() ? h.span : at, fmt::format("'{}' is not a calendar date", *t));
    };
    date_ok(h.effective_from, h.effective_from_span);
    date_ok(h.effective_to, h.effective_to_span);
    if (h.effective_from && h.effective_to) {
      auto a = date::parse(*h.effective_from), b = date::parse(*h.effective_to);
      if (a && b && *b < *a)
        d_.error(Code::E0305, h.effective_to_span.empty() ? h.span : h.effective_to_span,
                 "the rulebook's effective period ends before it starts");
    }
  }

  void laws() {
    used_law_.assign(rb_.laws.size(), 0);
    for (std::size_t i = 0; i < rb_.laws.size(); ++i) {
      const auto& l = rb_.laws[i];
      auto [it, fresh] = laws_.emplace(l.name.text, static_cast<std::int32_t>(i));
      if (!fresh) dup("law", l.name, rb_.laws[it->second].name.span);
    }
    for (const auto& b : rb_.header.basis) basis_text(std::optional<ast::Basis>(b));
  }

  void enums() {
    used_enum_.assign(rb_.enums.size(), 0);
    for (std::size_t i = 0; i < rb_.enums.size(); ++i) {
      const auto& e = rb_.enums[i];
      auto [it, fresh] = enum_index_.emplace(e.name.text, static_cast<std::int32_t>(i));
      if (!fresh) dup(e.ordered ? "scale" : "enum", e.name, rb_.enums[it->second].name.span);
      EnumType t;
      t.name = e.name.text;
      t.ordered = e.ordered;
      t.span = e.span;
      std::unordered_map<std::string, Span> seen;
      for (const auto& m : e.members) {
        auto [mit, mfresh] = seen.emplace(m.name.text, m.name.span);
        if (!mfresh) dup("member", m.name, mit->second);
      }
      // data text must name one member: a label may be neither another member's name nor label
      std::unordered_map<std::string, const ast::Member*> texts;
      for (const auto& m : e.members) texts.emplace(m.name.text, &m);
      for (const auto& m : e.members) {
        if (!m.label || *m.label == m.name.text) continue;
        auto [lit, lfresh] = texts.emplace(*m.label, &m);
        if (!lfresh)
          d_.error(Code::E0201, m.span,
                   fmt::format("data label '{}' of '{}' already stands for '{}' in {}", *m.label, m.name.text,
                               lit->second->name.text, e.name.text));
      }
      for (const auto& m : e.members) {
        t.members.push_back(m.name.text);
        t.labels.push_back(m.label.value_or(std::string()));
      }
      if (t.members.empty())
        d_.error(Code::E0404, e.name.span, fmt::format("'{}' has no members", e.name.text));
      schema().enums.push_back(std::move(t));
    }
    if (rb_.penalties.empty()) return;
    if (auto it = enum_index_.find("level"); it != enum_index_.end()) {
      d_.error(Code::E0201, rb_.enums[it->second].name.span,
               "'level' is the built-in scale of discretion levels; choose another name");
      return;
    }
    EnumType level;
    level.name = "level";
    level.ordered = true;
    for (std::size_t i = 0; i < std::size(kLevels); ++i) {
      level.members.push_back(kLevels[i]);
      level.labels.push_back(kLevelLabels[i]);
    }
    out_->penalties.level_enum = static_cast<std::int32_t>(schema().enums.size());
    enum_index_.emplace("level", out_->penalties.level_enum);
    schema().enums.push_back(std::move(level));
    used_enum_.push_back(1);
  }

  std::optional<Type> resolve_type(const ast::TypeRef& t) {
    static const std::unordered_map<std::string, TypeKind> builtin = {
        {"integer", TypeKind::integer}, {"decimal", TypeKind::decimal}, {"money", TypeKind::money},
        {"days", TypeKind::days},       {"bool", TypeKind::boolean},    {"date", TypeKind::date}};
    if (auto it = builtin.find(t.name.text); it != builtin.end()) return Type::of(it->second);
    if (auto it = enum_index_.find(t.name.text); it != enum_index_.end()) {
      ++used_enum_[it->second];
      return Type::enumeration_of(it->second);
    }
    std::vector<std::string> c = {"integer", "decimal", "money", "days", "bool", "date"};
    for (auto& [k, v] : enum_index_) c.push_back(k);
    d_.error(Code::E0202, t.name.span,
             fmt::format("unknown type '{}'{}", t.name.text, suggest(t.name.text, c)));
    return std::nullopt;
  }

  void schemas() {
    const ast::Schema* subjects = nullptr;
    const ast::Schema* records = nullptr;
    for (const auto& s : rb_.schemas) {
      const ast::Schema*& slot = s.records ? records : subjects;
      if (slot) {
        d_.error(Code::E0411, s.span,
                 fmt::format("a second '{}' section; declare all fields in one", s.records ? "records" : "subjects"));
        continue;
      }
      slot = &s;
    }
    if (!subjects) {
      if (!penalty_only_) d_.error(Code::E0405, rb_.header.span, "the rulebook has no 'subjects' section");
    } else {
      for (const auto& f : subjects->fields) {
        const std::string& tn = f.type.name.text;
        if (!f.for_kinds.empty())
          d_.error(Code::E0301, f.for_kinds.front().span, "'for' applies to record fields only");
        if (tn == "key" || tn == "subject" || tn == "kind") no_allowed(f);
        if (tn == "key" && f.type.kinds.empty()) {
          if (!schema().key_field.empty())
            d_.error(Code::E0404, f.name.span, "subjects have one key field only");
          else
            schema().key_field = f.name.text;
          continue;
        }
        if (tn == "subject" || tn == "kind") {
          d_.error(Code::E0301, f.type.span, fmt::format("type '{}' belongs in the records section", tn));
          continue;
        }
        auto t = resolve_type(f.type);
        schema().subject_fields.push_back({f.name.text, t.value_or(Type{}), ~0ull, f.name.span, {}});
        schema().subject_fields.back().allowed = allowed_values(f, t);
      }
      if (schema().key_field.empty())
        d_.error(Code::E0404, subjects->span, "subjects need a key field, e.g. 'id: key'");
    }
    if (records) {
      // kinds first: fields refer to them
      for (const auto& f : records->fields) {
        if (!f.type.kinds.empty() || f.type.name.text == "kind") {
          no_allowed(f);
          if (f.type.kinds.empty()) {
            d_.error(Code::E0404, f.type.span, "list the record kinds: 'kind of a, b, c'");
            continue;
          }
          if (!schema().kind_field.empty()) {
            d_.error(Code::E0404, f.name.span, "records have one kind field only");
            continue;
          }
          schema().kind_field = f.name.text;
          std::unordered_map<std::string, Span> seen;
          for (const auto& k : f.type.kinds) {
            auto [it, fresh] = seen.emplace(k.text, k.span);
            if (!fresh) {
              dup("record kind", k, it->second);
            } else if (schema().kinds.size() == kMaxKinds) {  // kinds are bits of a 64-bit mask
              d_.error(Code::E0404, k.span, fmt::format("at most {} record kinds", kMaxKinds));
              break;
            } else {
              schema().kinds.push_back(k.text);
            }
          }
        }
      }
      for (const auto& f : records->fields) {
        if (!f.type.kinds.empty() || f.type.name.text == "kind") continue;
        const std::string& tn = f.type.name.text;
        if (tn == "subject" || tn == "key") no_allowed(f);
        if (tn == "subject") {
          if (!schema().link_field.empty())
            d_.error(Code::E0404, f.name.span, "records have one subject field only");
          else
            schema().link_field = f.name.text;
          continue;
        }
        if (tn == "key") {
          d_.error(Code::E0301, f.type.span, "records link to subjects with type 'subject', not 'key'");
          continue;
        }
        std::uint64_t mask = ~0ull;
        if (!f.for_kinds.empty()) {
          mask = 0;
          for (const auto& k : f.for_kinds) {
            int ki = schema().kind_index(k.text);
            if (ki < 0) {
              d_.error(Code::E0204, k.span,
                       fmt::format("unknown record kind '{}'{}", k.text, suggest(k.text, schema().kinds)));
            } else {
              mask |= 1ull << ki;
            }
          }
        }
        auto t = resolve_type(f.type);
        schema().record_fields.push_back({f.name.text, t.value_or(Type{}), mask, f.name.span, {}});
        schema().record_fields.back().allowed = allowed_values(f, t);
      }
      if (schema().link_field.empty())
        d_.error(Code::E0404, records->span, "records need a field linking them to subjects, e.g. 'subject_id: subject'");
    }
    if (schema().kinds.empty()) schema().kinds.push_back("record");
  }

  /// Every name usable in expressions, unique across kinds of definition.
  void globals() {
    auto add = [&](const ast::Name& n, Binding::Kind k, std::int32_t i, const char* what) {
      auto [it, fresh] = globals_.emplace(n.text, Global{k, i, n.span});
      if (!fresh) dup(what, n, it->second.span);
    };
    for (std::size_t i = 0; i < schema().subject_fields.size(); ++i) {
      const auto& f = schema().subject_fields[i];
      add({f.name, f.span}, Binding::Kind::subject_field, static_cast<std::int32_t>(i), "name");
    }
    for (std::size_t i = 0; i < schema().record_fields.size(); ++i) {
      const auto& f = schema().record_fields[i];
      add({f.name, f.span}, Binding::Kind::record_field, static_cast<std::int32_t>(i), "name");
    }
    for (const auto& s : rb_.schemas) {
      for (const auto& f : s.fields) {
        const std::string& tn = f.type.name.text;
        if (s.records && (!f.type.kinds.empty() || tn == "kind") && f.name.text == schema().kind_field)
          add(f.name, Binding::Kind::kind, 0, "name");
        if (!s.records && tn == "key" && f.name.text == schema().key_field)
          add(f.name, Binding::Kind::key, 0, "name");
      }
    }
    for (std::size_t i = 0; i < schema().breach_fields.size(); ++i) {
      const auto& f = schema().breach_fields[i];
      add({f.name, f.span}, Binding::Kind::input, static_cast<std::int32_t>(i), "name");
    }
    used_const_.assign(rb_.consts.size(), 0);
    used_let_.assign(rb_.lets.size(), 0);
    used_table_.assign(rb_.tables.size(), 0);
    for (std::size_t i = 0; i < rb_.consts.size(); ++i)
      add(rb_.consts[i].name, Binding::Kind::constant, static_cast<std::int32_t>(i), "name");
    for (std::size_t i = 0; i < rb_.lets.size(); ++i)
      add(rb_.lets[i].name, Binding::Kind::let, static_cast<std::int32_t>(i), "name");
    for (std::size_t i = 0; i < rb_.tables.size(); ++i)
      add(rb_.tables[i].name, Binding::Kind::table, static_cast<std::int32_t>(i), "name");
    auto clash = [&](const ast::Name& n) {
      for (std::size_t ei = 0; ei < rb_.enums.size(); ++ei) {
        for (const auto& m : rb_.enums[ei].members) {
          if (m.name.text != n.text) continue;
          Diagnostic d{Severity::error, Code::E0201, n.span,
                       fmt::format("'{}' is already a member of {}; choose another name", n.text,
                                   rb_.enums[ei].name.text),
                       {{m.name.span, "the member"}}};
          d_.add(std::move(d));
          return;
        }
      }
    };
    for (const auto& c : rb_.consts) clash(c.name);
    for (const auto& l : rb_.lets) clash(l.name);
    out_->const_values.assign(rb_.consts.size(), 0);
    out_->const_types.assign(rb_.consts.size(), Type{});
    out_->let_types.assign(rb_.lets.size(), Type{});
  }

  // ------------------------------------------------------------ dependency order
  void mark_tables(const Expr* e) {
    if (!e) return;
    if (e->kind == ExprKind::lookup) {
      auto it = globals_.find(e->text);
      if (it != globals_.end() && it->second.kind == Binding::Kind::table) ++used_table_[it->second.index];
    }
    for (const auto& a : e->args) mark_tables(a.get());
    mark_tables(e->where.get());
    mark_tables(e->otherwise.get());
  }

  void names_in(const Expr* e, std::vector<std::string>& out) {
    if (!e) return;
    if (e->kind == ExprKind::name) out.push_back(e->text);
    for (const auto& a : e->args) names_in(a.get(), out);
    names_in(e->where.get(), out);
    names_in(e->otherwise.get(), out);
  }

  /// Orders consts and lets so that each comes after what it uses; reports cycles.
  void order_definitions() {
    using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
    const std::size_t nc = rb_.consts.size(), nl = rb_.lets.size();
    Graph g(nc + nl);
    auto vertex_of = [&](const std::string& name) -> int {
      auto it = globals_.find(name);
      if (it == globals_.end()) return -1;
      if (it->second.kind == Binding::Kind::constant) return it->second.index;
      if (it->second.kind == Binding::Kind::let) return static_cast<int>(nc) + it->second.index;
      return -1;
    };
    auto edges_from = [&](std::size_t v, const Expr* value) {
      std::vector<std::string> names;
      names_in(value, names);
      for (const auto& n : names) {
        int u = vertex_of(n);
        if (u >= 0) boost::add_edge(static_cast<std::size_t>(u), v, g);  // u is used by v
      }
    };
    for (std::size_t i = 0; i < nc; ++i) edges_from(i, rb_.consts[i].value.get());
    for (const auto& v : rb_.variants)  // a variant's value may use other constants too
      for (const auto& set : v.sets) {
        int u = vertex_of(set.name.text);
        if (u >= 0 && static_cast<std::size_t>(u) < nc) edges_from(static_cast<std::size_t>(u), set.value.get());
      }
    for (std::size_t i = 0; i < nl; ++i) edges_from(nc + i, rb_.lets[i].value.get());

    std::vector<int> component(nc + nl);
    int ncomp = boost::strong_components(g, component.data());
    std::vector<int> size(static_cast<std::size_t>(ncomp), 0);
    for (int c : component) ++size[static_cast<std::size_t>(c)];
    std::vector<bool> cyclic(nc + nl, false);
    auto name_of = [&](std::size_t v) -> const ast::Name& {
      return v < nc ? rb_.consts[v].name : rb_.lets[v - nc].name;
    };
    std::vector<bool> reported(static_cast<std::size_t>(ncomp), false);
    for (std::size_t v = 0; v < nc + nl; ++v) {
      int c = component[v];
      bool self = false;
      for (auto [ei, ee] = boost::out_edges(v, g); ei != ee; ++ei) self |= boost::target(*ei, g) == v;
      if (size[static_cast<std::size_t>(c)] < 2 && !self) continue;
      cyclic[v] = true;
      if (reported[static_cast<std::size_t>(c)]) continue;
      reported[static_cast<std::size_t>(c)] = true;
      // walk the cycle inside the component from v, following "uses" edges backwards
      // (v uses u  <=>  edge u -> v), so the path reads "v uses u uses ... uses v"
      std::vector<std::size_t> path{v};
      std::vector<bool> on_path(nc + nl, false);
      on_path[v] = true;
      std::size_t cur = v;
      for (;;) {
        std::size_t next = nc + nl;
        for (std::size_t u = 0; u < nc + nl && next == nc + nl; ++u) {
          if (component[u] != c) continue;
          if (boost::edge(u, cur, g).second && (u == v || !on_path[u])) next = u;
        }
        if (next == nc + nl || next == v) break;
        path.push_back(next);
        on_path[next] = true;
        cur = next;
      }
      std::string text;
      for (std::size_t p : path) text += name_of(p).text + " -> ";
      text += name_of(v).text;
      Diagnostic d{Severity::error, Code::E0501, name_of(v).span,
                   fmt::format("'{}' depends on itself: {}", name_of(v).text, text), {}};
      for (std::size_t k = 1; k < path.size(); ++k)
        d.notes.push_back({name_of(path[k]).span, fmt::format("'{}' is defined here", name_of(path[k]).text)});
      d_.add(std::move(d));
    }
    // topological order of the acyclic part
    std::vector<std::size_t> order;
    Graph dag(nc + nl);
    for (auto [ei, ee] = boost::edges(g); ei != ee; ++ei) {
      auto s = boost::source(*ei, g), t = boost::target(*ei, g);
      if (!cyclic[s] && !cyclic[t]) boost::add_edge(s, t, dag);
    }
    boost::topological_sort(dag, std::back_inserter(order));
    std::reverse(order.begin(), order.end());
    for (std::size_t v : order) {
      if (cyclic[v]) continue;
      if (v < nc) out_->const_order.push_back(static_cast<std::int32_t>(v));
      else out_->let_order.push_back(static_cast<std::int32_t>(v - nc));
    }
    const_checked_.assign(nc, false);
    let_checked_.assign(nl, false);
    for (std::size_t v = 0; v < nc + nl; ++v) {
      if (!cyclic[v]) continue;
      if (v < nc) const_checked_[v] = true;  // type stays error: no follow-on diagnostics
      else let_checked_[v - nc] = true;
      // what a definition in a cycle names is still used by it (no W0001 on top of E0501)
      std::vector<std::string> names;
      names_in(v < nc ? rb_.consts[v].value.get() : rb_.lets[v - nc].value.get(), names);
      for (const auto& n : names) {
        auto it = globals_.find(n);
        if (it == globals_.end()) continue;
        if (it->second.kind == Binding::Kind::let) ++used_let_[it->second.index];
        if (it->second.kind == Binding::Kind::constant) ++used_const_[it->second.index];
      }
      mark_tables(v < nc ? rb_.consts[v].value.get() : rb_.lets[v - nc].value.get());
    }
  }

  // ------------------------------------------------------------ constants
  /// Folds a constant expression to its runtime value; nullopt when it is not constant.
  std::optional<std::int64_t> fold(const Expr& e) const { return fold_constant(e, *out_); }

  /// Checks and folds a constant expression of an expected type.
  std::optional<std::int64_t> constant(const Expr& e, Type want, const std::string& what) {
    Scope s;
    s.constant = true;
    Type t = expr(e, s, want);
    if (t.kind == TypeKind::error) return std::nullopt;
    auto fits = types::unify(want, false, t, types::is_bare_number(e));
    if (want.kind != TypeKind::error && (!fits || *fits != want)) {
      d_.error(Code::E0301, e.span, fmt::format("{} must be {}, not {}", what, tname(want), tname(t)));
      return std::nullopt;
    }
    auto v = fold(e);
    if (!v) fold_failure(e, what);
    return v;
  }

  /// Every name in e is a constant (so a failed fold is arithmetic, not a missing constant).
  bool all_constant(const Expr& e) const {
    if (e.kind == ExprKind::name) {
      auto k = out_->bindings[e.id].kind;
      return k == Binding::Kind::constant || k == Binding::Kind::member;
    }
    if (e.kind == ExprKind::aggregate || e.kind == ExprKind::call || e.kind == ExprKind::lookup ||
        e.kind == ExprKind::within)
      return false;
    for (const auto& a : e.args)
      if (a && !all_constant(*a)) return false;
    return true;
  }

  void fold_failure(const Expr& e, const std::string& what) {
    if (all_constant(e))
      d_.error(Code::E0305, e.span, fmt::format("{} leaves the range of numbers (about ±9.2e12)", what));
    else
      d_.error(Code::E0307, e.span, fmt::format("{} must be a constant", what));
  }

  void consts() {
    for (std::int32_t i : out_->const_order) {
      const auto& c = rb_.consts[i];
      Scope s;
      s.constant = true;
      Type t = expr(*c.value, s, Type{});
      out_->const_types[i] = t;
      const_checked_[i] = true;
      if (t.kind == TypeKind::error) continue;
      auto v = fold(*c.value);
      if (!v) fold_failure(*c.value, fmt::format("const '{}'", c.name.text));
      else out_->const_values[i] = *v;
      if (const ast::VariantSet* set = variant_value(static_cast<std::size_t>(i))) {
        if (auto w = variant_constant(*set, t)) out_->const_values[i] = *w;
      }
    }
  }

  // ------------------------------------------------------------ tables
  struct Interval {
    std::int64_t lo, hi;
    bool lo_closed, hi_closed;
    Span span;
  };

  std::optional<std::int64_t> bound_value(const ast::Bound& b, Type key) {
    if (b.infinite) return b.negative ? INT64_MIN : INT64_MAX;
    auto v = types::bound_value(b);
    if (!v) {
      d_.error(Code::E0102, b.span,
               b.percent && decimal::parse(b.text)
                   ? fmt::format("'{}%' has more than 6 decimals as a ratio", b.text)
                   : fmt::format("'{}' is not a number with at most 6 decimals", b.text));
      return std::nullopt;
    }
    if (key.kind == TypeKind::integer && *v % decimal::kScale != 0) {
      d_.error(Code::E0301, b.span, fmt::format("'{}' is not a whole number, but the values compared are integers", b.text));
      return std::nullopt;
    }
    return v;
  }

  std::optional<Interval> interval(const ast::Band& band, Type key) {
    auto lo = bound_value(band.lo, key), hi = bound_value(band.hi, key);
    if (!lo || !hi) return std::nullopt;
    Interval iv{*lo, *hi, band.lo_closed || band.lo.infinite, band.hi_closed || band.hi.infinite, band.span};
    if (band.lo.infinite && !band.lo.negative) {
      d_.error(Code::E0410, band.span, "a band cannot start at +inf");
      return std::nullopt;
    }
    if (band.hi.infinite && band.hi.negative) {
      d_.error(Code::E0410, band.span, "a band cannot end at -inf");
      return std::nullopt;
    }
    if (iv.lo > iv.hi || (iv.lo == iv.hi && !(iv.lo_closed && iv.hi_closed))) {
      d_.error(Code::E0410, band.span, "this band contains no value");
      return std::nullopt;
    }
    return iv;
  }

  static std::string bound_text(std::int64_t v) {
    if (v == INT64_MIN) return "-inf";
    if (v == INT64_MAX) return "inf";
    return decimal::format(v);
  }

  /// Sorted intervals: reports overlaps (E0402 or E0403) and returns the gaps as text.
  /// `descending`: the intervals were written highest first (tiers), so an
  /// overlap is reported on the lower one, the later as written.
  std::vector<std::string> gaps_and_overlaps(std::vector<Interval> ivs, Code overlap_code, const char* what,
                                             bool descending = false) {
    std::sort(ivs.begin(), ivs.end(), [](const Interval& a, const Interval& b) {
      if (a.lo != b.lo) return a.lo < b.lo;
      return a.lo_closed && !b.lo_closed;
    });
    std::vector<std::string> gaps;
    // the covered region so far ends at `end` (inclusive when end_closed)
    std::int64_t end = INT64_MIN;
    bool end_closed = false;
    bool first = true;
    const Interval* prev = nullptr;
    for (const auto& iv : ivs) {
      if (first) {
        if (iv.lo != INT64_MIN || !iv.lo_closed)
          gaps.push_back(fmt::format("(-inf, {}{}", bound_text(iv.lo), iv.lo_closed ? ")" : "]"));
        first = false;
      } else {
        bool overlap = iv.lo < end || (iv.lo == end && iv.lo_closed && end_closed);
        bool gap = iv.lo > end || (iv.lo == end && !iv.lo_closed && !end_closed);
        if (overlap) {
          Span at = descending && prev ? prev->span : iv.span;
          Span other = descending && prev ? iv.span : (prev ? prev->span : Span{});
          Diagnostic d{Severity::error, overlap_code, at, fmt::format("{} overlaps the one before it", what), {}};
          if (prev) d.notes.push_back({other, "the other one"});
          d_.add(std::move(d));
        } else if (gap) {
          gaps.push_back(fmt::format("{}{}, {}{}", end_closed ? "(" : "[", bound_text(end), bound_text(iv.lo),
                                     iv.lo_closed ? ")" : "]"));
        }
      }
      if (iv.hi > end || (iv.hi == end && iv.hi_closed)) {
        end = iv.hi;
        end_closed = iv.hi_closed;
      }
      prev = &iv;
    }
    if (first) gaps.push_back("(-inf, inf)");
    else if (end != INT64_MAX || !end_closed)
      gaps.push_back(fmt::format("{}{}, inf)", end_closed ? "(" : "[", bound_text(end)));
    return gaps;
  }

  void tables() {
    out_->table_key_types.assign(rb_.tables.size(), Type{});
    out_->table_value_types.assign(rb_.tables.size(), Type{});
    out_->table_enum.assign(rb_.tables.size(), -1);
    for (std::size_t ti = 0; ti < rb_.tables.size(); ++ti) {
      const auto& t = rb_.tables[ti];
      auto key = resolve_type(t.key_type);
      auto val = resolve_type(t.value_type);
      if (!key || !val) continue;
      out_->table_key_types[ti] = *key;
      out_->table_value_types[ti] = *val;
      const bool by_enum = key->kind == TypeKind::enumeration;
      if (!by_enum && !key->is_numeric()) {
        d_.error(Code::E0301, t.key_type.span,
                 fmt::format("a table is keyed by an enum, a scale or a number, not {}", tname(*key)));
        continue;
      }
      if (by_enum) out_->table_enum[ti] = key->enum_index;
      std::vector<Interval> bands;
      std::vector<bool> covered(by_enum ? schema().enums[key->enum_index].members.size() : 0, false);
      const ast::TableRow* otherwise = nullptr;
      for (const auto& row : t.rows) {
        if (row.value) {
          auto v = constant(*row.value, *val, "a table value");
          (void)v;
        }
        switch (row.kind) {
          case ast::TableRow::Kind::otherwise:
            if (otherwise) d_.error(Code::E0402, row.span, "a second 'otherwise' row");
            otherwise = &row;
            break;
          case ast::TableRow::Kind::band:
            if (by_enum) {
              d_.error(Code::E0301, row.band.span,
                       fmt::format("'{}' is keyed by {}: rows name members, not bands", t.name.text, tname(*key)));
            } else if (auto iv = interval(row.band, *key)) {
              bands.push_back(*iv);
            }
            break;
          case ast::TableRow::Kind::keys:
            if (!by_enum) {
              d_.error(Code::E0301, row.span,
                       fmt::format("'{}' is keyed by {}: rows are bands such as [0, 365)", t.name.text, tname(*key)));
              break;
            }
            for (const auto& k : row.keys) {
              const auto& en = schema().enums[key->enum_index];
              auto it = std::find(en.members.begin(), en.members.end(), k.text);
              if (it == en.members.end()) {
                d_.error(Code::E0203, k.span,
                         fmt::format("'{}' is not a member of {}{}", k.text, en.name, suggest(k.text, en.members)));
                continue;
              }
              auto code = static_cast<std::size_t>(it - en.members.begin());
              if (covered[code])
                d_.error(Code::E0402, k.span, fmt::format("'{}' appears in two rows", k.text));
              covered[code] = true;
            }
            break;
        }
      }
      std::vector<std::string> missing;
      if (by_enum) {
        const auto& en = schema().enums[key->enum_index];
        for (std::size_t m = 0; m < covered.size(); ++m)
          if (!covered[m]) missing.push_back(en.members[m]);
      } else {
        missing = gaps_and_overlaps(bands, Code::E0402, "this band");
      }
      if (!missing.empty() && !otherwise) {
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        d_.error(Code::E0401, t.name.span,
                 fmt::format("table '{}' has no value for {}; add rows or an 'otherwise' row", t.name.text, list));
      } else if (missing.empty() && otherwise) {
        d_.warning(Code::W0003, otherwise->span, "every key is already covered: this 'otherwise' row never applies");
      }
    }
  }

  // ------------------------------------------------------------ lets
  void let_type(std::int32_t i) {
    if (let_checked_[i]) return;
    let_checked_[i] = true;
    Scope s;
    out_->let_types[i] = expr(*rb_.lets[i].value, s, Type{});
  }

  void lets() {
    for (std::int32_t i : out_->let_order) let_type(i);
  }

  // ------------------------------------------------------------ expressions
  Type error_type() { return Type{}; }

  Type mismatch(const Expr& at, const std::string& msg, Code code = Code::E0301) {
    d_.error(code, at.span, msg);
    return Type{};
  }

  bool want_bool(const Expr& e, Type t, const char* where) {
    if (t.kind == TypeKind::error || t.kind == TypeKind::boolean) return true;
    d_.error(Code::E0304, e.span, fmt::format("{} must be true or false, but this is {}", where, tname(t)));
    return false;
  }

  std::vector<std::string> visible_names(const Scope& s) {
    std::vector<std::string> c;
    for (auto& [k, g] : globals_) {
      if (g.kind == Binding::Kind::record_field && !s.in_aggregate) continue;
      if (g.kind == Binding::Kind::table) continue;
      c.push_back(k);
    }
    c.push_back("as_of");
    std::sort(c.begin(), c.end());
    return c;
  }

  std::string kind_list(std::uint64_t mask) {
    std::string s;
    for (std::size_t k = 0; k < schema().kinds.size(); ++k)
      if (mask >> k & 1) s += (s.empty() ? "" : ", ") + schema().kinds[k];
    return s;
  }

  Type name(const Expr& e, const Scope& s, Type hint) {
    if (e.text == "score") return score_name(e, s);
    // a member of the enum the context expects
    if (hint.kind == TypeKind::enumeration) {
      const auto& en = schema().enums[hint.enum_index];
      auto it = std::find(en.members.begin(), en.members.end(), e.text);
      if (it != en.members.end() && !(globals_.count(e.text) &&
                                      globals_.at(e.text).kind == Binding::Kind::record_field && s.in_aggregate)) {
        bind(e, {Binding::Kind::member, static_cast<std::int32_t>(it - en.members.begin()), hint.enum_index});
        if (static_cast<std::size_t>(hint.enum_index) < used_enum_.size()) ++used_enum_[hint.enum_index];
        return hint;
      }
    }
    if (hint.kind == TypeKind::kind) {
      int k = schema().kind_index(e.text);
      if (k >= 0) {
        bind(e, {Binding::Kind::member, k, -1});
        return hint;
      }
    }
    if (s.penalty >= 0 && penalty_name(e, s)) return out_->types[e.id];
    if (e.text == "as_of" && !globals_.count("as_of") && s.penalty < 0) {
      if (s.constant) return mismatch(e, "'as_of' is not a constant", Code::E0307);
      bind(e, {Binding::Kind::as_of, 0, -1});
      return Type::of(TypeKind::date);
    }
    auto it = globals_.find(e.text);
    if (it != globals_.end()) {
      const Global& g = it->second;
      bind(e, {g.kind, g.index, -1});
      if (s.constant && g.kind != Binding::Kind::constant)
        return mismatch(e, fmt::format("'{}' is not a constant", e.text), Code::E0307);
      switch (g.kind) {
        case Binding::Kind::subject_field: return schema().subject_fields[g.index].type;
        case Binding::Kind::record_field: {
          if (!s.in_aggregate)
            return mismatch(e, fmt::format("'{}' is a record field: use it inside an aggregation such as "
                                           "sum(... over kind) or count(kind where ...)", e.text),
                            Code::E0208);
          const auto& f = schema().record_fields[g.index];
          std::uint64_t lacking = s.kinds & ~f.kinds;
          if (lacking)
            return mismatch(e, fmt::format("field '{}' exists only for {}, but this aggregation also covers {}",
                                           e.text, kind_list(f.kinds), kind_list(lacking)),
                            Code::E0207);
          return f.type;
        }
        case Binding::Kind::kind:
          if (!s.in_aggregate)
            return mismatch(e, fmt::format("'{}' is the record kind: use it inside an aggregation", e.text),
                            Code::E0208);
          return Type::of(TypeKind::kind);
        case Binding::Kind::key:
          return mismatch(e, fmt::format("'{}' is the subject id and cannot be computed with", e.text));
        case Binding::Kind::constant:
          ++used_const_[g.index];
          return out_->const_types[g.index];
        case Binding::Kind::let:
          ++used_let_[g.index];
          let_type(g.index);
          return out_->let_types[g.index];
        case Binding::Kind::table:
          ++used_table_[g.index];
          return mismatch(e, fmt::format("'{}' is a table: look a value up with {}[key]", e.text, e.text));
        case Binding::Kind::input:
          if (s.penalty < 0)
            return mismatch(e, fmt::format("'{}' is a breach input: use it in a penalty rule", e.text), Code::E0707);
          return schema().breach_fields[g.index].type;
        default: break;
      }
    }
    // a member of exactly one enum
    std::int32_t found_enum = -1, found_code = -1, count = 0;
    for (std::size_t ei = 0; ei < schema().enums.size(); ++ei) {
      const auto& en = schema().enums[ei];
      auto mit = std::find(en.members.begin(), en.members.end(), e.text);
      if (mit != en.members.end()) {
        ++count;
        found_enum = static_cast<std::int32_t>(ei);
        found_code = static_cast<std::int32_t>(mit - en.members.begin());
      }
    }
    if (count == 1) {
      bind(e, {Binding::Kind::member, found_code, found_enum});
      if (static_cast<std::size_t>(found_enum) < used_enum_.size()) ++used_enum_[found_enum];
      return Type::enumeration_of(found_enum);
    }
    if (count > 1)
      return mismatch(e, fmt::format("'{}' is a member of several enums; compare it with a field to say which",
                                     e.text),
                      Code::E0203);
    if (schema().kind_index(e.text) >= 0)
      return mismatch(e, fmt::format("'{}' is a record kind; aggregate over it, e.g. count({})", e.text, e.text),
                      Code::E0203);
    return mismatch(e, fmt::format("unknown name '{}'{}", e.text, suggest(e.text, visible_names(s))), Code::E0203);
  }

  Type number(const Expr& e) {
    auto v = decimal::parse(e.text);
    if (!v) return mismatch(e, fmt::format("'{}' is not a number with at most 6 decimals", e.text), Code::E0102);
    Type t = types::literal_type(e);
    if (e.unit == ast::Unit::percent && *v % 100 != 0)
      return mismatch(e, fmt::format("'{}%' has more than 6 decimals as a ratio", e.text), Code::E0102);
    if ((e.unit == ast::Unit::months || e.unit == ast::Unit::years) && *v % decimal::kScale != 0)
      return mismatch(e, "a number of months or years must be whole", Code::E0102);
    return t;
  }

  Type call(const Expr& e, const Scope& s, Type hint) {
    const std::string& f = e.text;
    static const std::vector<std::string> known = {"min", "max", "clamp", "abs", "age", "year"};
    auto arity = [&](std::size_t lo, std::size_t hi) {
      if (e.args.size() < lo || e.args.size() > hi) {
        d_.error(Code::E0303, e.span,
                 lo == hi ? fmt::format("'{}' takes {} argument{}", f, lo, lo == 1 ? "" : "s")
                          : fmt::format("'{}' takes {} to {} arguments", f, lo, hi));
        return false;
      }
      return true;
    };
    if (f == "min" || f == "max" || f == "clamp") {
      if (!arity(f == "clamp" ? 3 : 2, f == "clamp" ? 3 : 64)) return error_type();
      Type t = expr(*e.args[0], s, hint);
      bool bare = types::is_bare_number(*e.args[0]);
      for (std::size_t i = 1; i < e.args.size(); ++i) {
        Type u = expr(*e.args[i], s, t);
        bool ub = types::is_bare_number(*e.args[i]);
        auto r = types::unify(t, bare, u, ub);
        if (!r || !(r->is_numeric() || r->kind == TypeKind::date || r->kind == TypeKind::error))
          return mismatch(*e.args[i], fmt::format("'{}' needs numbers or dates of one unit, not {} and {}", f,
                                                  tname(t), tname(u)),
                          Code::E0302);
        t = *r;
        bare = bare && ub;
      }
      bind(e, {Binding::Kind::function, 0, -1});
      return t;
    }
    if (f == "abs") {
      if (!arity(1, 1)) return error_type();
      Type t = expr(*e.args[0], s, hint);
      if (t.kind != TypeKind::error && !t.is_numeric())
        return mismatch(*e.args[0], fmt::format("'abs' needs a number, not {}", tname(t)));
      bind(e, {Binding::Kind::function, 0, -1});
      return t;
    }
    if (f == "age") {
      if (!arity(1, 1)) return error_type();
      if (s.penalty >= 0) return mismatch(e, "a penalty rule has no evaluation date: compare with 'date', the breach's date");
      if (s.constant) return mismatch(e, "'age' depends on the evaluation date and is not a constant", Code::E0307);
      Type t = expr(*e.args[0], s, Type::of(TypeKind::date));
      if (t.kind != TypeKind::error && t.kind != TypeKind::date)
        return mismatch(*e.args[0], fmt::format("'age' needs a date, not {}", tname(t)));
      bind(e, {Binding::Kind::function, 0, -1});
      return Type::of(TypeKind::days);
    }
    if ((f == "prior" || f == "after_ban") && s.penalty >= 0) return history(e, s);
    if (f == "year") return year_call(e, s, arity);
    if (f == "sum" || f == "count" || f == "any" || f == "all")
      return mismatch(e, fmt::format("'{}' aggregates records: write {}", f,
                                     f == "sum" ? "sum(value over kind where condition)"
                                                : fmt::format("{}(kind where condition)", f)),
                      Code::E0209);
    d_.error(Code::E0209, e.name_span.empty() ? e.span : e.name_span,
             fmt::format("unknown function '{}'{}", f, suggest(f, known)));
    return error_type();
  }

  Type aggregate(const Expr& e, const Scope& outer) {
    if (outer.constant) return mismatch(e, "an aggregation is not a constant", Code::E0307);
    if (outer.penalty >= 0)
      return mismatch(e, "a penalty rule reads one breach, not records; its history is prior(...) and after_ban(...)");
    if (outer.in_aggregate)
      return mismatch(e, "aggregations cannot nest; compute the inner one in a 'let'", Code::E0413);
    Scope s;
    s.in_aggregate = true;
    s.score_visible = outer.score_visible;
    if (e.kinds.empty()) {
      s.kinds = schema().kinds.size() >= 64 ? ~0ull : (1ull << schema().kinds.size()) - 1;
    }
    bool kinds_ok = true;
    for (const auto& k : e.kinds) {
      int ki = schema().kind_index(k.text);
      if (ki < 0) {
        d_.error(Code::E0204, k.span, fmt::format("unknown record kind '{}'{}", k.text, suggest(k.text, schema().kinds)));
        kinds_ok = false;  // go on checking the body with the kinds that exist
        continue;
      }
      s.kinds |= 1ull << ki;
    }
    Type t = aggregate_body(e, outer, s);
    return kinds_ok ? t : error_type();
  }

  Type aggregate_body(const Expr& e, const Scope& outer, Scope& s) {
    if (e.where) want_bool(*e.where, expr(*e.where, s, Type::of(TypeKind::boolean)), "a 'where' condition");
    const std::string& f = e.text;
    bind(e, {Binding::Kind::function, 0, -1});
    if (f == "count") return Type::of(TypeKind::integer);
    if (f == "any" || f == "all") {
      if (f == "all" && !e.where)
        return mismatch(e, "'all' needs a condition: all(kind where condition)", Code::E0101);
      return Type::of(TypeKind::boolean);
    }
    if (e.args.empty() || !e.args[0]) return error_type();
    Type t = expr(*e.args[0], s, Type{});
    if (t.kind == TypeKind::error) return t;
    if (f == "sum" && !t.is_numeric())
      return mismatch(*e.args[0], fmt::format("'sum' adds numbers, not {}", tname(t)));
    if ((f == "min" || f == "max") && !t.is_numeric() && t.kind != TypeKind::date)
      return mismatch(*e.args[0], fmt::format("'{}' needs numbers or dates, not {}", f, tname(t)));
    if (f == "min" || f == "max") {
      if (!e.otherwise)
        return mismatch(e, fmt::format("'{}' over records needs a value for subjects with none: "
                                       "{}(value over kind otherwise 0)", f, f),
                        Code::E0409);
      Type o = expr(*e.otherwise, outer, t);
      auto u = types::unify(t, false, o, types::is_bare_number(*e.otherwise));
      if (!u || *u != t)
        return mismatch(*e.otherwise, fmt::format("the 'otherwise' value must be {}, not {}", tname(t), tname(o)));
    } else if (e.otherwise) {
      return mismatch(*e.otherwise, "only min and max take an 'otherwise' value", Code::E0101);
    }
    return t;
  }

  bool is_member_or_kind(const std::string& n) {
    if (schema().kind_index(n) >= 0) return true;
    for (const auto& en : schema().enums)
      if (std::find(en.members.begin(), en.members.end(), n) != en.members.end()) return true;
    return false;
  }

  Type binary(const Expr& e, const Scope& s, Type hint) {
    const std::string& op = e.text;
    const Expr& l = *e.args[0];
    const Expr& r = *e.args[1];
    if (op == "and" || op == "or") {
      want_bool(l, expr(l, s, Type::of(TypeKind::boolean)), fmt::format("'{}' operand", op).c_str());
      want_bool(r, expr(r, s, Type::of(TypeKind::boolean)), fmt::format("'{}' operand", op).c_str());
      return Type::of(TypeKind::boolean);
    }
    bool cmp = op == "=" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=";
    // the right side can take its meaning from the left (severity = grave), and vice versa
    Type lt = expr(l, s, cmp ? Type{} : hint);
    if (cmp && lt.kind == TypeKind::error && r.kind == ExprKind::name && is_member_or_kind(r.text))
      return Type::of(TypeKind::boolean);  // the left side has its diagnostic; the right one has no context
    Type rt = expr(r, s, lt.kind != TypeKind::error ? lt : hint);
    if (lt.kind == TypeKind::error && l.kind == ExprKind::name && rt.kind == TypeKind::enumeration) {
      // nothing to do: the left side already reported
    }
    if (lt.kind == TypeKind::error || rt.kind == TypeKind::error) return cmp ? Type::of(TypeKind::boolean) : Type{};
    bool lb = types::is_bare_number(l), rb = types::is_bare_number(r);
    if (cmp) {
      auto u = types::unify(lt, lb, rt, rb);
      if (!u || u->kind == TypeKind::period || u->kind == TypeKind::string)
        return mismatch(e, fmt::format("cannot compare {} with {}", tname(lt), tname(rt)), Code::E0302);
      bool ordering = op != "=" && op != "!=";
      if (ordering) {
        bool ordered = u->is_numeric() || u->kind == TypeKind::date ||
                       (u->kind == TypeKind::enumeration && schema().enums[u->enum_index].ordered);
        if (!ordered)
          return mismatch(e, fmt::format("'{}' orders values, but {} has no order{}", op, tname(*u),
                                         u->kind == TypeKind::enumeration ? " (declare it as a scale)" : ""),
                          Code::E0306);
      }
      return Type::of(TypeKind::boolean);
    }
    if (lt.kind == TypeKind::period || rt.kind == TypeKind::period)
      return mismatch(e, "months and years only measure 'within', e.g. decided_on within 2 years", Code::E0302);
    auto res = types::arithmetic(op[0], lt, lb, rt, rb);
    if (!res) {
      const char* verb = op == "+" ? "add" : op == "-" ? "subtract" : op == "*" ? "multiply" : "divide";
      return mismatch(e, fmt::format("cannot {} {} and {}", verb, tname(lt), tname(rt)), Code::E0302);
    }
    if (op == "/") {
      auto v = fold(r);
      if (v && *v == 0) return mismatch(r, "division by zero", Code::E0308);
    }
    return *res;
  }

  Type expr(const Expr& e, const Scope& s, Type hint) {
    Type t = expr_inner(e, s, hint);
    set(e, t);
    return t;
  }

  Type expr_inner(const Expr& e, const Scope& s, Type hint) {
    switch (e.kind) {
      case ExprKind::number: return number(e);
      case ExprKind::date:
        if (!date::parse(e.text))
          return mismatch(e, fmt::format("'{}' is not a calendar date", e.text), Code::E0102);
        return Type::of(TypeKind::date);
      case ExprKind::string:
        return mismatch(e, "a string is only a label; values are numbers, dates, bools or enum members");
      case ExprKind::boolean: return Type::of(TypeKind::boolean);
      case ExprKind::name: return name(e, s, hint);
      case ExprKind::lookup: {
        auto it = globals_.find(e.text);
        if (it == globals_.end() || it->second.kind != Binding::Kind::table) {
          std::vector<std::string> c;
          for (auto& [k, g] : globals_)
            if (g.kind == Binding::Kind::table) c.push_back(k);
          for (const auto& a : e.args) expr(*a, s, Type{});
          d_.error(Code::E0203, e.name_span.empty() ? e.span : e.name_span,
                   fmt::format("unknown table '{}'{}", e.text, suggest(e.text, c)));
          return error_type();
        }
        std::int32_t ti = it->second.index;
        ++used_table_[ti];
        bind(e, {Binding::Kind::table, ti, -1});
        Type key = out_->table_key_types[ti];
        Type kt = expr(*e.args[0], s, key);
        if (kt.kind != TypeKind::error && key.kind != TypeKind::error &&
            !types::unify(key, false, kt, types::is_bare_number(*e.args[0])))
          return mismatch(*e.args[0], fmt::format("table '{}' is keyed by {}, not {}", e.text, tname(key), tname(kt)));
        return out_->table_value_types[ti];
      }
      case ExprKind::call: return call(e, s, hint);
      case ExprKind::unary: {
        if (e.text == "not") {
          Type t = expr(*e.args[0], s, Type::of(TypeKind::boolean));
          want_bool(*e.args[0], t, "'not' operand");
          return Type::of(TypeKind::boolean);
        }
        Type t = expr(*e.args[0], s, hint);
        if (t.kind != TypeKind::error && !t.is_numeric())
          return mismatch(e, fmt::format("cannot negate {}", tname(t)));
        return t;
      }
      case ExprKind::binary: return binary(e, s, hint);
      case ExprKind::if_else: {
        want_bool(*e.args[0], expr(*e.args[0], s, Type::of(TypeKind::boolean)), "an 'if' condition");
        Type a = expr(*e.args[1], s, hint);
        Type b = expr(*e.args[2], s, a.kind != TypeKind::error ? a : hint);
        auto u = types::unify(a, types::is_bare_number(*e.args[1]), b, types::is_bare_number(*e.args[2]));
        if (!u) return mismatch(e, fmt::format("'then' gives {} but 'else' gives {}", tname(a), tname(b)));
        return *u;
      }
      case ExprKind::in_band: {
        Type t = expr(*e.args[0], s, Type{});
        if (t.kind == TypeKind::error) return Type::of(TypeKind::boolean);
        if (!t.is_numeric())
          return mismatch(*e.args[0], fmt::format("'in' needs a number, not {}", tname(t)));
        interval(e.band, t);
        return Type::of(TypeKind::boolean);
      }
      case ExprKind::within: {
        if (s.constant) return mismatch(e, "'within' depends on the evaluation date", Code::E0307);
        Type d = expr(*e.args[0], s, Type::of(TypeKind::date));
        Type p = expr(*e.args[1], s, Type::of(TypeKind::days));
        if (d.kind != TypeKind::error && d.kind != TypeKind::date)
          return mismatch(*e.args[0], fmt::format("'within' needs a date on its left, not {}", tname(d)));
        if (p.kind == TypeKind::period) {
          if (!fold(*e.args[1]))
            return mismatch(*e.args[1], "a period of months or years must be a constant", Code::E0307);
        } else if (p.kind != TypeKind::error && p.kind != TypeKind::days) {
          return mismatch(*e.args[1], fmt::format("'within' needs days, months or years, not {}", tname(p)),
                          Code::E0302);
        }
        return Type::of(TypeKind::boolean);
      }
      case ExprKind::aggregate: return aggregate(e, s);
    }
    return Type{};
  }

  // ------------------------------------------------------------ sections
  void measures() {
    used_measure_.assign(rb_.measures.size(), 0);
    for (std::size_t i = 0; i < rb_.measures.size(); ++i) {
      const auto& m = rb_.measures[i];
      auto [it, fresh] = measures_.emplace(m.name.text, static_cast<std::int32_t>(i));
      if (!fresh) dup(m.incentive ? "incentive" : "measure", m.name, rb_.measures[it->second].name.span);
      basis_text(m.basis);
    }
  }

  void score() {
    if (rb_.scores.empty()) {
      if (!penalty_only_) d_.error(Code::E0405, rb_.header.span, "the rulebook has no 'score' section");
      return;
    }
    for (std::size_t i = 1; i < rb_.scores.size(); ++i)
      d_.error(Code::E0411, rb_.scores[i].span, "a second 'score' section");
    const auto& sc = rb_.scores[0];
    std::unordered_map<std::string, Span> names;
    std::unordered_map<std::string, int> group_sign;  // +1 add, -1 deduct, 0 mixed (reported)
    std::unordered_map<std::string, Span> caps;
    int starts = 0, clamps = 0;
    auto points = [&](const Expr& e, const char* what) {
      Scope s;
      Type t = expr(e, s, Type::of(TypeKind::decimal));
      if (t.kind != TypeKind::error && t.kind != TypeKind::integer && t.kind != TypeKind::decimal)
        d_.error(Code::E0301, e.span, fmt::format("{} must be a plain number of points, not {}", what, tname(t)));
    };
    for (const auto& it : sc.items) {
      switch (it.kind) {
        case ast::ScoreItem::Kind::start:
          if (++starts > 1) d_.error(Code::E0411, it.span, "a second 'start at'");
          if (it.value) points(*it.value, "the start");
          break;
        case ast::ScoreItem::Kind::add:
        case ast::ScoreItem::Kind::deduct: {
          auto [n, fresh] = names.emplace(it.name.text, it.name.span);
          if (!fresh) dup("contribution", it.name, n->second);
          if (it.value) points(*it.value, "a contribution");
          if (it.group) {
            int sign = it.kind == ast::ScoreItem::Kind::add ? 1 : -1;
            auto [g, gfresh] = group_sign.emplace(it.group->text, sign);
            if (!gfresh && g->second != sign && g->second != 0) {
              d_.error(Code::E0406, it.group->span,
                       fmt::format("group '{}' mixes additions and deductions; a cap needs one direction",
                                   it.group->text));
              g->second = 0;
            }
          }
          break;
        }
        case ast::ScoreItem::Kind::cap: {
          auto [c, fresh] = caps.emplace(it.name.text, it.name.span);
          if (!fresh) dup("cap on group", it.name, c->second);
          if (it.value) {
            points(*it.value, "a cap");
            auto v = fold(*it.value);
            if (v && *v < 0) d_.error(Code::E0305, it.value->span, "a cap limits a group's total and cannot be negative");
          }
          break;
        }
        case ast::ScoreItem::Kind::clamp:
          if (++clamps > 1) d_.error(Code::E0411, it.span, "a second 'clamp'");
          if (it.value) points(*it.value, "the clamp's low end");
          if (it.high) points(*it.high, "the clamp's high end");
          if (it.value && it.high) {
            auto lo = fold(*it.value), hi = fold(*it.high);
            if (lo && hi && *lo > *hi) d_.error(Code::E0305, it.span, "the clamp's low end lies above its high end");
          }
          break;
      }
    }
    if (starts == 0) d_.error(Code::E0405, sc.span, "the score has no 'start at'");
    for (const auto& it : sc.items) {
      if (it.kind != ast::ScoreItem::Kind::cap) continue;
      if (!group_sign.count(it.name.text)) {
        std::vector<std::string> c;
        for (auto& [k, v] : group_sign) c.push_back(k);
        d_.error(Code::E0203, it.name.span,
                 fmt::format("no contribution is in group '{}'{}", it.name.text, suggest(it.name.text, c)));
      }
    }
  }

  void tiers() {
    if (rb_.tiers.empty()) {
      if (!penalty_only_) d_.error(Code::E0405, rb_.header.span, "the rulebook has no 'tiers' section");
      return;
    }
    for (std::size_t i = 1; i < rb_.tiers.size(); ++i)
      d_.error(Code::E0411, rb_.tiers[i].span, "a second 'tiers' section");
    const auto& ts = rb_.tiers[0].tiers;
    if (ts.empty()) {
      d_.error(Code::E0405, rb_.tiers[0].span, "'tiers' lists no tier");
      return;
    }
    std::vector<Interval> ivs;
    std::vector<std::size_t> ladder;  // the tiers with a band, by position in ts
    for (std::size_t i = 0; i < ts.size(); ++i)
      if (!ts[i].by_override) ladder.push_back(i);
    bool bands_ok = true;
    for (std::size_t i = 0; i < ts.size(); ++i) {
      const auto& t = ts[i];
      auto [it, fresh] = tier_index_.emplace(t.name.text, static_cast<std::int32_t>(i));
      if (!fresh) dup("tier", t.name, ts[it->second].name.span);
      if (t.by_override) continue;
      auto iv = interval(t.band, Type::of(TypeKind::decimal));
      if (iv) ivs.push_back(*iv);
      else bands_ok = false;
      if (t.requires_) {
        Scope s;
        s.score_visible = true;
        want_bool(*t.requires_, expr(*t.requires_, s, Type::of(TypeKind::boolean)), "a tier requirement");
        if (i == ladder.back())
          d_.error(Code::E0407, t.requires_->span,
                   "the lowest tier cannot have a requirement: a subject that fails it would have no tier");
      }
    }
    if (ladder.empty()) {
      d_.error(Code::E0602, rb_.tiers[0].span, "every tier is 'by override': at least one tier needs a band of scores");
      return;
    }
    if (!bands_ok) return;
    // best first means descending bands, each starting where the next one ends
    for (std::size_t i = 0; i + 1 < ivs.size(); ++i) {
      const Interval& hi = ivs[i];
      const Interval& lo = ivs[i + 1];
      if (lo.lo > hi.lo || (lo.lo == hi.lo && lo.lo_closed && !hi.lo_closed)) {
        const ast::Tier& upper = ts[ladder[i]];
        const ast::Tier& lower = ts[ladder[i + 1]];
        Diagnostic d{Severity::error, Code::E0403, lower.band.span,
                     fmt::format("tiers go from best to worst: '{}' must lie below '{}'", lower.name.text,
                                 upper.name.text),
                     {}};
        d_.add(std::move(d));
        return;
      }
    }
    auto gaps = gaps_and_overlaps(ivs, Code::E0403, "this tier's band", true);
    // the score only ranges over the clamp, when there is a constant one
    std::int64_t smin = INT64_MIN, smax = INT64_MAX;
    if (!rb_.scores.empty()) {
      for (const auto& it : rb_.scores[0].items) {
        if (it.kind == ast::ScoreItem::Kind::clamp && it.value && it.high) {
          auto lo = fold(*it.value), hi = fold(*it.high);
          if (lo && hi) {
            smin = *lo;
            smax = *hi;
          }
        }
      }
    }
    std::vector<std::string> real_gaps;
    for (std::size_t i = 0; i < ivs.size(); ++i) (void)i;
    for (const auto& g : gaps) {
      // keep the gaps that intersect [smin, smax]
      auto comma = g.find(',');
      std::string a = g.substr(1, comma - 1), b = g.substr(comma + 2, g.size() - comma - 3);
      std::int64_t ga = a == "-inf" ? INT64_MIN : decimal::parse(a).value_or(INT64_MIN);
      std::int64_t gb = b == "inf" ? INT64_MAX : decimal::parse(b).value_or(INT64_MAX);
      bool ga_open = g.front() == '(', gb_open = g.back() == ')';
      bool before = gb < smin || (gb == smin && gb_open);
      bool after = ga > smax || (ga == smax && ga_open);
      if (!before && !after) real_gaps.push_back(g);
    }
    if (!real_gaps.empty()) {
      std::string list;
      for (const auto& g : real_gaps) list += (list.empty() ? "" : ", ") + g;
      d_.error(Code::E0403, rb_.tiers[0].span, fmt::format("no tier covers scores in {}", list));
    }
  }

  std::int32_t tier(const ast::Name& n) {
    auto it = tier_index_.find(n.text);
    if (it != tier_index_.end()) return it->second;
    std::vector<std::string> c;
    for (auto& [k, v] : tier_index_) c.push_back(k);
    d_.error(Code::E0205, n.span, fmt::format("unknown tier '{}'{}", n.text, suggest(n.text, c)));
    return -1;
  }

  void overrides() {
    std::unordered_map<std::string, Span> names;
    std::size_t count = 0;
    for (const auto& block : rb_.overrides) {
      for (const auto& o : block) {
        ++count;
        auto [it, fresh] = names.emplace(o.name.text, o.name.span);
        if (!fresh) dup("override", o.name, it->second);
        std::int32_t t = tier(o.tier);
        if (o.when) {
          Scope s;
          s.score_visible = true;
          want_bool(*o.when, expr(*o.when, s, Type::of(TypeKind::boolean)), "an override condition");
        }
        basis_text(o.basis);
        if (t < 0 || rb_.tiers.empty()) continue;
        if (o.action != ast::Override::Action::force && rb_.tiers[0].tiers[t].by_override) {
          d_.error(Code::E0602, o.tier.span,
                   fmt::format("tier '{}' has no band, so it is not a limit: only 'force {}' gives it", o.tier.text,
                               o.tier.text));
          continue;
        }
        std::int32_t last = static_cast<std::int32_t>(rb_.tiers[0].tiers.size()) - 1;
        // at most the best tier, or at least the worst, can never move a tier
        if ((o.action == ast::Override::Action::at_most && t == 0) ||
            (o.action == ast::Override::Action::at_least && t == last))
          d_.warning(Code::W0002, o.tier.span,
                     fmt::format("every tier is already {} '{}': this override never changes a tier",
                                 o.action == ast::Override::Action::at_most ? "at most" : "at least", o.tier.text));
      }
    }
    if (count > kMaxOverrides)
      d_.error(Code::E0412, rb_.overrides.back().back().span,
               fmt::format("{} overrides; a rulebook may have at most {}", count, kMaxOverrides));
    unforced_tiers();
  }

  void supervision() {
    if (rb_.supervision.empty()) return;
    supervision_sections();
  }

  /// One supervision section: a row for every tier, each value in range.
  void supervision_section(const ast::Supervision& sv) {
    std::unordered_map<std::int32_t, Span> seen;
    for (const auto& row : sv.rows) {
      std::int32_t t = tier(row.tier);
      if (t >= 0) {
        auto [it, fresh] = seen.emplace(t, row.tier.span);
        if (!fresh) dup("supervision for tier", row.tier, it->second);
      }
      if (row.sampling) {
        auto v = constant(*row.sampling, Type::of(TypeKind::decimal), "a sampling ratio");
        if (v && (*v < 0 || *v > decimal::kScale))
          d_.error(Code::E0305, row.sampling->span, "a sampling ratio lies between 0% and 100%");
      }
      if (row.sampling_band) {
        if (row.sampling) d_.error(Code::E0411, row.sampling_band->span, "a second 'sampling' in this row");
        supervision_band(*row.sampling_band, true);
      }
      if (row.checks) supervision_band(*row.checks, false);
      if (row.interval) {
        auto v = constant(*row.interval, Type::of(TypeKind::days), "an inspection interval");
        if (v && (*v < 0 || *v % decimal::kScale != 0))
          d_.error(Code::E0305, row.interval->span, "an inspection interval is a whole, non-negative number of days");
      }
      auto check_ref = [&](const ast::Name& n, bool incentive) {
        auto it = measures_.find(n.text);
        if (it != measures_.end() && rb_.measures[it->second].incentive != incentive) {
          d_.error(Code::E0206, n.span,
                   fmt::format("'{}' is {}, not {}", n.text, incentive ? "a measure" : "an incentive",
                               incentive ? "an incentive" : "a measure"));
          return;
        }
        if (it == measures_.end()) {
          std::vector<std::string> c;
          for (const auto& m : rb_.measures)
            if (m.incentive == incentive) c.push_back(m.name.text);
          d_.error(Code::E0206, n.span,
                   fmt::format("'{}' is not a declared {}{}", n.text, incentive ? "incentive" : "measure",
                               suggest(n.text, c)));
          return;
        }
        ++used_measure_[it->second];
      };
      for (const auto& n : row.incentives) check_ref(n, true);
      for (const auto& n : row.measures) check_ref(n, false);
      for (const auto& c : row.conditional) {
        check_ref(c.name, c.incentive);
        conditional_measure(c);
      }
    }
    if (!rb_.tiers.empty()) {
      for (std::size_t i = 0; i < rb_.tiers[0].tiers.size(); ++i) {
        if (!seen.count(static_cast<std::int32_t>(i)))
          d_.error(Code::E0408, sv.span,
                   fmt::format("supervision says nothing for tier '{}'", rb_.tiers[0].tiers[i].name.text));
      }
    }
  }

  // ------------------------------------------------------------ penalties (rules/PENALTIES.md)
  void breaches() {
    for (std::size_t i = 1; i < rb_.breaches.size(); ++i)
      d_.error(Code::E0411, rb_.breaches[i].span, "a second 'breaches' section; declare all inputs in one");
    if (rb_.breaches.empty()) return;
    static const char* const kFixed[] = {"id", "party", "date", "penalty"};
    for (const auto& in : rb_.breaches[0].inputs) {
      if (std::find(std::begin(kFixed), std::end(kFixed), in.name.text) != std::end(kFixed)) {
        d_.error(Code::E0201, in.name.span,
                 fmt::format("'{}' is a fixed breach column (id, party, date, penalty); choose another name",
                             in.name.text));
        continue;
      }
      if (schema().breach_field(in.name.text) >= 0) {
        dup("breach input", in.name, schema().breach_fields[schema().breach_field(in.name.text)].span);
        continue;
      }
      Type t = resolve_type(in.type).value_or(Type{});
      std::int8_t order = in.order == ast::BreachInput::Order::increasing   ? 1
                          : in.order == ast::BreachInput::Order::decreasing ? -1
                                                                            : 0;
      bool orderable = t.is_numeric() || t.kind == TypeKind::boolean || t.kind == TypeKind::date ||
                       (t.kind == TypeKind::enumeration && schema().enums[t.enum_index].ordered);
      if (order != 0 && t.kind != TypeKind::error && !orderable)
        d_.error(Code::E0702, in.order_span,
                 fmt::format("'{}' is {}, which has no order; declare a scale to order its members", in.name.text,
                             tname(t)));
      if (t.kind == TypeKind::enumeration && schema().enums[t.enum_index].members.size() > kMaxInputMembers)
        d_.error(Code::E0708, in.type.span,
                 fmt::format("'{}' has {} members; a breach input's enum or scale has at most {}", tname(t),
                             schema().enums[t.enum_index].members.size(), kMaxInputMembers));
      schema().breach_fields.push_back({in.name.text, t, ~0ull, in.name.span, {}});
      schema().breach_order.push_back(order);
    }
  }

  /// A name inside a penalty rule: an earlier `define`, `level`, `date`. True when bound.
  bool penalty_name(const Expr& e, const Scope& s) {
    const auto& items = rb_.penalties[s.penalty].items;
    for (std::size_t i = s.item; i-- > 0;) {
      if (items[i].kind != ast::PenaltyItem::Kind::define || items[i].name.text != e.text) continue;
      bind(e, {Binding::Kind::define, static_cast<std::int32_t>(i), s.penalty});
      set(e, out_->types[items[i].value ? items[i].value->id : 0]);
      return true;
    }
    if (globals_.count(e.text)) return false;
    if (e.text == "level") {
      bind(e, {Binding::Kind::level, 0, -1});
      set(e, Type::enumeration_of(out_->penalties.level_enum));
      return true;
    }
    if (e.text == "date") {
      bind(e, {Binding::Kind::breach_date, 0, -1});
      set(e, Type::of(TypeKind::date));
      return true;
    }
    return false;
  }

  /// prior(PERIOD [, rule...]) and after_ban(MEASURE, PERIOD).
  Type history(const Expr& e, const Scope& s) {
    const std::string& f = e.text;
    bool prior = f == "prior";
    if (e.args.size() < (prior ? 1u : 2u) || (!prior && e.args.size() > 2)) {
      d_.error(Code::E0303, e.span,
               prior ? "'prior' takes a period and optionally penalty rule names: prior(1 year, rule)"
                     : "'after_ban' takes a measure and a period: after_ban(tender_ban, 3 years)");
      return error_type();
    }
    const Expr& period = *e.args[prior ? 0 : 1];
    Type p = expr(period, s, Type::of(TypeKind::days));
    if (p.kind != TypeKind::error && (p.kind != TypeKind::period || !fold(period)))
      return mismatch(period, fmt::format("'{}' needs a constant period of months or years, such as 1 year", f),
                      Code::E0307);
    auto named = [&](const Expr& a, const char* what) -> const std::string* {
      if (a.kind == ExprKind::name) return &a.text;
      mismatch(a, fmt::format("'{}' needs {} here", f, what));
      return nullptr;
    };
    bind(e, {Binding::Kind::function, 0, -1});
    if (prior) {
      for (std::size_t i = 1; i < e.args.size(); ++i)
        if (const std::string* n = named(*e.args[i], "a penalty rule name")) {
          if (!penalty_index_.count(*n)) {
            std::vector<std::string> c;
            for (auto& [k, v] : penalty_index_) c.push_back(k);
            d_.error(Code::E0706, e.args[i]->span, fmt::format("unknown penalty rule '{}'{}", *n, suggest(*n, c)));
          }
          bind(*e.args[i], {Binding::Kind::function, penalty_index_.count(*n) ? penalty_index_.at(*n) : -1, -1});
        }
      return Type::of(TypeKind::integer);
    }
    if (const std::string* n = named(*e.args[0], "a measure name")) {
      std::int32_t m = sanction(*n, e.args[0]->span);
      bind(*e.args[0], {Binding::Kind::function, m, -1});
      if (m >= 0 && out_->penalties.sanctions[m].unit != TypeKind::period)
        mismatch(*e.args[0], fmt::format("'{}' is not a ban: its amount is not a period", *n), Code::E0703);
    }
    return Type::of(TypeKind::boolean);
  }

  std::int32_t sanction(const std::string& n, Span at) {
    auto it = sanctions_.find(n);
    if (it != sanctions_.end()) return it->second;
    std::vector<std::string> c;
    for (auto& [k, v] : sanctions_) c.push_back(k);
    d_.error(Code::E0701, at,
             fmt::format("'{}' is not in the measure catalogue{}; declare it with 'sanction {} \"label\" rank N'", n,
                         suggest(n, c), n));
    return -1;
  }

  void catalogue() {
    struct Builtin {
      const char* name;
      const char* label;
      int rank;
      TypeKind unit;
      const char* basis;
    };
    static const Builtin kBuiltin[] = {
        {"warning", "警告", 10, TypeKind::error, "行政处罚法 (2021) 第九条第一项"},
        {"circulated_criticism", "通报批评", 10, TypeKind::error, "行政处罚法 (2021) 第九条第一项"},
        {"public_disclosure", "公开失信信息", 15, TypeKind::error, "社会信用体系建设: 失信惩戒措施"},
        {"key_supervision", "列为重点监管对象", 15, TypeKind::error, "社会信用体系建设: 失信惩戒措施"},
        {"inspection_raise", "提高检查频次", 15, TypeKind::error, "社会信用体系建设: 失信惩戒措施"},
        {"fine", "罚款", 20, TypeKind::money, "行政处罚法 (2021) 第九条第二项"},
        {"confiscation_gains", "没收违法所得", 25, TypeKind::money, "行政处罚法 (2021) 第九条第二项"},
        {"confiscation_property", "没收非法财物", 25, TypeKind::money, "行政处罚法 (2021) 第九条第二项"},
        {"permit_suspension", "暂扣许可证件", 30, TypeKind::period, "行政处罚法 (2021) 第九条第三项"},
        {"qualification_lowering", "降低资质等级", 35, TypeKind::error, "行政处罚法 (2021) 第九条第三项"},
        {"tender_ban", "限制参加招标投标", 40, TypeKind::period, "社会信用体系建设: 失信惩戒措施"},
        {"procurement_ban", "限制参加政府采购", 40, TypeKind::period, "社会信用体系建设: 失信惩戒措施"},
        {"fiscal_funds_ban", "限制申请财政资金", 40, TypeKind::period, "社会信用体系建设: 失信惩戒措施"},
        {"business_restriction", "限制开展生产经营活动", 40, TypeKind::period, "行政处罚法 (2021) 第九条第四项"},
        {"suspension_order", "责令停产停业", 45, TypeKind::error, "行政处罚法 (2021) 第九条第四项"},
        {"occupation_restriction", "限制从业", 50, TypeKind::period, "行政处罚法 (2021) 第九条第四项"},
        {"permit_revocation", "吊销许可证件", 60, TypeKind::error, "行政处罚法 (2021) 第九条第三项"},
        {"closure_order", "责令关闭", 65, TypeKind::error, "行政处罚法 (2021) 第九条第四项"},
        {"market_ban", "市场禁入", 65, TypeKind::period, "社会信用体系建设: 失信惩戒措施"},
        {"detention", "行政拘留", 80, TypeKind::days, "行政处罚法 (2021) 第九条第五项; 治安管理处罚法 第十六条"},
    };
    auto& out = out_->penalties.sanctions;
    for (const Builtin& b : kBuiltin) {
      SanctionDef d{b.name, b.label, b.rank, b.unit, std::nullopt, b.basis, {}};
      if (d.name == "detention") d.cap = 20 * decimal::kScale;
      sanctions_.emplace(d.name, static_cast<std::int32_t>(out.size()));
      out.push_back(std::move(d));
    }
    for (const auto& sd : rb_.sanctions) {
      if (auto it = sanctions_.find(sd.name.text); it != sanctions_.end()) {
        const SanctionDef& prev = out[it->second];
        if (prev.span.empty())
          d_.error(Code::E0201, sd.name.span,
                   fmt::format("'{}' is already in the built-in measure catalogue; choose another name", sd.name.text));
        else
          dup("sanction", sd.name, prev.span);
        continue;
      }
      SanctionDef d{sd.name.text, sd.label, 0, TypeKind::error, std::nullopt, basis_text(sd.basis).value_or(""),
                    sd.name.span};
      if (sd.rank) {
        auto r = constant(*sd.rank, Type::of(TypeKind::integer), "a rank");
        if (r) d.rank = *r / decimal::kScale;
      }
      if (sd.unit) {
        d.unit = sd.unit->text == "money" ? TypeKind::money : sd.unit->text == "days" ? TypeKind::days : TypeKind::period;
      }
      if (sd.cap) {
        if (d.unit == TypeKind::error)
          d_.error(Code::E0703, sd.cap->span, "a cap needs a unit: money, days or period");
        else
          d.cap = constant(*sd.cap, Type::of(d.unit), "a cap");
      }
      sanctions_.emplace(d.name, static_cast<std::int32_t>(out.size()));
      out.push_back(std::move(d));
    }
  }

  void discretion() {
    auto& dis = out_->penalties.discretion;
    dis.assign(std::size(kLevels), DiscretionDef{});
    constexpr std::int64_t P = decimal::kScale / 100;  // one percent
    dis[1] = {0, 100 * P, true};
    dis[2] = {0, 30 * P, false};
    dis[3] = {30 * P, 70 * P, false};
    dis[4] = {70 * P, 100 * P, false};
    for (std::size_t i = 1; i < rb_.discretions.size(); ++i)
      d_.error(Code::E0411, rb_.discretions[i].span, "a second 'discretion' section");
    if (rb_.discretions.empty()) return;
    std::unordered_map<std::int32_t, Span> seen;
    for (const auto& row : rb_.discretions[0].rows) {
      std::int32_t l = level_code(row.level);
      if (l < 0) continue;
      if (l == 0) {
        d_.error(Code::E0705, row.level.span, "level 'none' imposes nothing; it has no range");
        continue;
      }
      if (auto [it, fresh] = seen.emplace(l, row.level.span); !fresh) dup("discretion row", row.level, it->second);
      if (!row.low || !row.high) continue;
      std::optional<std::int64_t> lo = constant(*row.low, Type::of(TypeKind::decimal), "a share of the range");
      std::optional<std::int64_t> hi = constant(*row.high, Type::of(TypeKind::decimal), "a share of the range");
      if (!lo.has_value() || !hi.has_value()) continue;
      if (*lo < 0 || *hi < *lo || *hi > 100 * P)
        d_.error(Code::E0305, row.span, "a discretion row is a share from 0% to 100%, low end first");
      dis[l] = {*lo, *hi, row.of_minimum};
    }
  }

  std::int32_t level_code(const ast::Name& n) {
    for (std::size_t i = 0; i < std::size(kLevels); ++i)
      if (n.text == kLevels[i]) return static_cast<std::int32_t>(i);
    d_.error(Code::E0705, n.span,
             fmt::format("unknown discretion level '{}'{}", n.text,
                         suggest(n.text, {std::begin(kLevels), std::end(kLevels)})));
    return -1;
  }

  void penalties() {
    if (rb_.penalties.empty() && rb_.sanctions.empty() && rb_.breaches.empty() && rb_.proportions.empty() &&
        rb_.discretions.empty())
      return;
    if (rb_.penalties.empty()) {
      d_.error(Code::E0405, rb_.header.span, "the rulebook declares penalty sections but no 'penalty' rule");
      return;
    }
    catalogue();
    discretion();
    auto& P = out_->penalties;
    for (std::size_t pi = 0; pi < rb_.penalties.size(); ++pi) {
      const auto& p = rb_.penalties[pi];
      auto [it, fresh] = penalty_index_.emplace(p.name.text, static_cast<std::int32_t>(pi));
      if (!fresh) dup("penalty rule", p.name, rb_.penalties[it->second].name.span);
    }
    for (std::size_t pi = 0; pi < rb_.penalties.size(); ++pi) {
      const auto& p = rb_.penalties[pi];
      P.basis.push_back(basis_text(p.basis).value_or(""));
      auto& refs = P.item_ref.emplace_back();
      auto& bases = P.item_basis.emplace_back();
      std::unordered_map<std::string, Span> defined;
      std::vector<std::size_t> define_depth(p.items.size(), 0);
      std::unordered_map<std::int32_t, Span> otherwise_of;  // sanction -> its `otherwise` line
      for (std::size_t ii = 0; ii < p.items.size(); ++ii) {
        const auto& item = p.items[ii];
        Scope s;
        s.penalty = static_cast<std::int32_t>(pi);
        s.item = ii;
        std::int32_t ref = -1;
        bases.push_back(basis_text(item.basis).value_or(""));
        if (item.when)
          want_bool(*item.when, expr(*item.when, s, Type::of(TypeKind::boolean)), "a 'when' condition");
        switch (item.kind) {
          case ast::PenaltyItem::Kind::define: {
            if (auto [dit, dfresh] = defined.emplace(item.name.text, item.name.span); !dfresh)
              dup("name", item.name, dit->second);
            else if (globals_.count(item.name.text))
              dup("name", item.name, globals_.at(item.name.text).span);
            if (item.value) {
              expr(*item.value, s, Type{});
              // defines refer to earlier defines; bound the chain so evaluation stays shallow
              std::size_t depth = 1;
              walk_names(item.value.get(), [&](const Expr& n) {
                const Binding& b = out_->bindings[n.id];
                if (b.kind == Binding::Kind::define) depth = std::max(depth, define_depth[b.index] + 1);
              });
              define_depth[ii] = depth;
              if (depth == kMaxDefineChain + 1)  // reported once, where the chain gets too long
                d_.error(Code::E0104, item.name.span,
                         fmt::format("'{}' is at the end of a chain of more than {} defines; compute it in fewer steps",
                                     item.name.text, kMaxDefineChain));
            }
            break;
          }
          case ast::PenaltyItem::Kind::level: ref = level_code(item.name); break;
          case ast::PenaltyItem::Kind::impose:
          case ast::PenaltyItem::Kind::escalate:
            ref = impose(item, s);
            if (ref >= 0 && item.otherwise) {
              if (auto [oit, ofresh] = otherwise_of.emplace(ref, item.span); !ofresh)
                d_.add({Severity::error, Code::E0704, item.span,
                        fmt::format("a second 'otherwise' line for '{}'; only one can apply", item.name.text),
                        {{oit->second, "the first 'otherwise' line"}}});
            }
            break;
        }
        refs.push_back(ref);
      }
    }
    for (const auto& pr : rb_.proportions) {
      auto& chain = P.chains.emplace_back();
      for (const auto& n : pr.chain) {
        auto it = penalty_index_.find(n.text);
        if (it == penalty_index_.end()) {
          std::vector<std::string> c;
          for (auto& [k, v] : penalty_index_) c.push_back(k);
          d_.error(Code::E0706, n.span, fmt::format("unknown penalty rule '{}'{}", n.text, suggest(n.text, c)));
          continue;
        }
        chain.push_back(it->second);
      }
    }
  }

  /// Checks an impose/escalate line; returns its sanction index or -1.
  std::int32_t impose(const ast::PenaltyItem& item, const Scope& s) {
    std::int32_t m = sanction(item.name.text, item.name.span);
    if (m < 0) return -1;
    const SanctionDef& def = out_->penalties.sanctions[m];
    if (def.unit == TypeKind::error) {
      if (item.value)
        d_.error(Code::E0703, item.value->span, fmt::format("'{}' has no amount; write 'impose {}'", def.name, def.name));
      return m;
    }
    if (!item.value) {
      d_.error(Code::E0703, item.name.span,
               fmt::format("'{}' needs an amount in {}: 'from LOW to HIGH' or 'for VALUE'", def.name,
                           tname(Type::of(def.unit))));
      return m;
    }
    Type want = Type::of(def.unit);
    for (const Expr* a : {item.value.get(), item.high.get()}) {
      if (!a) continue;
      Type t = expr(*a, s, want);
      if (t.kind == TypeKind::error) continue;
      auto u = types::unify(want, false, t, types::is_bare_number(*a));
      if (!u || *u != want) {
        mismatch(*a, fmt::format("'{}' is measured in {}, not {}", def.name, tname(want), tname(t)), Code::E0703);
      } else if (def.unit == TypeKind::period && !fold(*a)) {
        mismatch(*a, "a period of months or years must be a constant", Code::E0307);
      }
    }
    return m;
  }

  void summary() {
    for (std::size_t i = 1; i < rb_.summaries.size(); ++i)
      d_.error(Code::E0411, rb_.summaries[i].span, "a second 'summary'");
    if (rb_.summaries.empty()) return;
    const auto& f = rb_.summaries[0].field;
    if (schema().subject_field(f.text) < 0) {
      std::vector<std::string> c;
      for (const auto& sf : schema().subject_fields) c.push_back(sf.name);
      d_.error(Code::E0203, f.span, fmt::format("'{}' is not a subject field{}", f.text, suggest(f.text, c)));
    }
  }

  // ------------------------------------------------------------ schemes (E06xx)

  std::size_t conditional_count_ = 0;

  /// `measure x when c`: c is a condition on the subject (its score is known).
  void conditional_measure(const ast::ConditionalMeasure& c) {
    if (!c.when) return;
    Scope s;
    s.score_visible = true;
    want_bool(*c.when, expr(*c.when, s, Type::of(TypeKind::boolean)), "the condition of a measure");
    if (++conditional_count_ == kMaxOverrides + 1)
      d_.error(Code::E0608, c.name.span,
               fmt::format("more than {} measures and incentives with 'when' in one section", kMaxOverrides));
  }

  /// At most one section without a variant and one per variant (`supervision for city`).
  void supervision_sections() {
    std::unordered_map<std::string, Span> seen;
    for (const auto& sv : rb_.supervision) {
      const std::string key = sv.variant ? sv.variant->text : std::string();
      if (sv.variant && std::none_of(rb_.variants.begin(), rb_.variants.end(),
                                     [&](const ast::Variant& v) { return v.name.text == key; })) {
        std::vector<std::string> c;
        for (const auto& v : rb_.variants) c.push_back(v.name.text);
        d_.error(Code::E0604, sv.variant->span, fmt::format("unknown variant '{}'{}", key, suggest(key, c)));
      }
      if (!seen.emplace(key, sv.span).second) {
        d_.error(Code::E0411, sv.span,
                 key.empty() ? std::string("a second 'supervision' section")
                             : fmt::format("a second 'supervision for {}' section", key));
        continue;
      }
      conditional_count_ = 0;
      supervision_section(sv);
    }
  }
  std::unordered_set<const ast::VariantSet*> checked_sets_;  // variant values already checked

  void no_allowed(const ast::Field& f) {
    if (!f.allowed.empty())
      d_.error(Code::E0601, f.allowed_span, "only number fields can be limited to a set of values");
  }

  /// `in {0, 5, 10}`: the allowed values of a number field, ascending.
  std::vector<std::int64_t> allowed_values(const ast::Field& f, std::optional<Type> t) {
    std::vector<std::int64_t> out;
    if (f.allowed.empty() || !t) return out;
    if (!t->is_numeric()) {
      d_.error(Code::E0601, f.allowed_span,
               fmt::format("only number fields can be limited to a set of values, not {}", tname(*t)));
      return out;
    }
    for (const auto& b : f.allowed) {
      auto v = bound_value(b, Type::of(TypeKind::decimal));
      if (!v) continue;
      if (t->kind == TypeKind::integer && *v % decimal::kScale != 0) {
        d_.error(Code::E0601, b.span,
                 fmt::format("'{}' is not a whole number, but '{}' is an integer", bound_text(*v), f.name.text));
      } else if (std::find(out.begin(), out.end(), *v) != out.end()) {
        d_.error(Code::E0601, b.span, fmt::format("'{}' is listed twice", bound_text(*v)));
      } else {
        out.push_back(*v);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Type score_name(const Expr& e, const Scope& s) {
    if (!s.score_visible)
      return mismatch(e, "'score' is the final score: use it in a tier requirement or an override condition",
                      Code::E0603);
    bind(e, {Binding::Kind::score, 0, -1});
    return Type::of(TypeKind::decimal);
  }

  /// `year(d)`: the calendar year of a date, a whole number.
  template <class Arity>
  Type year_call(const Expr& e, const Scope& s, const Arity& arity) {
    if (!arity(1, 1)) return error_type();
    Type t = expr(*e.args[0], s, Type::of(TypeKind::date));
    if (t.kind != TypeKind::error && t.kind != TypeKind::date)
      return mismatch(*e.args[0], fmt::format("'year' needs a date, not {}", tname(t)));
    bind(e, {Binding::Kind::function, 0, -1});
    return Type::of(TypeKind::integer);
  }

  /// A sampling ratio band (0% to 100%) or a band of inspections per year (from 0).
  void supervision_band(const ast::Band& band, bool ratio) {
    auto iv = interval(band, Type::of(TypeKind::decimal));
    if (!iv) return;
    if (iv->lo < 0)
      d_.error(Code::E0305, band.span, ratio ? "a sampling ratio lies between 0% and 100%"
                                             : "a number of inspections per year cannot be negative");
    else if (ratio && iv->hi > decimal::kScale)
      d_.error(Code::E0305, band.span, "a sampling ratio lies between 0% and 100%");
  }

  /// Names the variant selected by the options; checks the variants' names.
  void select_variant() {
    std::unordered_map<std::string, Span> seen;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < rb_.variants.size(); ++i) {
      const auto& v = rb_.variants[i];
      auto [it, fresh] = seen.emplace(v.name.text, v.name.span);
      if (!fresh) dup("variant", v.name, it->second);
      else names.push_back(v.name.text);
      if (fresh && v.name.text == options_.variant) out_->variant = static_cast<std::int32_t>(i);
      basis_text(v.basis);
    }
    if (options_.variant.empty() || out_->variant >= 0) return;
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    d_.error(Code::E0604, rb_.header.span,
             names.empty() ? fmt::format("no variant '{}': the rulebook declares no variants", options_.variant)
                           : fmt::format("no variant '{}'{}; the variants are {}", options_.variant,
                                         suggest(options_.variant, names), list));
  }

  /// The selected variant's value for const i, or null.
  const ast::VariantSet* variant_value(std::size_t i) const {
    if (out_->variant < 0) return nullptr;
    for (const auto& set : rb_.variants[static_cast<std::size_t>(out_->variant)].sets)
      if (set.name.text == rb_.consts[i].name.text && set.value) return &set;
    return nullptr;
  }

  /// Checks and folds a variant's value for a constant of type t.
  std::optional<std::int64_t> variant_constant(const ast::VariantSet& set, Type t) {
    checked_sets_.insert(&set);
    if (!set.value) return std::nullopt;
    return constant(*set.value, t, fmt::format("the value of '{}'", set.name.text));
  }

  /// Every variant value names a constant once and fits its type.
  void variants() {
    for (const auto& v : rb_.variants) {
      std::unordered_map<std::string, Span> seen;
      for (const auto& set : v.sets) {
        auto [sit, fresh] = seen.emplace(set.name.text, set.name.span);
        if (!fresh) dup(fmt::format("the value of '{}' in variant", set.name.text), set.name, sit->second);
        auto it = globals_.find(set.name.text);
        if (it == globals_.end()) {
          std::vector<std::string> c;
          for (const auto& k : rb_.consts) c.push_back(k.name.text);
          d_.error(Code::E0203, set.name.span,
                   fmt::format("unknown constant '{}'{}", set.name.text, suggest(set.name.text, c)));
          continue;
        }
        if (it->second.kind != Binding::Kind::constant) {
          d_.error(Code::E0605, set.name.span,
                   fmt::format("'{}' is not a constant: a variant gives constants other values", set.name.text));
          continue;
        }
        if (!fresh || checked_sets_.count(&set)) continue;
        variant_constant(set, out_->const_types[static_cast<std::size_t>(it->second.index)]);
      }
    }
  }

  /// A combination rulebook: its records are its categories' outcomes, one per
  /// subject and category, of the kind named after the category, with the
  /// category's tier (an enum or scale field) and score (a decimal field).
  void categories() {
    if (rb_.categories.empty()) return;
    std::unordered_map<std::string, Span> seen;
    for (const auto& c : rb_.categories) {
      auto [it, fresh] = seen.emplace(c.name.text, c.name.span);
      if (!fresh) dup("category", c.name, it->second);
    }
    const ast::Schema* records = nullptr;
    for (const auto& sc : rb_.schemas)
      if (sc.records && !records) records = &sc;
    const Span at = rb_.categories.front().span;
    if (!records) {
      d_.error(Code::E0606, at, "a rulebook with categories needs a 'records' section: one record per subject and "
                                "category, its kind the category");
      return;
    }
    const ast::Field* kind_field = nullptr;
    for (const auto& f : records->fields)
      if (!f.type.kinds.empty() && !kind_field) kind_field = &f;
    if (!kind_field) {
      d_.error(Code::E0606, records->span, "the records need a kind field listing the categories, e.g. 'category: kind of "
                                           + rb_.categories.front().name.text + ", ...'");
      return;
    }
    for (const auto& c : rb_.categories)
      if (schema().kind_index(c.name.text) < 0)
        d_.error(Code::E0606, kind_field->type.span,
                 fmt::format("category '{}' is missing from the record kinds", c.name.text));
    for (const auto& k : kind_field->type.kinds)
      if (!seen.count(k.text))
        d_.error(Code::E0606, k.span, fmt::format("record kind '{}' is not a category", k.text));
    int tiers = 0, scores = 0;
    for (const auto& f : schema().record_fields) {
      if (f.type.kind == TypeKind::error) continue;
      bool tier = f.type.kind == TypeKind::enumeration && ++tiers == 1;
      bool score = f.type.kind == TypeKind::decimal && ++scores == 1;
      if (!tier && !score)
        d_.error(Code::E0606, f.span,
                 fmt::format("a category's record holds its tier (one enum or scale field holding every category's "
                             "tier names) and its score (one decimal field), so '{}: {}' cannot be filled",
                             f.name, tname(f.type)));
    }
  }

  /// W0601: a tier without a band that no override forces is never given.
  void unforced_tiers() {
    if (rb_.tiers.empty()) return;
    for (const auto& t : rb_.tiers[0].tiers) {
      if (!t.by_override) continue;
      bool forced = false;
      for (const auto& block : rb_.overrides)
        for (const auto& o : block) forced |= o.action == ast::Override::Action::force && o.tier.text == t.name.text;
      if (!forced)
        d_.warning(Code::W0601, t.name.span,
                   fmt::format("tier '{}' has no band and no override forces it: no subject gets it", t.name.text));
    }
  }

  void unused() {
    auto warn = [&](const ast::Name& n, const char* what) {
      d_.warning(Code::W0001, n.span, fmt::format("{} '{}' is never used", what, n.text));
    };
    for (std::size_t i = 0; i < rb_.consts.size(); ++i)
      if (!used_const_[i]) warn(rb_.consts[i].name, "const");
    for (std::size_t i = 0; i < rb_.lets.size(); ++i)
      if (!used_let_[i]) warn(rb_.lets[i].name, "let");
    for (std::size_t i = 0; i < rb_.tables.size(); ++i)
      if (!used_table_[i]) warn(rb_.tables[i].name, "table");
    for (std::size_t i = 0; i < rb_.laws.size(); ++i)
      if (!used_law_[i]) warn(rb_.laws[i].name, "law");
    for (std::size_t i = 0; i < rb_.measures.size(); ++i)
      if (!used_measure_[i]) warn(rb_.measures[i].name, rb_.measures[i].incentive ? "incentive" : "measure");
    for (std::size_t i = 0; i < rb_.enums.size(); ++i)
      if (!used_enum_[i]) warn(rb_.enums[i].name, rb_.enums[i].ordered ? "scale" : "enum");
  }
};


/// True when every expression slot the grammar requires is filled, as after a
/// parse without errors. A partial AST from a failed parse is not checked.
bool complete(const Expr* e, bool required = true) {
  if (!e) return !required;
  std::size_t need = 0;
  switch (e->kind) {
    case ExprKind::lookup:
    case ExprKind::unary:
    case ExprKind::in_band: need = 1; break;
    case ExprKind::binary:
    case ExprKind::within: need = 2; break;
    case ExprKind::if_else: need = 3; break;
    case ExprKind::aggregate:
      need = (e->text == "sum" || e->text == "min" || e->text == "max") ? 1 : 0;
      break;
    default: break;
  }
  if (e->args.size() < need) return false;
  for (const auto& a : e->args)
    if (!complete(a.get())) return false;
  return complete(e->where.get(), false) && complete(e->otherwise.get(), false);
}

bool complete(const ast::Rulebook& rb) {
  for (const auto& c : rb.consts)
    if (!complete(c.value.get())) return false;
  for (const auto& l : rb.lets)
    if (!complete(l.value.get())) return false;
  for (const auto& t : rb.tables)
    for (const auto& row : t.rows)
      if (!complete(row.value.get())) return false;
  for (const auto& sc : rb.scores)
    for (const auto& it : sc.items) {
      bool high = it.kind == ast::ScoreItem::Kind::clamp;
      if (!complete(it.value.get()) || !complete(it.high.get(), high)) return false;
    }
  for (const auto& ts : rb.tiers)
    for (const auto& t : ts.tiers)
      if (!complete(t.requires_.get(), false)) return false;
  for (const auto& block : rb.overrides)
    for (const auto& o : block)
      if (!complete(o.when.get())) return false;
  for (const auto& sv : rb.supervision)
    for (const auto& row : sv.rows)
      if (!complete(row.sampling.get(), false) || !complete(row.interval.get(), false)) return false;
  for (const auto& sd : rb.sanctions)
    if (!complete(sd.rank.get()) || !complete(sd.cap.get(), false)) return false;
  for (const auto& p : rb.penalties)
    for (const auto& it : p.items) {
      bool value = it.kind == ast::PenaltyItem::Kind::define || it.range;
      if (!complete(it.value.get(), value) || !complete(it.high.get(), it.range) || !complete(it.when.get(), false))
        return false;
    }
  for (const auto& d : rb.discretions)
    for (const auto& row : d.rows)
      if (!complete(row.low.get()) || !complete(row.high.get())) return false;
  for (const auto& v : rb.variants)
    for (const auto& set : v.sets)
      if (!complete(set.value.get())) return false;
  for (const auto& sv : rb.supervision)
    for (const auto& row : sv.rows)
      for (const auto& c : row.conditional)
        if (!complete(c.when.get())) return false;
  return true;
}

}  // namespace

CheckResult check(const ast::Rulebook& rulebook, const CheckOptions& options) {
  CheckResult r;
  if (!complete(rulebook)) {
    r.diagnostics.error(Code::E0101, rulebook.header.span,
                        "the rulebook is incomplete (it did not parse); fix the syntax errors first");
    return r;
  }
  Checker c(rulebook, r.diagnostics, options);
  r.checked = c.run();
  r.diagnostics.sort();
  return r;
}

}  // namespace gradus
