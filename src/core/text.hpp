// Quoting text for the formats gradus writes: CSV fields and JSON strings.
// Private to the library.
#pragma once

#include <string>
#include <string_view>

namespace gradus::text {

/// Appends s as one CSV field (RFC 4180): quoted, with quotes doubled, when it
/// holds a comma, a quote or a line break, or when always_quote is set.
void append_csv(std::string& out, std::string_view s, bool always_quote = false);

/// Appends s as a JSON string literal; UTF-8 passes through, control
/// characters are escaped.
void append_json(std::string& out, std::string_view s);

/// s as a JSON string literal.
std::string json(std::string_view s);

}  // namespace gradus::text
