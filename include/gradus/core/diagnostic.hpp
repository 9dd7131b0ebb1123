// Diagnostics: the channel for mistakes in rule text.
//
// Parsing and checking never throw for bad rule text; they append
// Diagnostics to a list and carry on, so one run reports every error of a
// file. Each diagnostic has a stable code from the catalogue in codes.hpp
// (documented in rules/README.md), a span, a message and optional notes.
//
//   rules/food.gradus:12:9: error[E0203]: unknown name 'severty' (did you mean 'severity'?)
//      12 |   deduct x: violation.severty * 2
//         |                       ^~~~~~~
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gradus/core/codes.hpp"
#include "gradus/core/source.hpp"

namespace gradus {

enum class Severity { error, warning, note };

std::string_view to_string(Severity s);

/// A secondary position that explains a diagnostic (e.g. "first defined here").
struct DiagnosticNote {
  Span span;            // where; empty span means no position
  std::string message;  // what it says
};

struct Diagnostic {
  Severity severity = Severity::error;  // error stops the rulebook from being used
  Code code = Code::E0001;              // stable catalogue code
  Span span;                            // the offending text
  std::string message;                  // one line, no trailing period
  std::vector<DiagnosticNote> notes;    // further positions, in order
};

/// The diagnostics of one run over one Source.
class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void error(Code code, Span span, std::string message);
  void warning(Code code, Span span, std::string message);

  bool has_errors() const;
  std::size_t error_count() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  std::vector<Diagnostic>& items() { return items_; }
  bool empty() const { return items_.empty(); }

  /// Orders by position, then code, so output is stable.
  void sort();

 private:
  std::vector<Diagnostic> items_;
};

/// Renders one diagnostic as `file:line:col: severity[CODE]: message`, the
/// source line with a caret under the span, and its notes.
std::string render(const Source& source, const Diagnostic& d);

/// Renders all, each followed by a blank line, then a count line
/// ("2 errors, 1 warning") when there is any.
std::string render_all(const Source& source, const Diagnostics& ds);

/// Closest candidate by edit distance, or empty when none is close enough.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace gradus
