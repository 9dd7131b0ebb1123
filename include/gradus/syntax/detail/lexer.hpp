// Token-level parsers for the rule language, as Spirit X3 primitives.
//
// Internal to src/syntax/grammar.cpp (the one translation unit that includes
// Spirit). Tokens are recognised by hand-written primitives rather than by
// composed X3 character parsers: it keeps compile time down, gives exact
// control over word boundaries and UTF-8 identifier bytes, and lets a
// malformed literal be reported as what it is (E0102/E0103) instead of as a
// generic syntax error. Every primitive skips the whitespace and comments
// before its token, never consumes whitespace after it, and leaves the
// iterator where it was when it fails (X3's own primitives keep the skipped
// whitespace). So the iterator at an expectation failure is always right
// after the last token read, which is where an error about something
// missing at the end of a line should point.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/spirit/home/x3.hpp>

#include "gradus/core/codes.hpp"
#include "gradus/core/source.hpp"
#include "gradus/syntax/ast.hpp"
#include "gradus/syntax/detail/builder.hpp"
#include "gradus/syntax/detail/chars.hpp"

namespace gradus::syntax::detail {

namespace x3 = boost::spirit::x3;

/// Tag under which the Builder is injected into the parse context (x3::with).
struct builder_tag;

template <class Context>
Builder& builder(const Context& ctx) {
  return x3::get<builder_tag>(ctx);
}

template <class Attr>
inline constexpr bool is_unused_v = std::is_same_v<std::remove_const_t<Attr>, x3::unused_type>;

// ---------------------------------------------------------------- skipper

/// Whitespace (including CR/LF) and `#` comments to the end of the line.
/// The primitives here skip with skip_blanks() directly; this skipper gives
/// the same behaviour to any X3 built-in parser used in the grammar.
struct skipper_parser : x3::parser<skipper_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& first, Iter const& last, const Context&, RContext&, Attribute&) const {
    Iter i = skip_blanks(first, last);
    bool moved = i != first;
    first = i;
    return moved;
  }
};
inline constexpr skipper_parser skipper{};

// ---------------------------------------------------------------- layout

/// Succeeds, consuming nothing, when the next token is on the current line.
/// A call's '(' or a lookup's '[' and a number's unit word must follow on the
/// same line; this keeps `-> weight` followed by a row `[0, 5) -> ...` on the
/// next line from being read as a lookup `weight[0, ...`.
struct same_line_parser : x3::parser<same_line_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& first, Iter const& last, const Context&, RContext&, Attribute&) const {
    for (Iter i = first; i != last; ++i) {
      if (*i == '\n' || *i == '#') return false;
      if (!is_space(*i)) return true;
    }
    return true;
  }
};
inline constexpr same_line_parser same_line{};

// ---------------------------------------------------------------- words and symbols

/// A reserved word, matched on word boundaries (`order` is not `or`).
struct keyword_parser : x3::parser<keyword_parser> {
  using attribute_type = Span;
  std::string_view word;

  constexpr explicit keyword_parser(std::string_view w) : word(w) {}

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    if (static_cast<std::size_t>(last - first) < word.size()) return false;
    if (std::memcmp(first, word.data(), word.size()) != 0) return false;
    Iter i = first + word.size();
    if (i != last && is_ident_char(*i)) return false;
    if constexpr (!is_unused_v<Attribute>) attr = builder(ctx).span(first, i);
    out = i;
    return true;
  }
};
constexpr keyword_parser kw(std::string_view w) { return keyword_parser(w); }

/// A punctuation token; `forbid` is a character that must not follow it
/// (so that '-' does not match the start of '->').
struct symbol_parser : x3::parser<symbol_parser> {
  using attribute_type = Span;
  std::string_view text;
  char forbid = 0;

  constexpr explicit symbol_parser(std::string_view t, char f = 0) : text(t), forbid(f) {}

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    if (static_cast<std::size_t>(last - first) < text.size()) return false;
    if (std::memcmp(first, text.data(), text.size()) != 0) return false;
    Iter i = first + text.size();
    if (forbid != 0 && i != last && *i == forbid) return false;
    if constexpr (!is_unused_v<Attribute>) attr = builder(ctx).span(first, i);
    out = i;
    return true;
  }
};
constexpr symbol_parser sym(std::string_view t, char forbid = 0) { return symbol_parser(t, forbid); }

