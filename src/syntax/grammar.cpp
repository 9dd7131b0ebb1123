// parse(): rule text -> ast::Rulebook. The one translation unit that
// compiles Spirit X3 (the grammar is in syntax/detail/grammar_def.hpp).
//
// The driver checks the encoding and size limits, then parses the header and
// one declaration at a time. After an error it skips to the next line that
// starts with a declaration keyword and goes on, so one run reports the
// errors of several declarations.
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "gradus/syntax/detail/grammar_def.hpp"
#include "gradus/syntax/parser.hpp"
#include "limits.hpp"

namespace gradus {

namespace {

using syntax::detail::Builder;
using syntax::detail::DepthError;
using syntax::detail::Iter;
using syntax::detail::LexError;
namespace x3 = syntax::detail::x3;
namespace grammar = syntax::detail::grammar;

constexpr std::size_t kMaxErrors = 50;  // a run stops reporting after this many errors

/// Parses one `rule` at `it`; on failure the error is already reported and
/// the builder's error_at() says where.
template <class Rule>
bool parse_one(const Rule& rule, Iter& it, Iter last, Builder& b) {
  b.reset();
  try {
    return x3::phrase_parse(it, last, x3::with<syntax::detail::builder_tag>(b)[rule], syntax::detail::skipper,
                            x3::skip_flag::dont_post_skip);
  } catch (const LexError& e) {
    b.report(e.code, e.span, e.message);
  } catch (const DepthError& e) {
    b.report(Code::E0104, e.span, e.message);
  }
  return false;
}

/// Where parsing resumes after an error at `from`: the next declaration
/// keyword that is the first token of its line. The error token itself
/// qualifies when it is such a keyword and lies past the failed
/// declaration's start (`let x =` followed by `let y = 1` on the next line).
Iter recover(Iter from, Iter decl_start, Iter begin, Iter last) {
  using syntax::detail::at_decl_keyword;
  auto first_token = [last](Iter line) {
    while (line != last && (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\f' || *line == '\v'))
      ++line;
    return line;
  };
  if (from == last) return last;
  Iter line = from;
  while (line != begin && line[-1] != '\n') --line;
  if (first_token(line) == from && from > decl_start && at_decl_keyword(from, last)) return from;
  Iter i = from;
  for (;;) {
    const void* nl = std::memchr(i, '\n', static_cast<std::size_t>(last - i));
    if (nl == nullptr) return last;
    i = static_cast<Iter>(nl) + 1;
    Iter t = first_token(i);
    if (at_decl_keyword(t, last)) return t;
  }
}

/// Numbers every expression 1..N, pre-order, declarations in source order.
std::uint32_t number_expressions(const std::vector<ast::Expr*>& roots) {
  std::uint32_t next = 0;
  std::vector<ast::Expr*> todo;
  for (ast::Expr* root : roots) {
    todo.push_back(root);
    while (!todo.empty()) {
      ast::Expr* e = todo.back();
      todo.pop_back();
      e->id = ++next;
      // Pushed in reverse so that they pop in order: args, where, otherwise.
      if (e->otherwise) todo.push_back(e->otherwise.get());
      if (e->where) todo.push_back(e->where.get());
      for (auto it = e->args.rbegin(); it != e->args.rend(); ++it) todo.push_back(it->get());
    }
  }
  return next;
}

/// Full-width punctuation typed with a Chinese input method (，：（） and the
/// ideographic space) would otherwise become part of a name, since names may
/// hold any non-ASCII character. Outside strings and comments it is refused
/// with the ASCII character to write instead. Reports each; true if any.
bool full_width_punctuation(const std::string& text, Diagnostics& diags) {
  static const std::pair<std::string_view, const char*> kMarks[] = {
      {"\xEF\xBC\x8C", ","}, {"\xEF\xBC\x9A", ":"}, {"\xEF\xBC\x88", "("}, {"\xEF\xBC\x89", ")"},
      {"\xEF\xBC\x9B", ";"}, {"\xE3\x80\x81", ","}, {"\xE3\x80\x80", "a space"}, {"\xEF\xBC\x9D", "="},
      {"\xEF\xBC\x9E", ">"}, {"\xEF\xBC\x9C", "<"}, {"\xEF\xBC\xBB", "["}, {"\xEF\xBC\xBD", "]"}};
  bool found = false;
  bool in_string = false, in_comment = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_comment) {
      in_comment = c != '\n';
      continue;
    }
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"' || c == '\n') in_string = false;
      continue;
    }
    if (c == '#') in_comment = true;
    else if (c == '"') in_string = true;
    else if (static_cast<unsigned char>(c) >= 0xE3) {
      for (const auto& [mark, ascii] : kMarks) {
        if (std::string_view(text).substr(i, mark.size()) != mark) continue;
        auto at = static_cast<std::uint32_t>(i);
        diags.error(Code::E0101, {at, at + static_cast<std::uint32_t>(mark.size())},
                    fmt::format("full-width '{}' in rule text; write {}", mark,
                                std::string_view(ascii).size() == 1 ? fmt::format("'{}'", ascii) : ascii));
        found = true;
        break;
      }
    }
  }
  return found;
}

}  // namespace

