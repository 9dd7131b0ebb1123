// Schema-driven CSV loading into a SubjectTable.
//
// Each file is read whole, cut into a few parts per thread at row boundaries
// (csv_reader.hpp) and the parts are parsed in parallel straight into the
// table's columns: every part knows its first line and an upper bound of its
// rows before it starts, so it writes at a fixed offset and numbers lines
// exactly. Parts that end up shorter (bad rows, line breaks inside quoted
// fields) are closed up afterwards. Subject ids are indexed in one
// open-addressing hash table; a record finds its subject through "same as
// the previous row", "the next subject or the one after" (records grouped in
// subject order) and only then the table. Records out of subject order are
// grouped afterwards by a stable counting sort.
//
// Values are converted without allocating: numbers by a SWAR fast path for
// plain whole numbers and a scalar one otherwise (both exactly
// decimal::parse), enum members and kinds through a small hash of length,
// first and last byte. Messages are only built for rows that are reported.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csv_reader.hpp"
#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/core/diagnostic.hpp"
#include "gradus/core/error.hpp"
#include "gradus/core/source.hpp"
#include "gradus/io/csv.hpp"

#include "../core/text.hpp"

namespace gradus {

namespace {

using csv::Part;
using csv::RawArray;
using csv::RowReader;
using csv::RowStatus;

// ------------------------------------------------------------------ values

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }
inline bool is_ascii(std::string_view t) {
  unsigned char any = 0;
  for (char c : t) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}
inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n'; }

/// The value of n (1..8) decimal digits at p, reading 8 bytes; false when
/// they are not all digits.
[[gnu::always_inline]] inline bool parse_digits8(const char* p, std::size_t n, std::uint64_t& out) {
  // Shift the digits to the top and fill the bottom with '0's: "734" -> "00000734".
  static constexpr std::uint64_t kFill[9] = {0,
                                             0x30303030303030ull,
                                             0x303030303030ull,
                                             0x3030303030ull,
                                             0x30303030ull,
                                             0x303030ull,
                                             0x3030ull,
                                             0x30ull,
                                             0};
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  const unsigned shift = static_cast<unsigned>(64 - 8 * n);
  const std::uint64_t x = (shift < 64 ? w << shift : 0) | kFill[n];
  if ((((x & 0xF0F0F0F0F0F0F0F0ull) | (((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4))) !=
      0x3333333333333333ull)
    return false;
  std::uint64_t v = x - 0x3030303030303030ull;
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
       (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
  out = v;
  return true;
}

/// decimal::parse, fast: the same texts accepted with the same values.
/// Writes `out` only on success. Padded: 8 readable bytes follow the text.
template <bool Padded>
[[gnu::always_inline]] inline bool parse_decimal(std::string_view t, std::int64_t& out) {
  if constexpr (Padded) {
    std::uint64_t v;
    if (t.size() - 1 < 8 && parse_digits8(t.data(), t.size(), v)) {  // plain whole numbers below 10^8
      out = static_cast<std::int64_t>(v) * decimal::kScale;
      return true;
    }
  }
  const char* p = t.data();
  const char* e = p + t.size();
  if (p == e) return false;
  bool neg = false;
  if (*p == '-' || *p == '+') {
    neg = *p == '-';
    if (++p == e) return false;
  }
  const char* digits = p;
  std::uint64_t whole = 0;
  while (p < e && is_digit(*p)) whole = whole * 10 + static_cast<unsigned>(*p++ - '0');
  const auto nwhole = p - digits;
  if (nwhole > 18) {  // leave long texts to the reference parser
    auto v = decimal::parse(t);
    if (!v) return false;
    out = *v;
    return true;
  }
  std::uint64_t frac = 0;
  int nfrac = 0;
  if (p < e && *p == '.') {
    ++p;
    for (; p < e && is_digit(*p); ++p) {
      if (nfrac < decimal::kDigits) {
        frac = frac * 10 + static_cast<unsigned>(*p - '0');
        ++nfrac;
      } else if (*p != '0') {
        return false;  // more precision than kept
      }
    }
  }
  if (p != e || (nwhole == 0 && nfrac == 0)) return false;
  static constexpr std::uint64_t kPow[] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  constexpr std::uint64_t kMaxWhole = static_cast<std::uint64_t>(INT64_MAX) / decimal::kScale;
  if (whole > kMaxWhole) return false;
  const std::uint64_t mag = whole * static_cast<std::uint64_t>(decimal::kScale) + frac * kPow[nfrac];
  const std::uint64_t limit = neg ? static_cast<std::uint64_t>(INT64_MAX) + 1 : static_cast<std::uint64_t>(INT64_MAX);
  if (mag > limit) return false;
  out = neg ? static_cast<std::int64_t>(0 - mag) : static_cast<std::int64_t>(mag);
  return true;
}

inline bool parse_bool(std::string_view t, std::int64_t& out) {
  if (t == "true" || t == "1") return out = 1, true;
  if (t == "false" || t == "0") return out = 0, true;
  return false;
}

/// Exact-match lookup of a small set of names (enum members and labels,
/// record kinds) in text with 16 readable bytes after it (RowReader fields).
/// Open addressing on length, first and last byte; slots hold the text's
/// place, so a lookup is one slot load and one or two 16-byte compares.
class Matcher {
 public:
  /// The first text added wins when the same text is added twice.
  void add(std::string_view text, std::int32_t code) {
    for (const auto& c : candidates_)
      if (c == text) return;
    entries_.push_back({static_cast<std::uint32_t>(text.size()), code, static_cast<std::uint32_t>(arena_.size())});
    arena_.insert(arena_.end(), text.begin(), text.end());
    arena_.insert(arena_.end(), 16, '\0');
    candidates_.emplace_back(text);
  }
  void finish() {
    std::size_t cap = 16;
    while (cap < 4 * entries_.size()) cap <<= 1;
    table_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const Slot& e : entries_) {
      std::size_t pos = key(std::string_view(arena_.data() + e.offset, e.size)) & mask_;
      while (table_[pos].code >= 0) pos = (pos + 1) & mask_;
      table_[pos] = e;
    }
  }
  /// Code of the text, or -1.
  [[gnu::always_inline]] inline std::int32_t find(std::string_view t) const {
    for (std::size_t pos = key(t) & mask_;; pos = (pos + 1) & mask_) {
      const Slot& s = table_[pos];
      if (s.code < 0) return -1;
      if (s.size == t.size() && same(arena_.data() + s.offset, t.data(), t.size())) return s.code;
    }
  }
  const std::vector<std::string>& candidates() const { return candidates_; }

 private:
  struct Slot {
    std::uint32_t size = 0;
    std::int32_t code = -1;  // -1: empty slot
    std::uint32_t offset = 0;
  };
  /// Length, first and last byte. Reads t[0] even when t is empty (padding).
  static std::size_t key(std::string_view t) {
    const std::size_t n = t.size();
    const auto first = static_cast<unsigned char>(t.data()[0]);
    const auto last = static_cast<unsigned char>(t.data()[n - (n != 0)]);
    return n * 7 + first * 31 + last;
  }
  /// a[0..n) == b[0..n), both followed by 16 readable bytes.
  static bool same(const char* a, const char* b, std::size_t n) {
#if defined(__SSE2__)
    auto differ = [](const char* x, const char* y) {
      return ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(
                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(x)), _mm_loadu_si128(reinterpret_cast<const __m128i*>(y))))) &
             0xFFFFu;
    };
    if (n <= 16) return (differ(a, b) & ((1u << n) - 1)) == 0;
    if (n <= 32) return (differ(a, b) | differ(a + n - 16, b + n - 16)) == 0;
#endif
    return std::memcmp(a, b, n) == 0;
  }
  std::vector<char> arena_;  // the texts, each followed by 16 zero bytes
  std::vector<Slot> entries_;
  std::vector<std::string> candidates_;
  std::vector<Slot> table_;
  std::size_t mask_ = 0;
};

