// Character classes, reserved words and token descriptions of the rule
// language. Spirit-free; internal to the parser.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace gradus::syntax::detail {

/// The parser reads the source as bytes through plain pointers.
using Iter = const char*;

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
/// ASCII letter, '_' or any byte >= 0x80 (so UTF-8 letters such as Chinese work).
inline bool is_ident_start(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}
inline bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// Skips whitespace and `#` comments; returns where the next token starts (or last).
inline Iter skip_blanks(Iter first, Iter last) {
  while (first != last) {
    if (is_space(*first)) {
      ++first;
    } else if (*first == '#') {
      while (first != last && *first != '\n') ++first;
    } else {
      break;
    }
  }
  return first;
}

/// End of the word starting at `first`.
inline Iter word_end(Iter first, Iter last) {
  while (first != last && is_ident_char(*first)) ++first;
  return first;
}

/// The reserved words of GRAMMAR.md, sorted for binary search.
inline constexpr std::array<std::string_view, 61> kReserved = {
    "add",        "and",        "at",         "basis",      "because",    "breaches",   "by",
    "cap",        "categories", "clamp",      "const",      "deduct",     "discretion", "effective",
    "else",       "enum",       "escalate",   "false",      "for",        "force",      "if",
    "impose",     "in",         "incentive",  "inf",        "interval",   "law",        "least",
    "let",        "measure",    "most",       "not",        "of",         "or",         "otherwise",
    "over",       "overrides",  "penalty",    "proportion", "records",    "requires",   "rulebook",
    "sampling",   "sanction",   "scale",      "score",      "start",      "subjects",   "summary",
    "supervision", "table",      "then",       "tier",       "tiers",      "to",         "true",
    "variant",    "version",    "when",       "where",      "within"};
static_assert(std::is_sorted(kReserved.begin(), kReserved.end()));

inline bool is_reserved(std::string_view w) {
  return std::binary_search(kReserved.begin(), kReserved.end(), w);
}

/// Words that start a top-level declaration (error recovery resumes at one).
inline bool is_decl_keyword(std::string_view w) {
  static constexpr std::string_view kDecl[] = {
      "law",     "enum",      "scale", "subjects", "records",   "const",       "table",  "let",
      "measure", "incentive", "score", "tiers",    "overrides", "supervision", "summary",
      "sanction", "breaches", "penalty",  "proportion", "discretion",
      "variant", "categories"};
  return std::find(std::begin(kDecl), std::end(kDecl), w) != std::end(kDecl);
}

/// The word at `p` if it is a declaration keyword, else empty.
inline bool at_decl_keyword(Iter p, Iter last) {
  if (p == last || !is_ident_start(*p)) return false;
  Iter e = word_end(p, last);
  return is_decl_keyword(std::string_view(p, static_cast<std::size_t>(e - p)));
}

/// True when `word` is at `p`, on a word boundary.
inline bool at_word(Iter p, Iter last, std::string_view word) {
  if (static_cast<std::size_t>(last - p) < word.size()) return false;
  if (std::string_view(p, word.size()) != word) return false;
  return p + word.size() == last || !is_ident_char(p[word.size()]);
}

/// The token at `p` (already past blanks), as a diagnostic shows it after
/// "found": `'Sector'`, `reserved word 'for'`, `')'`, `string "abc"`,
/// `end of input`. `end` receives where the token ends.
inline std::string describe_token(Iter p, Iter last, Iter& end) {
  end = p;
  if (p == last) return "end of input";
  char c = *p;
  if (is_ident_start(c)) {
    end = word_end(p, last);
    std::string_view w(p, static_cast<std::size_t>(end - p));
    return fmt::format("{}'{}'", is_reserved(w) ? "reserved word " : "", w);
  }
  if (is_digit(c)) {
    Iter i = p;
    while (i != last && (is_digit(*i) || *i == '.' ||
                         (*i == '-' && i + 1 != last && is_digit(i[1]))))
      ++i;
    end = i;
    return fmt::format("'{}'", std::string_view(p, static_cast<std::size_t>(i - p)));
  }
  if (c == '"') {
    Iter i = p + 1;
    while (i != last && *i != '"' && *i != '\n' && *i != '\r') i += (*i == '\\' && i + 1 != last && i[1] != '\n') ? 2 : 1;
    if (i != last && *i == '"') ++i;
    end = i;
    std::string_view s(p, static_cast<std::size_t>(i - p));
    if (s.size() > 32) {
      std::size_t cut = 28;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
      return fmt::format("string {}...", s.substr(0, cut));
    }
    return fmt::format("string {}", s);
  }
  static constexpr std::string_view kPairs[] = {"->", "<=", ">=", "!="};
  for (std::string_view two : kPairs) {
    if (last - p >= 2 && std::string_view(p, 2) == two) {
      end = p + 2;
      return fmt::format("'{}'", two);
    }
  }
  end = p + 1;
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7F) return fmt::format("control character 0x{:02X}", u);
  return fmt::format("'{}'", c);
}

}  // namespace gradus::syntax::detail