/// One of a fixed set of operators; the attribute is the operator and its
/// span. Longer operators are listed first.
struct operator_parser : x3::parser<operator_parser> {
  using attribute_type = OpTok;
  std::array<std::string_view, 6> ops;

  template <class... S>
  constexpr explicit operator_parser(S... s) : ops{std::string_view(s)...} {}

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    for (std::string_view op : ops) {
      if (op.empty()) break;
      if (static_cast<std::size_t>(last - first) < op.size()) continue;
      if (std::memcmp(first, op.data(), op.size()) != 0) continue;
      Iter i = first + op.size();
      if (op == "-" && i != last && *i == '>') continue;  // '->'
      if constexpr (!is_unused_v<Attribute>) attr = OpTok{op, builder(ctx).span(first, i)};
      out = i;
      return true;
    }
    return false;
  }
};

/// IDENT: an ASCII letter, '_' or a byte >= 0x80, then those or digits; never a reserved word.
struct ident_parser : x3::parser<ident_parser> {
  using attribute_type = ast::Name;

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    if (first == last || !is_ident_start(*first)) return false;
    Iter i = word_end(first, last);
    std::string_view w(first, static_cast<std::size_t>(i - first));
    if (is_reserved(w)) return false;
    if constexpr (!is_unused_v<Attribute>) {
      attr.text.assign(w);
      attr.span = builder(ctx).span(first, i);
    }
    out = i;
    return true;
  }
};
inline constexpr ident_parser ident{};

/// A unit word after a number: day(s), week(s), month(s), year(s), yuan.
struct unit_parser : x3::parser<unit_parser> {
  using attribute_type = UnitTok;

  static ast::Unit lookup(std::string_view w) {
    if (w == "day" || w == "days") return ast::Unit::days;
    if (w == "week" || w == "weeks") return ast::Unit::weeks;
    if (w == "month" || w == "months") return ast::Unit::months;
    if (w == "year" || w == "years") return ast::Unit::years;
    if (w == "yuan") return ast::Unit::yuan;
    return ast::Unit::none;
  }

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    if (first == last || !is_ident_start(*first)) return false;
    Iter i = word_end(first, last);
    ast::Unit u = lookup(std::string_view(first, static_cast<std::size_t>(i - first)));
    if (u == ast::Unit::none) return false;
    if constexpr (!is_unused_v<Attribute>) attr = UnitTok{u, builder(ctx).span(first, i)};
    out = i;
    return true;
  }
};
inline constexpr unit_parser unit_word{};

// ---------------------------------------------------------------- literals

/// Scans NUMBER at `first` (a digit): digits ['.' digits]. Returns its end;
/// throws E0102 for a '.' without digits after it or a second '.'.
template <class Context>
Iter scan_number(Iter first, Iter last, const Context& ctx) {
  Iter i = first;
  while (i != last && is_digit(*i)) ++i;
  if (i != last && *i == '.') {
    ++i;
    if (i == last || !is_digit(*i)) {
      throw LexError{Code::E0102, builder(ctx).span(first, i),
                     "malformed number '" + std::string(first, i) + "': digits must follow the decimal point"};
    }
    while (i != last && is_digit(*i)) ++i;
    if (i != last && *i == '.') {
      while (i != last && (is_digit(*i) || *i == '.')) ++i;
      throw LexError{Code::E0102, builder(ctx).span(first, i),
                     "malformed number '" + std::string(first, i) + "': a number has at most one '.'"};
    }
  }
  return i;
}

/// NUMBER: digits with an optional fraction; no sign, no exponent.
struct number_parser : x3::parser<number_parser> {
  using attribute_type = Tok;

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    if (first == last || !is_digit(*first)) return false;
    Iter i = scan_number(first, last, ctx);
    if constexpr (!is_unused_v<Attribute>) {
      attr.text.assign(first, i);
      attr.span = builder(ctx).span(first, i);
    }
    out = i;
    return true;
  }
};
inline constexpr number_parser number{};