/// How to read one schema field from one file column.
struct Conv {
  const FieldDef* field = nullptr;
  TypeKind kind = TypeKind::error;
  const Matcher* members = nullptr;     // enumeration
  const EnumType* enum_type = nullptr;  // enumeration
  std::uint64_t kinds = ~0ull;          // record fields: the kinds that have it
  std::size_t column = 0;               // in the file
  const std::int64_t* allowed = nullptr;  // `in {...}`: the allowed values, ascending
  std::size_t allowed_n = 0;              // how many; 0: any value
};

/// Whether a number field with `in {...}` may hold v.
inline bool allowed(const Conv& c, std::int64_t v) { return std::binary_search(c.allowed, c.allowed + c.allowed_n, v); }

/// Reads a value of a RowReader field; writes `out` only on success.
[[gnu::always_inline]] inline bool convert(const Conv& c, std::string_view t, std::int64_t& out) {
  // Tests rather than a switch: a row's fields come in a fixed order, which
  // conditional branches predict better than one indirect jump.
  if (c.kind == TypeKind::days || c.kind == TypeKind::money || c.kind == TypeKind::decimal) {
    if (c.allowed_n == 0) return parse_decimal<true>(t, out);
    std::int64_t v;
    if (!parse_decimal<true>(t, v) || !allowed(c, v)) return false;
    out = v;
    return true;
  }
  if (c.kind == TypeKind::enumeration) {
    const std::int32_t code = c.members->find(t);
    if (code < 0) return false;
    out = code;
    return true;
  }
  if (c.kind == TypeKind::integer) {
    std::int64_t v;
    if (!parse_decimal<true>(t, v) || v % decimal::kScale != 0 || (c.allowed_n != 0 && !allowed(c, v))) return false;
    out = v;
    return true;
  }
  if (c.kind == TypeKind::boolean) return parse_bool(t, out);
  if (c.kind == TypeKind::date) {
    auto d = date::parse(t);
    if (!d) return false;
    out = *d;
    return true;
  }
  return false;
}

/// Data text as a message quotes it: control characters and bytes that are
/// not UTF-8 as \xNN, and a long value cut short (at a character boundary), so
/// that a message stays one readable line.
std::string shown(std::string_view t) {
  constexpr std::size_t kShown = 80;
  std::size_t n = t.size();
  if (n > kShown) {
    n = kShown;
    while (n > 0 && (static_cast<unsigned char>(t[n]) & 0xC0) == 0x80) --n;  // not inside a character
  }
  std::string_view v = t.substr(0, n);
  std::string s;
  while (!v.empty()) {
    const std::size_t bad = std::min(find_invalid_utf8(v), v.size());
    for (char c : v.substr(0, bad)) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
        s += fmt::format("\\x{:02X}", static_cast<unsigned char>(c));
      else
        s += c;
    }
    if (bad == v.size()) break;
    s += fmt::format("\\x{:02X}", static_cast<unsigned char>(v[bad]));
    v.remove_prefix(bad + 1);
  }
  if (n < t.size()) s += fmt::format("... ({} bytes)", t.size());
  return s;
}

