// Rule text held in memory, with a line table for turning byte offsets into
// line:column positions and for quoting source lines in diagnostics.
//
// A Source owns its text. Spans are byte offsets into that text; they are
// cheap to copy and travel from the parser through the AST, the checker and
// the plan into explanations. Thread-compatible: const methods may be called
// from several threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gradus {

/// A half-open byte range [begin, end) in one Source.
struct Span {
  std::uint32_t begin = 0;  // first byte
  std::uint32_t end = 0;    // one past the last byte

  bool empty() const { return begin >= end; }
  friend bool operator==(const Span&, const Span&) = default;
};

/// Covers both spans.
inline Span join(Span a, Span b) {
  return {a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
}

/// A 1-based line and column; the column counts Unicode code points.
struct Location {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};

/// Rule text and its name (usually the file path).
class Source {
 public:
  Source() = default;
  Source(std::string name, std::string text);

  /// Reads a file. Throws gradus::IoError when it cannot be read.
  static Source from_file(const std::string& path);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }

  Location location(std::uint32_t offset) const;
  /// The text of a 1-based line, without its line end.
  std::string_view line_text(std::uint32_t line) const;
  std::string_view slice(Span span) const;
  /// Byte offset where a 1-based line starts.
  std::uint32_t line_offset(std::uint32_t line) const;
  std::uint32_t line_count() const { return static_cast<std::uint32_t>(line_starts_.size()); }

 private:
  std::string name_;                         // file path or a label such as "<string>"
  std::string text_;                         // the whole text, as given
  std::vector<std::uint32_t> line_starts_;   // byte offset where each line starts
};

/// Display width of UTF-8 text in a terminal (wide CJK characters count 2).
std::size_t display_width(std::string_view utf8);

/// Offset of the first byte of invalid UTF-8, or npos when the text is valid.
std::size_t find_invalid_utf8(std::string_view text);

}  // namespace gradus