/// DATE: YYYY-MM-DD. In an expression (`strict == false`) only a token shaped
/// digits-digits-digits is taken for a date (`10-5` stays a subtraction) and
/// a wrong shape such as 2024-1-5 is E0102. Where only a date may stand
/// (`strict`, the header), any digit run must be a well-formed date.
struct date_parser : x3::parser<date_parser> {
  using attribute_type = Tok;
  bool strict = false;

  constexpr explicit date_parser(bool s) : strict(s) {}

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    if (first == last || !is_digit(*first)) return false;
    // The run digits ('-' digits)*, and the length of each group.
    Iter i = first;
    std::size_t groups[3] = {0, 0, 0};
    int dashes = 0;
    while (true) {
      Iter g = i;
      while (i != last && is_digit(*i)) ++i;
      if (dashes < 3) groups[dashes] = static_cast<std::size_t>(i - g);
      if (i != last && *i == '-' && i + 1 != last && is_digit(i[1])) {
        ++dashes;
        ++i;
        continue;
      }
      break;
    }
    if (dashes < 2 && !strict) return false;
    bool trailing = i != last && (is_ident_char(*i) || *i == '.' || *i == '-');
    if (dashes != 2 || groups[0] != 4 || groups[1] != 2 || groups[2] != 2 || trailing) {
      while (i != last && (is_ident_char(*i) || *i == '.' || *i == '-')) ++i;
      throw LexError{Code::E0102, builder(ctx).span(first, i),
                     "malformed date '" + std::string(first, i) + "': write dates as YYYY-MM-DD"};
    }
    if constexpr (!is_unused_v<Attribute>) {
      attr.text.assign(first, i);
      attr.span = builder(ctx).span(first, i);
    }
    out = i;
    return true;
  }
};
inline constexpr date_parser date_lit{false};
inline constexpr date_parser date_strict{true};

/// STRING: "..." with escapes \" \\ \n \t; no raw newline inside. The
/// attribute holds the unescaped value. An unclosed string is E0103 at its
/// opening quote; an unknown escape is E0102.
struct string_parser : x3::parser<string_parser> {
  using attribute_type = Str;

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    if (first == last || *first != '"') return false;
    std::string value;
    Iter i = first + 1;
    for (;;) {
      if (i == last || *i == '\n' || (*i == '\r' && i + 1 != last && i[1] == '\n') ||
          (*i == '\r' && i + 1 == last)) {
        throw LexError{Code::E0103, builder(ctx).span(first, i),
                       "unterminated string: a string must close with '\"' on the line it starts"};
      }
      char c = *i;
      if (c == '"') break;
      if (c == '\\') {
        if (i + 1 == last || i[1] == '\n' || i[1] == '\r') {
          throw LexError{Code::E0103, builder(ctx).span(first, i + 1),
                         "unterminated string: a string must close with '\"' on the line it starts"};
        }
        switch (i[1]) {
          case '"': value += '"'; break;
          case '\\': value += '\\'; break;
          case 'n': value += '\n'; break;
          case 't': value += '\t'; break;
          default: {
            // Cover the whole (possibly multi-byte) escaped character.
            Iter e = i + 2;
            while (e != last && (static_cast<unsigned char>(*e) & 0xC0) == 0x80) ++e;
            throw LexError{Code::E0102, builder(ctx).span(i, e),
                           "unknown escape '" + std::string(i, e) +
                               "' in string (the escapes are \\\" \\\\ \\n \\t)"};
          }
        }
        i += 2;
        continue;
      }
      value += c;
      ++i;
    }
    ++i;  // the closing quote
    if constexpr (!is_unused_v<Attribute>) {
      attr.value = std::move(value);
      attr.span = builder(ctx).span(first, i);
    }
    out = i;
    return true;
  }
};
inline constexpr string_parser string_lit{};

/// A band: ('[' | '(') bound ',' bound (']' | ')'), bound := ['-'] NUMBER | ['-'] 'inf'.
/// Fails without consuming unless the next token is '[' or '('; after that,
/// any mistake is an expectation failure with a message.
struct band_parser : x3::parser<band_parser> {
  using attribute_type = ast::Band;