std::string quoted_value(std::string_view why, std::string_view t) {
  return fmt::format("{} (value '{}')", why, shown(t));
}

std::string unknown_name(std::string_view what, std::string_view t, const std::vector<std::string>& candidates) {
  std::string s = fmt::format("unknown {} '{}'", what, shown(t));
  std::string best = did_you_mean(t, candidates);
  if (!best.empty()) s += fmt::format(" (did you mean '{}'?)", best);
  return s;
}

std::string number_problem(std::string_view t, bool whole) {
  if (auto v = decimal::parse(t)) {
    if (whole && *v % decimal::kScale != 0) return quoted_value("not a whole number", t);
    return quoted_value("not a valid value", t);  // not reached: convert() accepted it
  }
  // Shape of a number: [+-] digits [. digits]
  std::size_t i = 0, nwhole = 0, nfrac = 0;
  bool lost = false;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  for (; i < t.size() && is_digit(t[i]); ++i) ++nwhole;
  if (i < t.size() && t[i] == '.') {
    for (++i; i < t.size() && is_digit(t[i]); ++i, ++nfrac)
      if (nfrac >= static_cast<std::size_t>(decimal::kDigits) && t[i] != '0') lost = true;
  }
  if (i == t.size() && nwhole + nfrac > 0)
    return quoted_value(lost ? "more than 6 decimals" : "out of range", t);
  return quoted_value("not a number", t);
}

/// "not one of the allowed values 0, 5, 10 (value '15')" when t is a number the field does not allow.
std::optional<std::string> not_allowed(const Conv& c, std::string_view t) {
  if (c.allowed_n == 0) return std::nullopt;
  auto v = decimal::parse(t);
  if (!v || (c.kind == TypeKind::integer && *v % decimal::kScale != 0) || allowed(c, *v)) return std::nullopt;
  std::string list;
  for (std::size_t i = 0; i < c.allowed_n; ++i) list += (i ? ", " : "") + decimal::format(c.allowed[i]);
  return quoted_value(fmt::format("not one of the allowed values {}", list), t);
}

/// Why `t` is not a valid value for the field (t was rejected by convert()).
std::string value_problem(const Conv& c, std::string_view t) {
  if (t.empty()) return "empty value";
  if (auto why = not_allowed(c, t)) return *why;
  if (c.kind != TypeKind::enumeration && (is_space(t.front()) || is_space(t.back())))
    return quoted_value("leading or trailing space", t);
  switch (c.kind) {
    case TypeKind::integer:
      return number_problem(t, true);
    case TypeKind::decimal:
    case TypeKind::money:
    case TypeKind::days:
      return number_problem(t, false);
    case TypeKind::boolean:
      return quoted_value("not a bool (true, false, 1 or 0)", t);
    case TypeKind::date: {
      bool shape = t.size() == 10 && t[4] == '-' && t[7] == '-';
      for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) shape = shape && i < t.size() && is_digit(t[i]);
      return quoted_value(shape ? "no such date" : "not a date (YYYY-MM-DD)", t);
    }
    case TypeKind::enumeration:
      return unknown_name(c.enum_type->name, t, c.members->candidates());
    default:
      return quoted_value("not a valid value", t);
  }
}

// ------------------------------------------------------------------ subject ids

inline std::uint64_t hash_id(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = 0x9E3779B97F4A7C15ull * (n + 1);
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  std::uint64_t w = 0;
  for (std::size_t i = 0; i < n; ++i) w |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  h = (h ^ w) * 0x94D049BB133111EBull;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return h;
}

/// Subject id -> index: open addressing, linear probing; a slot holds the
/// hash's high 32 bits and index + 1.
class IdIndex {
 public:
  /// Indexes ids in order; a repeated id keeps its first index and is
  /// reported in `dups` as (later index, first index).
  void build(const std::vector<std::string>& ids, const std::uint64_t* hashes,
             std::vector<std::pair<std::size_t, std::size_t>>& dups) {
    ids_ = &ids;
    const std::size_t n = ids.size();
    std::size_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    csv::size_huge(slots_, cap);
    mask_ = cap - 1;
    constexpr std::size_t kAhead = 16;
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) __builtin_prefetch(&slots_[hashes[i + kAhead] & mask_], 1);
      const std::uint64_t h = hashes[i];
      const std::uint64_t tag = h >> 32;
      for (std::size_t pos = h & mask_;; pos = (pos + 1) & mask_) {
        const std::uint64_t s = slots_[pos];
        if (s == 0) {
          slots_[pos] = (tag << 32) | (i + 1);
          break;
        }
        if ((s >> 32) == tag && csv::equal(ids[(s & 0xFFFFFFFFu) - 1], ids[i])) {
          dups.emplace_back(i, (s & 0xFFFFFFFFu) - 1);
          break;
        }
      }
    }
  }
  /// Index of the id, or -1.
  std::int64_t find(std::string_view id) const {
    if (slots_.empty()) return -1;
    const std::uint64_t h = hash_id(id);
    const std::uint64_t tag = h >> 32;
    for (std::size_t pos = h & mask_;; pos = (pos + 1) & mask_) {
      const std::uint64_t s = slots_[pos];
      if (s == 0) return -1;
      if ((s >> 32) == tag && csv::equal((*ids_)[(s & 0xFFFFFFFFu) - 1], id)) return static_cast<std::int64_t>((s & 0xFFFFFFFFu) - 1);
    }
  }

 private:
  std::vector<std::uint64_t> slots_;
  std::uint64_t mask_ = 0;
  const std::vector<std::string>* ids_ = nullptr;
};

