#include "gradus/core/diagnostic.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace gradus {

std::string_view code_name(Code c) {
  switch (c) {
#define GRADUS_CODE_NAME(name, text) \
  case Code::name:                   \
    return #name;
    GRADUS_CODES(GRADUS_CODE_NAME)
#undef GRADUS_CODE_NAME
  }
  return "E????";
}

std::string_view code_summary(Code c) {
  switch (c) {
#define GRADUS_CODE_TEXT(name, text) \
  case Code::name:                   \
    return text;
    GRADUS_CODES(GRADUS_CODE_TEXT)
#undef GRADUS_CODE_TEXT
  }
  return "";
}

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

void Diagnostics::error(Code code, Span span, std::string message) {
  items_.push_back({Severity::error, code, span, std::move(message), {}});
}

void Diagnostics::warning(Code code, Span span, std::string message) {
  items_.push_back({Severity::warning, code, span, std::move(message), {}});
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.span.begin != b.span.begin) return a.span.begin < b.span.begin;
    return a.code < b.code;
  });
}

// The source line with a caret line under `span` (clipped to the first line).
static std::string quote(const Source& source, Span span) {
  Location loc = source.location(span.begin);
  std::string_view line = source.line_text(loc.line);
  std::size_t line_begin = source.line_offset(loc.line);
  std::size_t col = span.begin - line_begin;
  if (col > line.size()) col = line.size();
  std::size_t len = span.end > span.begin ? span.end - span.begin : 1;
  if (col + len > line.size()) len = line.size() > col ? line.size() - col : 1;
  std::size_t pad = display_width(line.substr(0, col));
  std::size_t width = std::max<std::size_t>(1, display_width(line.substr(col, len)));
  std::string number = std::to_string(loc.line);
  std::string gutter(number.size(), ' ');
  std::string out = fmt::format(" {} | {}\n", number, line);
  out += fmt::format(" {} | {}^{}\n", gutter, std::string(pad, ' '), std::string(width - 1, '~'));
  return out;
}

std::string render(const Source& source, const Diagnostic& d) {
  Location loc = source.location(d.span.begin);
  std::string out = fmt::format("{}:{}:{}: {}[{}]: {}\n", source.name(), loc.line, loc.column,
                                to_string(d.severity), code_name(d.code), d.message);
  out += quote(source, d.span);
  for (const auto& n : d.notes) {
    if (n.span.empty() && n.span.begin == 0) {
      out += fmt::format("  note: {}\n", n.message);
    } else {
      Location nl = source.location(n.span.begin);
      out += fmt::format("{}:{}:{}: note: {}\n", source.name(), nl.line, nl.column, n.message);
      out += quote(source, n.span);
    }
  }
  return out;
}

std::string render_all(const Source& source, const Diagnostics& ds) {
  std::string out;
  std::size_t errors = 0, warnings = 0;
  for (const auto& d : ds.items()) {
    out += render(source, d);
    out += '\n';
    errors += d.severity == Severity::error;
    warnings += d.severity == Severity::warning;
  }
  if (errors + warnings > 0) {
    out += fmt::format("{}: {} error{}, {} warning{}\n", source.name(), errors, errors == 1 ? "" : "s",
                       warnings, warnings == 1 ? "" : "s");
  }
  return out;
}

// Optimal string alignment distance: insertions, deletions, substitutions and
// swaps of neighbours each cost one edit.
static std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = a[i - 1] != b[j - 1];
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  // names this short are one edit away from every other short name: no guess helps
  if (name.size() < 3) return {};
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(name, c);
    if (d < best_d || (d == best_d && c < best)) {
      best_d = d;
      best = c;
    }
  }
  // close enough: at most a third of the name's length, and at least one edit allowed
  std::size_t limit = std::max<std::size_t>(1, name.size() / 3);
  if (best_d == 0 || best_d > limit) return {};
  return best;
}

}  // namespace gradus