  template <class Context>
  static ast::Bound bound(Iter& first, Iter const& last, const Context& ctx) {
    Iter i = skip_blanks(first, last);
    Iter start = i;
    Iter before = first;  // where a missing bound is reported from
    ast::Bound b;
    if (i != last && *i == '-') {
      b.negative = true;
      before = i + 1;
      i = skip_blanks(i + 1, last);
    }
    if (i != last && is_digit(*i)) {
      Iter e = scan_number(i, last, ctx);
      b.text = (b.negative ? "-" : "") + std::string(i, e);
      i = e;
      if (i != last && *i == '%') {  // a ratio: [5%, 20%]
        b.percent = true;
        ++i;
      }
    } else if (i != last && last - i >= 3 && std::memcmp(i, "inf", 3) == 0 &&
               (i + 3 == last || !is_ident_char(i[3]))) {
      b.infinite = true;
      i += 3;
    } else {
      throw x3::expectation_failure<Iter>(before, "a bound (a number, a negative number or inf)");
    }
    b.span = builder(ctx).span(start, i);
    first = i;
    return b;
  }

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    if (first == last || (*first != '[' && *first != '(')) return false;
    ast::Band band;
    Iter start = first;
    band.lo_closed = *first == '[';
    Iter i = first + 1;
    band.lo = bound(i, last, ctx);
    Iter t = skip_blanks(i, last);
    if (t == last || *t != ',') throw x3::expectation_failure<Iter>(i, "',' between the two bounds of the band");
    i = t + 1;
    band.hi = bound(i, last, ctx);
    t = skip_blanks(i, last);
    if (t == last || (*t != ']' && *t != ')')) throw x3::expectation_failure<Iter>(i, "']' or ')' to close the band");
    band.hi_closed = *t == ']';
    i = t + 1;
    band.span = builder(ctx).span(start, i);
    if constexpr (!is_unused_v<Attribute>) attr = std::move(band);
    out = i;
    return true;
  }
};
inline constexpr band_parser band{};

/// A set of allowed values: '{' value (',' value)* '}', value := ['-'] NUMBER ['%'].
/// Fails without consuming unless the next token is '{'; after that, any
/// mistake is an expectation failure with a message. The attribute is the
/// values (as bounds) and the span of the braces.
struct value_set_parser : x3::parser<value_set_parser> {
  using attribute_type = ValueSet;

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& out, Iter const& last, const Context& ctx, RContext&, Attribute& attr) const {
    Iter first = skip_blanks(out, last);
    if (first == last || *first != '{') return false;
    ValueSet set;
    Iter i = first + 1;
    for (;;) {
      Iter v = skip_blanks(i, last);
      if (v != last && *v == '-') v = skip_blanks(v + 1, last);
      if (v == last || !is_digit(*v)) throw x3::expectation_failure<Iter>(i, "a number (an allowed value)");
      set.values.push_back(band_parser::bound(i, last, ctx));
      Iter t = skip_blanks(i, last);
      if (t != last && *t == ',') {
        i = t + 1;
        continue;
      }
      if (t == last || *t != '}') throw x3::expectation_failure<Iter>(i, "',' or '}' after the value");
      i = t + 1;
      break;
    }
    set.span = builder(ctx).span(first, i);
    if constexpr (!is_unused_v<Attribute>) attr = std::move(set);
    out = i;
    return true;
  }
};
inline constexpr value_set_parser value_set{};

// ---------------------------------------------------------------- directives

/// spanned[p]: like x3::raw, but the attribute is the Span of what p matched
/// (from its first token) and the iterator does not move when p fails.
template <class Subject>
struct spanned_parser : x3::unary_parser<Subject, spanned_parser<Subject>> {
  using base_type = x3::unary_parser<Subject, spanned_parser<Subject>>;
  using attribute_type = Span;
  static bool const has_attribute = true;

  constexpr explicit spanned_parser(const Subject& subject) : base_type(subject) {}

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& first, Iter const& last, const Context& ctx, RContext& rctx, Attribute& attr) const {
    Iter start = skip_blanks(first, last);
    Iter i = first;
    if (!this->subject.parse(i, last, ctx, rctx, x3::unused)) return false;
    if constexpr (!is_unused_v<Attribute>) attr = builder(ctx).span(start, i);
    first = i;
    return true;
  }
};