// ------------------------------------------------------------------ problems

/// A bad row.
struct Issue {
  std::uint64_t line = 0;
  std::string field;   // column name; empty for problems of the whole row
  std::string reason;  // why, with the value
  std::string raw;     // the row as in the file
};

/// Issues of one part (or file), in line order. Keeps at most `keep`; counts all.
struct Issues {
  std::vector<Issue> items;
  std::size_t count = 0;
  std::size_t keep = 0;

  template <class Reason>
  void add(std::uint64_t line, std::string_view field, Reason&& reason, std::string_view raw) {
    ++count;
    if (items.size() < keep) items.push_back({line, std::string(field), std::string(reason()), std::string(raw)});
  }
  void append(Issues&& o) {
    count += o.count;
    for (auto& i : o.items)
      if (items.size() < keep) items.push_back(std::move(i));
  }
};

/// Why a row could not be read: its shape, or its length (over max_row_bytes).
std::string row_problem(const RowReader& rr, std::size_t max_row_bytes) {
  if (rr.raw().size() > max_row_bytes)
    return fmt::format("row of {} bytes, longer than the limit of {} bytes", rr.raw().size(), max_row_bytes);
  switch (rr.status()) {
    case RowStatus::empty_line: return "empty line";
    case RowStatus::bad_quote: return rr.quote_problem();
    case RowStatus::field_count: return fmt::format("expected {} fields, found {}", rr.columns(), rr.found());
    case RowStatus::ok: break;
  }
  return "bad row";
}

// ------------------------------------------------------------------ the loader

/// What one part produced.
struct PartResult {
  std::size_t base = 0;  // first row slot of the part in the table's columns
  std::size_t capacity = 0;
  std::size_t rows = 0;  // good rows written from base
  Issues issues;
  bool anomaly = false;
  // subjects: ids of bad rows, for "subject rejected"
  std::vector<std::string> rejected_ids;
  // records
  bool ascending = true;    // subjects non-decreasing within the part
  std::size_t first_subject = 0, last_subject = 0;
};

/// Closes up the gaps left by parts that wrote fewer rows than they had room for.
template <class T>
void close_up(T* data, const std::vector<PartResult>& parts) {
  std::size_t w = 0;
  for (const auto& p : parts) {
    if (w != p.base && p.rows > 0) std::move(data + p.base, data + p.base + p.rows, data + w);
    w += p.rows;
  }
}

/// Removes the rows whose flag is set, keeping order.
template <class T>
void drop_rows(T* data, std::size_t n, const std::vector<char>& drop) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (!drop[i]) {
      if (w != i) data[w] = std::move(data[i]);
      ++w;
    }
}

/// A column's name -> its index in the header.
struct Header {
  std::string path;
  std::vector<std::string> names;

  Header(std::string p, std::vector<std::string> n) : path(std::move(p)), names(std::move(n)) {
    for (std::size_t i = 0; i < names.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (names[i] == names[j])
          throw DataError(fmt::format("{}: duplicate column '{}' (columns {} and {})", path, names[i], j + 1, i + 1));
  }
  std::size_t require(const std::string& name, std::vector<std::string>& missing) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return i;
    missing.push_back(name);
    return 0;
  }
  void check(const std::vector<std::string>& missing) const {
    if (missing.empty()) return;
    std::string msg;
    for (const auto& m : missing) {
      if (!msg.empty()) msg += '\n';
      msg += fmt::format("{}: missing column '{}'", path, m);
      std::string best = did_you_mean(m, names);
      if (!best.empty()) msg += fmt::format(" (did you mean '{}'?)", best);
    }
    throw DataError(msg);
  }
};

class Loader {
 public:
  Loader(const Schema& schema, const LoadOptions& options) : schema_(schema), options_(options) {
    threads_ = csv::thread_count(options.threads);
    keep_ = options.reject_path.empty() ? options.max_errors : std::numeric_limits<std::size_t>::max();
    if (schema.key_field.empty()) throw UsageError("the schema has no key field");
    const std::size_t kinds = schema.kinds.empty() ? 1 : schema.kinds.size();
    if (kinds > 64) throw UsageError(fmt::format("the schema has {} record kinds; at most 64 are supported", kinds));
    for (std::size_t i = 0; i < schema.kinds.size(); ++i) kinds_.add(schema.kinds[i], static_cast<std::int32_t>(i));
    kinds_.finish();
    enums_.resize(schema.enums.size());
    for (std::size_t e = 0; e < schema.enums.size(); ++e) {
      const EnumType& t = schema.enums[e];
      for (std::size_t i = 0; i < t.members.size(); ++i) enums_[e].add(t.members[i], static_cast<std::int32_t>(i));
      for (std::size_t i = 0; i < t.labels.size() && i < t.members.size(); ++i)
        if (!t.labels[i].empty()) enums_[e].add(t.labels[i], static_cast<std::int32_t>(i));
      enums_[e].finish();
    }
  }