ParseResult parse(const Source& source, const ParseLimits& limits) {
  ParseResult result;
  Diagnostics& diags = result.diagnostics;
  const std::string& text = source.text();

  // Spans are 32-bit offsets.
  std::size_t max_bytes = std::min<std::size_t>(limits.max_bytes, std::numeric_limits<std::uint32_t>::max() - 1);
  if (text.size() > max_bytes) {
    diags.error(Code::E0002, {0, 0},
                fmt::format("rule text is {} bytes, more than the limit of {} bytes", text.size(), max_bytes));
    return result;
  }
  if (std::size_t bad = find_invalid_utf8(text); bad != std::string::npos) {
    auto at = static_cast<std::uint32_t>(bad);
    diags.error(Code::E0001, {at, at + 1},
                fmt::format("invalid UTF-8: byte 0x{:02X} does not belong here; rule text must be UTF-8",
                            static_cast<unsigned char>(text[bad])));
    return result;
  }

  // A lone carriage return would end no line: a comment before it would run on
  // over the rules after it.
  for (std::size_t i = text.find('\r'); i != std::string::npos; i = text.find('\r', i + 1)) {
    if (i + 1 < text.size() && text[i + 1] == '\n') continue;
    auto at = static_cast<std::uint32_t>(i);
    diags.error(Code::E0101, {at, at + 1}, "a carriage return without a line feed: line ends must be LF or CRLF");
    return result;
  }
  if (full_width_punctuation(text, diags)) return result;

  Iter begin = text.data();
  Iter last = begin + text.size();
  Builder b(source, result.rulebook, diags, limits.max_depth);

  Iter p = begin;
  if (text.size() >= 3 && std::memcmp(begin, "\xEF\xBB\xBF", 3) == 0) p += 3;  // a UTF-8 BOM is whitespace
  Iter text_begin = p;
  p = syntax::detail::skip_blanks(p, last);

  auto fail_and_recover = [&](Iter decl_start) {
    return recover(b.error_at() != nullptr ? b.error_at() : decl_start, decl_start, text_begin, last);
  };

  if (syntax::detail::at_word(p, last, "rulebook")) {
    Iter it = p;
    p = parse_one(grammar::header, it, last, b) ? it : fail_and_recover(p);
  } else {
    Iter e;
    std::string found = syntax::detail::describe_token(p, last, e);
    b.report(Code::E0105, b.span(p, e),
             fmt::format("missing rulebook header: a rule file starts with rulebook \"title\", found {}", found));
    if (!syntax::detail::at_decl_keyword(p, last)) p = recover(p, p, text_begin, last);
  }

  for (;;) {
    p = syntax::detail::skip_blanks(p, last);
    if (p == last) break;
    if (diags.error_count() >= kMaxErrors) {
      diags.items().back().notes.push_back({{}, "too many errors; stopping here"});
      break;
    }
    if (!syntax::detail::at_decl_keyword(p, last)) {
      b.syntax_error(p, b.continuation());
      p = recover(p, p, text_begin, last);
      continue;
    }
    Iter it = p;
    p = parse_one(grammar::declaration, it, last, b) ? it : fail_and_recover(p);
  }

  result.rulebook.expr_count = number_expressions(b.roots());
  syntax::check_limits(result.rulebook, b.roots(), limits, diags);
  return result;
}

}  // namespace gradus