struct spanned_gen {
  template <class P>
  constexpr auto operator[](const P& p) const {
    using S = typename x3::extension::as_parser<P>::value_type;
    return spanned_parser<S>(x3::as_parser(p));
  }
};
inline constexpr spanned_gen spanned{};

/// want(what, p): p must match here; otherwise an expectation failure whose
/// message names `what` in words ("':' after the field name").
template <class Subject>
struct want_parser : x3::unary_parser<Subject, want_parser<Subject>> {
  using base_type = x3::unary_parser<Subject, want_parser<Subject>>;
  static bool const is_pass_through_unary = true;
  const char* what;

  constexpr want_parser(const Subject& subject, const char* w) : base_type(subject), what(w) {}

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& first, Iter const& last, const Context& ctx, RContext& rctx, Attribute& attr) const {
    Iter start = first;
    if (this->subject.parse(first, last, ctx, rctx, attr)) return true;
    throw x3::expectation_failure<Iter>(start, what);
  }
};

template <class P>
constexpr auto want(const char* what, const P& p) {
  using S = typename x3::extension::as_parser<P>::value_type;
  return want_parser<S>(x3::as_parser(p), what);
}

/// deep[p]: one more level of expression nesting; beyond the limit the
/// parse stops with E0104 before the native stack can overflow.
template <class Subject>
struct deep_parser : x3::unary_parser<Subject, deep_parser<Subject>> {
  using base_type = x3::unary_parser<Subject, deep_parser<Subject>>;
  static bool const is_pass_through_unary = true;

  constexpr explicit deep_parser(const Subject& subject) : base_type(subject) {}

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& first, Iter const& last, const Context& ctx, RContext& rctx, Attribute& attr) const {
    Builder& b = builder(ctx);
    b.enter(skip_blanks(first, last), last);
    bool ok = this->subject.parse(first, last, ctx, rctx, attr);
    b.leave();
    return ok;
  }
};

struct deep_gen {
  template <class P>
  constexpr auto operator[](const P& p) const {
    using S = typename x3::extension::as_parser<P>::value_type;
    return deep_parser<S>(x3::as_parser(p));
  }
};
inline constexpr deep_gen deep{};

/// Always fails with an expectation failure whose message the Builder
/// chooses from its state (e.g. a call that might have been an aggregate).
template <const char* (Builder::*What)() const>
struct fail_parser : x3::parser<fail_parser<What>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <class Context, class RContext, class Attribute>
  bool parse(Iter& first, Iter const&, const Context& ctx, RContext&, Attribute&) const {
    throw x3::expectation_failure<Iter>(first, (builder(ctx).*What)());
  }
};

// ---------------------------------------------------------------- actions

/// act<&Builder::f>: a semantic action calling f with the matched attribute
/// (or with nothing for an unused one). When f returns bool, false rejects
/// the match.
template <auto F>
struct act_fn {
  template <class Context>
  void operator()(const Context& ctx) const {
    Builder& b = builder(ctx);
    auto&& a = x3::_attr(ctx);
    using A = std::remove_cv_t<std::remove_reference_t<decltype(a)>>;
    if constexpr (std::is_same_v<A, x3::unused_type>) {
      call(ctx, b);
    } else {
      call(ctx, b, a);
    }
  }

  template <class Context, class... Args>
  static void call(const Context& ctx, Builder& b, Args&&... args) {
    if constexpr (std::is_invocable_v<decltype(F), Builder&, Args...>) {
      using R = std::invoke_result_t<decltype(F), Builder&, Args...>;
      if constexpr (std::is_same_v<R, bool>) {
        x3::_pass(ctx) = (b.*F)(std::forward<Args>(args)...);
      } else {
        (b.*F)(std::forward<Args>(args)...);
      }
    } else {
      static_assert(std::is_invocable_v<decltype(F), Builder&>, "action does not take this attribute");
      (b.*F)();
    }
  }
};
template <auto F>
inline constexpr act_fn<F> act{};

}  // namespace gradus::syntax::detail