  SubjectTable run(const std::string& subjects_path, const std::string& records_path, LoadReport* report) {
    table_.subject_columns.resize(schema_.subject_fields.size());
    table_.record_columns.resize(schema_.record_fields.size());
    load_subjects(subjects_path);
    if (records_path.empty()) {
      table_.record_offsets.assign(table_.ids.size() + 1, 0);  // no records file: no records
    } else {
      if (schema_.link_field.empty())
        throw UsageError(fmt::format("{}: the rulebook declares no records to read", records_path));
      load_records(records_path);
    }
    table_.records_source = records_path;
    finish(subjects_path, records_path, report);
    return std::move(table_);
  }

 private:
  Conv make_conv(const FieldDef& f, std::size_t column) const {
    Conv c;
    c.field = &f;
    c.kind = f.type.kind;
    c.kinds = f.kinds;
    c.column = column;
    c.allowed = f.allowed.data();
    c.allowed_n = f.allowed.size();
    switch (f.type.kind) {
      case TypeKind::integer:
      case TypeKind::decimal:
      case TypeKind::money:
      case TypeKind::days:
      case TypeKind::boolean:
      case TypeKind::date:
        break;
      case TypeKind::enumeration:
        if (f.type.enum_index < 0 || static_cast<std::size_t>(f.type.enum_index) >= schema_.enums.size())
          throw UsageError(fmt::format("field '{}' names enum {}, the schema has {}", f.name, f.type.enum_index,
                                       schema_.enums.size()));
        c.members = &enums_[static_cast<std::size_t>(f.type.enum_index)];
        c.enum_type = &schema_.enums[static_cast<std::size_t>(f.type.enum_index)];
        break;
      default:
        throw UsageError(fmt::format("field '{}' has type {}, which data files cannot hold", f.name,
                                     schema_.type_name(f.type)));
    }
    return c;
  }

  /// Splits the text and parses every part with `parse(part_index)`; parses
  /// again as one part if any part saw malformed quoting.
  template <class Prepare, class Parse>
  std::vector<PartResult> parse_parts(const csv::CsvText& text, Prepare prepare, Parse parse) {
    // A few parts per thread, taken in turn, so that a thread that gets less
    // of the machine holds up less.
    const unsigned nparts = threads_ == 1 ? 1 : threads_ * 4;
    std::vector<Part> parts = csv::split_rows(text.begin, text.end, text.first_line, nparts, threads_);
    std::size_t capacity = 0;
    std::vector<PartResult> results(parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
      results[i].base = capacity;
      results[i].capacity = parts[i].newlines;
      results[i].issues.keep = keep_;
      capacity += parts[i].newlines;
    }
    prepare(capacity);
    csv::parallel_for(parts.size(), threads_, [&](std::size_t i) { parse(parts[i], results[i]); });
    bool anomaly = false;
    for (const auto& r : results) anomaly = anomaly || r.anomaly;
    if (anomaly && parts.size() > 1) {
      Part whole{text.begin, text.end, text.first_line, capacity};
      results.assign(1, PartResult{});
      results[0].capacity = capacity;
      results[0].issues.keep = keep_;
      parse(whole, results[0]);
    }
    return results;
  }

  // ---------------------------------------------------------------- subjects

  void load_subjects(const std::string& path) {
    csv::FileBuffer file = csv::FileBuffer::read(path, threads_);
    csv::CsvText text = csv::open_csv(file, path);
    Header header(path, text.header);
    std::vector<std::string> missing;
    const std::size_t key_col = header.require(schema_.key_field, missing);
    std::vector<Conv> convs;
    for (const auto& f : schema_.subject_fields) convs.push_back(make_conv(f, header.require(f.name, missing)));
    header.check(missing);
    const std::size_t columns = text.header.size();

    RawArray<std::uint64_t> hashes;
    RawArray<std::uint64_t> lines;
    auto prepare = [&](std::size_t capacity) {
      std::vector<std::function<void()>> jobs;
      jobs.emplace_back([&] { csv::size_huge(table_.ids, capacity); });
      for (auto& c : table_.subject_columns) jobs.emplace_back([&c, capacity] { csv::size_huge(c.values(), capacity); });
      run_jobs(jobs);
      hashes = RawArray<std::uint64_t>(capacity);
      lines = RawArray<std::uint64_t>(capacity);
    };
    auto parse = [&](const Part& part, PartResult& out) {
      RowReader rr(part.begin, part.end, columns, part.first_line);
      std::vector<std::int64_t*> cols;
      for (auto& c : table_.subject_columns) cols.push_back(c.values().data());
      const std::string& key_name = schema_.key_field;
      std::size_t w = out.base;
      while (rr.next()) {
        if (rr.status() != RowStatus::ok || rr.raw().size() > options_.max_row_bytes) {
          out.issues.add(rr.line(), "", [&] { return row_problem(rr, options_.max_row_bytes); }, rr.raw());
          if (key_col < std::min(rr.found(), columns) && !rr.field(key_col).empty() &&
              (rr.status() == RowStatus::field_count || rr.status() == RowStatus::ok))
            out.rejected_ids.emplace_back(rr.field(key_col));
          continue;
        }
        const std::string_view id = rr.field(key_col);
        if (id.empty()) {
          out.issues.add(rr.line(), key_name, [] { return "empty id"; }, rr.raw());
          continue;
        }
        if (!is_ascii(id) && find_invalid_utf8(id) != std::string_view::npos) {
          out.issues.add(rr.line(), key_name, [&] { return quoted_value("not valid UTF-8 text", id); }, rr.raw());
          out.rejected_ids.emplace_back(id);
          continue;
        }
        std::size_t k = 0;
        for (; k < convs.size(); ++k)
          if (!convert(convs[k], rr.field(convs[k].column), cols[k][w])) break;
        if (k < convs.size()) {
          const Conv& c = convs[k];
          out.issues.add(rr.line(), c.field->name, [&] { return value_problem(c, rr.field(c.column)); }, rr.raw());
          out.rejected_ids.emplace_back(id);
          continue;
        }
        table_.ids[w].assign(id.data(), id.size());
        hashes[w] = hash_id(id);
        lines[w] = rr.line();
        ++w;
      }
      out.rows = w - out.base;
      out.anomaly = rr.quote_anomaly();
    };
    std::vector<PartResult> parts = parse_parts(text, prepare, parse);

    // Close up and trim.
    std::size_t n = 0, capacity = 0;
    for (const auto& p : parts) n += p.rows, capacity += p.capacity;
    if (n != capacity) {
      close_up(table_.ids.data(), parts);
      for (auto& c : table_.subject_columns) close_up(c.values().data(), parts);
      close_up(hashes.data(), parts);
      close_up(lines.data(), parts);
    }
    if (n > 0xFFFFFFFEu) throw UsageError(fmt::format("{}: too many subjects ({})", path, n));
    table_.ids.resize(n);
    for (auto& c : table_.subject_columns) c.values().resize(n);

    Issues issues;
    issues.keep = keep_;
    for (auto& p : parts) {
      issues.append(std::move(p.issues));
      for (auto& id : p.rejected_ids) rejected_ids_.insert(std::move(id));
    }

    // Index the ids; a repeated id is an error on its later row.
    std::vector<std::pair<std::size_t, std::size_t>> dups;
    index_.build(table_.ids, hashes.data(), dups);
    if (!dups.empty()) {
      Issues dup_issues;
      dup_issues.keep = keep_;
      std::vector<char> drop(n, 0);
      std::map<std::uint64_t, std::string> raw;  // the rows' text, for the reject file
      if (!options_.reject_path.empty()) {
        for (auto [later, first] : dups) raw[lines[later]];
        rows_text(text, raw);
      }
      for (auto [later, first] : dups) {
        drop[later] = 1;
        const std::string& id = table_.ids[later];
        dup_issues.add(lines[later], schema_.key_field,
                       [&, first = first] { return fmt::format("duplicate id '{}' (first at line {})", shown(id), lines[first]); },
                       raw[lines[later]]);
      }
      issues = merge(std::move(issues), std::move(dup_issues));
      drop_rows(table_.ids.data(), n, drop);
      for (auto& c : table_.subject_columns) drop_rows(c.values().data(), n, drop);
      drop_rows(hashes.data(), n, drop);
      n -= dups.size();
      table_.ids.resize(n);
      for (auto& c : table_.subject_columns) c.values().resize(n);
      dups.clear();
      index_.build(table_.ids, hashes.data(), dups);
    }
    subject_issues_ = std::move(issues);
  }

  /// Fills in the text of the rows starting at the lines given as keys.
  static void rows_text(const csv::CsvText& text, std::map<std::uint64_t, std::string>& rows) {
    RowReader rr(text.begin, text.end, text.header.size(), text.first_line);
    auto want = rows.begin();
    while (want != rows.end() && rr.next()) {
      while (want != rows.end() && want->first < rr.line()) ++want;
      if (want != rows.end() && want->first == rr.line()) {
        want->second = rr.raw();
        ++want;
      }
    }
  }

  static Issues merge(Issues a, Issues b) {
    Issues out;
    out.keep = a.keep;
    out.count = a.count + b.count;
    std::merge(std::make_move_iterator(a.items.begin()), std::make_move_iterator(a.items.end()),
               std::make_move_iterator(b.items.begin()), std::make_move_iterator(b.items.end()),
               std::back_inserter(out.items), [](const Issue& x, const Issue& y) { return x.line < y.line; });
    if (out.items.size() > out.keep) out.items.resize(out.keep);
    return out;
  }

  void run_jobs(std::vector<std::function<void()>>& jobs) {
    csv::parallel_for(jobs.size(), threads_, [&](std::size_t j) { jobs[j](); });
  }

  // ---------------------------------------------------------------- records

  void load_records(const std::string& path) {
    csv::FileBuffer file = csv::FileBuffer::read(path, threads_);
    csv::CsvText text = csv::open_csv(file, path);
    Header header(path, text.header);
    std::vector<std::string> missing;
    const std::size_t link_col = header.require(schema_.link_field, missing);
    const bool has_kind = !schema_.kind_field.empty();
    const std::size_t kind_col = has_kind ? header.require(schema_.kind_field, missing) : 0;
    std::vector<Conv> convs;
    for (const auto& f : schema_.record_fields) convs.push_back(make_conv(f, header.require(f.name, missing)));
    header.check(missing);
    const std::size_t columns = text.header.size();

    RawArray<std::uint32_t> subject;
    auto prepare = [&](std::size_t capacity) {
      std::vector<std::function<void()>> jobs;
      jobs.emplace_back([&] { csv::size_huge(table_.record_kind.values(), capacity); });
      jobs.emplace_back([&] { csv::size_huge(table_.record_line, capacity); });
      for (auto& c : table_.record_columns) jobs.emplace_back([&c, capacity] { csv::size_huge(c.values(), capacity); });
      run_jobs(jobs);
      subject = RawArray<std::uint32_t>(capacity);
    };
    const bool quarantine = !options_.reject_path.empty();
    auto parse = [&](const Part& part, PartResult& out) {
      RowReader rr(part.begin, part.end, columns, part.first_line);
      std::vector<std::int64_t*> cols;
      for (auto& c : table_.record_columns) cols.push_back(c.values().data());
      std::int64_t* kind_out = table_.record_kind.values().data();
      std::uint32_t* line_out = table_.record_line.data();
      std::uint32_t* subject_out = subject.data();
      const std::vector<std::string>& ids = table_.ids;
      const std::size_t nsubjects = ids.size();
      const std::string& link_name = schema_.link_field;
      std::size_t prev = static_cast<std::size_t>(-1);  // subject of the previous row
      std::size_t last = 0;
      bool ascending = true;
      std::size_t w = out.base;
      while (rr.next()) {
        if (rr.status() != RowStatus::ok || rr.raw().size() > options_.max_row_bytes) {
          out.issues.add(rr.line(), "", [&] { return row_problem(rr, options_.max_row_bytes); }, rr.raw());
          continue;
        }
        const std::string_view link = rr.field(link_col);
        std::size_t s;
        if (prev < nsubjects && csv::equal(ids[prev], link)) {
          s = prev;
        } else if (prev + 1 < nsubjects && csv::equal(ids[prev + 1], link)) {
          s = prev + 1;  // records in subject order
        } else if (prev + 2 < nsubjects && csv::equal(ids[prev + 2], link)) {
          s = prev + 2;  // ... where a subject has no records
        } else {
          std::int64_t f = index_.find(link);
          if (f < 0) {
            if (!rejected_ids_.empty() && rejected_ids_.count(std::string(link))) {
              // Without a reject file its subject's error already fails the load.
              if (quarantine) out.issues.add(rr.line(), link_name, [] { return "subject rejected"; }, rr.raw());
            } else {
              out.issues.add(rr.line(), link_name, [&] { return fmt::format("unknown subject id '{}'", shown(link)); },
                             rr.raw());
            }
            continue;
          }
          s = static_cast<std::size_t>(f);
        }
        prev = s;
        std::int32_t kind = 0;
        if (has_kind) {
          kind = kinds_.find(rr.field(kind_col));
          if (kind < 0) {
            out.issues.add(rr.line(), schema_.kind_field, [&] {
              std::string_view t = rr.field(kind_col);
              return t.empty() ? std::string("empty value") : unknown_name("kind", t, kinds_.candidates());
            }, rr.raw());
            continue;
          }
        }
        std::size_t k = 0;
        for (; k < convs.size(); ++k) {
          const Conv& c = convs[k];
          if (!((c.kinds >> kind) & 1)) cols[k][w] = 0;  // the kind has no such field: not read
          else if (!convert(c, rr.field(c.column), cols[k][w])) break;
        }
        if (k < convs.size()) {
          const Conv& c = convs[k];
          out.issues.add(rr.line(), c.field->name, [&] { return value_problem(c, rr.field(c.column)); }, rr.raw());
          continue;
        }
        kind_out[w] = kind;
        line_out[w] = static_cast<std::uint32_t>(std::min<std::uint64_t>(rr.line(), 0xFFFFFFFFu));
        subject_out[w] = static_cast<std::uint32_t>(s);
        if (w == out.base) out.first_subject = s;
        else if (s < last) ascending = false;
        last = s;
        ++w;
      }
      out.rows = w - out.base;
      out.last_subject = last;
      out.ascending = ascending;
      out.anomaly = rr.quote_anomaly();
    };
    std::vector<PartResult> parts = parse_parts(text, prepare, parse);

    std::size_t m = 0, capacity = 0;
    bool grouped = true;
    const PartResult* before = nullptr;
    for (const auto& p : parts) {
      m += p.rows, capacity += p.capacity;
      if (p.rows == 0) continue;
      grouped = grouped && p.ascending && (!before || before->last_subject <= p.first_subject);
      before = &p;
    }
    if (m != capacity) {
      close_up(table_.record_kind.values().data(), parts);
      close_up(table_.record_line.data(), parts);
      for (auto& c : table_.record_columns) close_up(c.values().data(), parts);
      close_up(subject.data(), parts);
    }
    table_.record_kind.values().resize(m);
    table_.record_line.resize(m);
    for (auto& c : table_.record_columns) c.values().resize(m);

    // Offsets, and grouping by subject when the file was not in subject order.
    const std::size_t n = table_.ids.size();
    table_.record_offsets.assign(n + 1, 0);
    std::int64_t* off = table_.record_offsets.data();
    for (std::size_t i = 0; i < m; ++i) ++off[subject[i] + 1];
    for (std::size_t i = 0; i < n; ++i) off[i + 1] += off[i];
    for (std::size_t i = 0; i < n; ++i)
      if (static_cast<std::size_t>(off[i + 1] - off[i]) > options_.max_records_per_subject)
        throw DataError(fmt::format("{}: subject '{}' has {} records, more than the limit of {} per subject", path,
                                    shown(table_.ids[i]), off[i + 1] - off[i], options_.max_records_per_subject));
    if (!grouped) group_records(subject, m);

    Issues issues;
    issues.keep = keep_;
    for (auto& p : parts) issues.append(std::move(p.issues));
    record_issues_ = std::move(issues);
  }

  /// Stable counting sort of the records by subject (offsets already computed).
  void group_records(const RawArray<std::uint32_t>& subject, std::size_t m) {
    RawArray<std::uint32_t> dest(m);
    {
      std::vector<std::int64_t> next(table_.record_offsets.begin(), table_.record_offsets.end() - 1);
      for (std::size_t i = 0; i < m; ++i) dest[i] = static_cast<std::uint32_t>(next[subject[i]]++);
    }
    auto permute = [&](auto& v) {
      std::remove_reference_t<decltype(v)> out;
      csv::size_huge(out, m);
      for (std::size_t i = 0; i < m; ++i) out[dest[i]] = v[i];
      v.swap(out);
    };
    std::vector<std::function<void()>> jobs;
    jobs.emplace_back([&] { permute(table_.record_kind.values()); });
    jobs.emplace_back([&] { permute(table_.record_line); });
    for (auto& c : table_.record_columns) jobs.emplace_back([&c, &permute] { permute(c.values()); });
    run_jobs(jobs);
  }

  // ---------------------------------------------------------------- reporting

  static std::string message(const std::string& path, const Issue& i) {
    if (i.field.empty()) return fmt::format("{}:{}: {}", path, i.line, i.reason);
    return fmt::format("{}:{}: field '{}': {}", path, i.line, i.field, i.reason);
  }

  static void put_csv(std::string& out, std::string_view s, bool always_quote = false) {
    text::append_csv(out, s, always_quote);
  }

  void write_rejects(const std::string& subjects_path, const std::string& records_path) const {
    std::string out = "file,line,field,reason,row\n";
    auto put = [&](const std::string& path, const Issues& issues) {
      for (const auto& i : issues.items) {
        put_csv(out, path);
        out += fmt::format(",{},", i.line);
        put_csv(out, i.field);
        out += ',';
        put_csv(out, i.reason);
        out += ',';
        put_csv(out, i.raw, true);
        out += '\n';
      }
    };
    put(subjects_path, subject_issues_);
    put(records_path, record_issues_);
    std::ofstream f(options_.reject_path, std::ios::binary | std::ios::trunc);
    if (!f) throw IoError(fmt::format("cannot write the reject file '{}'", options_.reject_path));
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.close();
    if (!f) throw IoError(fmt::format("cannot write the reject file '{}'", options_.reject_path));
  }

  void finish(const std::string& subjects_path, const std::string& records_path, LoadReport* report) {
    const bool quarantine = !options_.reject_path.empty();
    LoadReport r;
    r.subjects = table_.ids.size();
    r.records = table_.record_kind.size();
    if (quarantine) {
      r.rejected_subjects = subject_issues_.count;
      r.rejected_records = record_issues_.count;
    }
    for (const auto& i : subject_issues_.items) {
      if (r.errors.size() >= options_.max_errors) break;
      r.errors.push_back(message(subjects_path, i));
    }
    for (const auto& i : record_issues_.items) {
      if (r.errors.size() >= options_.max_errors) break;
      r.errors.push_back(message(records_path, i));
    }
    const std::size_t total = subject_issues_.count + record_issues_.count;
    if (quarantine) write_rejects(subjects_path, records_path);
    std::string what;
    if (!quarantine && total > 0) {
      for (const auto& e : r.errors) what += e + '\n';
      if (total > r.errors.size()) what += fmt::format("... and {} more\n", total - r.errors.size());
      what += fmt::format("{} {} in the data", total, total == 1 ? "error" : "errors");
    }
    if (report) *report = std::move(r);
    if (!what.empty()) throw DataError(what);
  }

  const Schema& schema_;
  const LoadOptions& options_;
  unsigned threads_ = 1;
  std::size_t keep_ = 0;
  Matcher kinds_;
  std::vector<Matcher> enums_;
  SubjectTable table_;
  IdIndex index_;
  std::unordered_set<std::string> rejected_ids_;
  Issues subject_issues_, record_issues_;
};

}  // namespace

SubjectTable load_csv(const Schema& schema, const std::string& subjects_path, const std::string& records_path,
                      const LoadOptions& options, LoadReport* report) {
  Loader loader(schema, options);
  return loader.run(subjects_path, records_path, report);
}

bool parse_value(const Schema& schema, Type type, std::string_view text, std::int64_t& out) {
  switch (type.kind) {
    case TypeKind::integer: {
      std::int64_t v;
      if (!parse_decimal<false>(text, v) || v % decimal::kScale != 0) return false;
      out = v;
      return true;
    }
    case TypeKind::decimal:
    case TypeKind::money:
    case TypeKind::days:
      return parse_decimal<false>(text, out);
    case TypeKind::boolean:
      return parse_bool(text, out);
    case TypeKind::date: {
      auto d = date::parse(text);
      if (!d) return false;
      out = *d;
      return true;
    }
    case TypeKind::enumeration: {
      if (type.enum_index < 0 || static_cast<std::size_t>(type.enum_index) >= schema.enums.size()) return false;
      auto code = schema.enums[static_cast<std::size_t>(type.enum_index)].code_of(text);
      if (!code) return false;
      out = *code;
      return true;
    }
    case TypeKind::kind: {
      int k = schema.kind_index(text);
      if (k < 0) return false;
      out = k;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace gradus
