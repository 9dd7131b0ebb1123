// Private to the loader: the low-level pieces of fast CSV reading.
//
//   FileBuffer   a whole file in memory (parallel reads into huge pages), with
//                a '\n' guaranteed at the end and zero padding after it
//   open_csv     BOM, header row, data range (trailing empty lines dropped)
//   split_rows   cuts the data into parts at row boundaries outside quoted
//                fields, with the exact line number and newline count of each
//   RowReader    RFC 4180 tokenizer over one part: quoted fields with ""
//                escapes and embedded line breaks, LF or CRLF line ends
//
// Parallel parsing of parts is exact: a part boundary is the first line break
// outside quotes after a nominal cut, decided from the parity of the quotes
// before it. That parity is only right when every quote before it is well
// placed; the RowReader flags any misplaced quote (quote_anomaly), and the
// loader then parses the file again as one part, so the result never depends
// on the thread count.
#pragma once

#include "../core/memory.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gradus::csv {

// ------------------------------------------------------------------ memory

using memory::advise_huge;
using memory::size_huge;

/// Uninitialised scratch array of trivially copyable T in its own anonymous mapping.
template <class T>
class RawArray {
 public:
  RawArray() = default;
  explicit RawArray(std::size_t n) { allocate(n); }
  RawArray(const RawArray&) = delete;
  RawArray& operator=(const RawArray&) = delete;
  RawArray(RawArray&& o) noexcept : p_(o.p_), n_(o.n_), bytes_(o.bytes_) { o.p_ = nullptr, o.n_ = o.bytes_ = 0; }
  RawArray& operator=(RawArray&& o) noexcept {
    if (this != &o) {
      release();
      p_ = o.p_, n_ = o.n_, bytes_ = o.bytes_;
      o.p_ = nullptr, o.n_ = o.bytes_ = 0;
    }
    return *this;
  }
  ~RawArray() { release(); }

  T* data() { return p_; }
  const T* data() const { return p_; }
  std::size_t size() const { return n_; }
  T& operator[](std::size_t i) { return p_[i]; }
  const T& operator[](std::size_t i) const { return p_[i]; }

 private:
  void allocate(std::size_t n);
  void release();
  T* p_ = nullptr;
  std::size_t n_ = 0;
  std::size_t bytes_ = 0;
};

void* map_anonymous(std::size_t bytes);  // throws std::bad_alloc
void unmap_anonymous(void* p, std::size_t bytes);

template <class T>
void RawArray<T>::allocate(std::size_t n) {
  n_ = n;
  bytes_ = n * sizeof(T);
  p_ = bytes_ ? static_cast<T*>(map_anonymous(bytes_)) : nullptr;
}

template <class T>
void RawArray<T>::release() {
  if (p_) unmap_anonymous(p_, bytes_);
  p_ = nullptr;
}

// ------------------------------------------------------------------ threads

/// Runs f(0) .. f(n-1) on n threads (the caller runs f(0)); rethrows the first exception.
/// Nothing when n is 0.
template <class F>
void run_parallel(unsigned n, F&& f) {
  if (n == 0) return;
  if (n == 1) {
    f(0u);
    return;
  }
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  try {
    for (unsigned i = 1; i < n; ++i)
      threads.emplace_back([&errors, &f, i] {
        try {
          f(i);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      });
    f(0u);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// Runs f(0) .. f(n-1) on up to `workers` threads that take the next index as
/// they finish one (so a slow or descheduled thread holds up little).
template <class F>
void parallel_for(std::size_t n, unsigned workers, F&& f) {
  if (n == 0) return;
  if (workers <= 1 || n == 1) {
    for (std::size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  run_parallel(static_cast<unsigned>(std::min<std::size_t>(workers, n)), [&](unsigned) {
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) f(i);
  });
}

/// `requested` threads, with 0 meaning one per hardware thread.
unsigned thread_count(unsigned requested);

// ------------------------------------------------------------------ files

/// A file's bytes. data()[size() - 1] == '\n' whenever size() > 0 (a missing
/// final line break is added), and at least 64 zero bytes follow data()[size()].
class FileBuffer {
 public:
  /// Reads the whole file (regular files with `threads` parallel reads). Throws IoError.
  static FileBuffer read(const std::string& path, unsigned threads);

  const char* data() const { return bytes_.data(); }
  std::size_t size() const { return size_; }

 private:
  RawArray<char> bytes_;
  std::size_t size_ = 0;
};

/// The header and data range of a CSV text.
struct CsvText {
  std::vector<std::string> header;  // column names, unquoted
  const char* begin = nullptr;      // first data row
  const char* end = nullptr;        // one past the last data row's line break (trailing empty lines dropped)
  std::uint64_t first_line = 0;     // 1-based line of the first data row
};

/// Skips a UTF-8 BOM and reads the header row. Throws DataError (naming `path`)
/// when the file is empty or the header is malformed.
CsvText open_csv(const FileBuffer& file, const std::string& path);

// ------------------------------------------------------------------ splitting

struct ByteCounts {
  std::uint64_t newlines = 0;
  std::uint64_t quotes = 0;
};
/// Counts '\n' and '"' in [b, e).
ByteCounts count_bytes(const char* b, const char* e);

/// A run of whole rows.
struct Part {
  const char* begin = nullptr;
  const char* end = nullptr;
  std::uint64_t first_line = 0;  // 1-based line of its first row
  std::uint64_t newlines = 0;    // line breaks inside it: an upper bound of its rows
};

/// Cuts [begin, end) (starting at a row, ending after a line break) into at
/// most `parts` parts of about equal size, each at least `min_bytes` long
/// (parts may come out empty and are then left out). Counts run on `workers` threads.
std::vector<Part> split_rows(const char* begin, const char* end, std::uint64_t first_line, unsigned parts,
                             unsigned workers, std::size_t min_bytes = 4096);

// ------------------------------------------------------------------ tokenizer

/// The bytes that end an unquoted field or need a closer look: , \n \r "
struct StopTable {
  unsigned char t[256] = {};
  constexpr StopTable() {
    t[static_cast<unsigned char>(',')] = t[static_cast<unsigned char>('\n')] = 1;
    t[static_cast<unsigned char>('\r')] = t[static_cast<unsigned char>('"')] = 1;
  }
};
inline constexpr StopTable kStops{};

/// Bit i set when p[i] is one of , \n \r " (i < 64). Reads p[0..64).
inline std::uint64_t stop_mask(const char* p) {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r'), quote = _mm_set1_epi8('"');
  std::uint64_t m = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, quote)));
    m |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(hit))) << (16 * k);
  }
  return m;
#else
  std::uint64_t m = 0;
  for (int i = 0; i < 64; ++i) m |= static_cast<std::uint64_t>(kStops.t[static_cast<unsigned char>(p[i])]) << i;
  return m;
#endif
}

/// a == b, inlined for the short strings of ids and names.
inline bool equal(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8) {
    if (n > 16) return std::memcmp(x, y, n) == 0;
    std::uint64_t x0, y0, x1, y1;
    std::memcpy(&x0, x, 8), std::memcpy(&y0, y, 8);
    std::memcpy(&x1, x + n - 8, 8), std::memcpy(&y1, y + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 4) {
    std::uint32_t x0, y0, x1, y1;
    std::memcpy(&x0, x, 4), std::memcpy(&y0, y, 4);
    std::memcpy(&x1, x + n - 4, 4), std::memcpy(&y1, y + n - 4, 4);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return false;
  return true;
}

enum class RowStatus : std::uint8_t {
  ok,           // exactly `columns` fields
  empty_line,   // a line with nothing on it
  bad_quote,    // malformed quoting (see quote_problem())
  field_count,  // more or fewer fields than columns
};

/// Reads the rows of one part. Field views stay valid until the next call to next(),
/// and at least 16 readable bytes follow the end of every field view (a
/// FileBuffer's padding, or zeros after an unescaped quoted field), so
/// callers may read fields with word-sized loads.
///
/// The part must end with '\n' and at least 64 readable bytes must follow it
/// (FileBuffer guarantees both): unquoted fields are found with a bit mask of
/// the separators in the next 64 bytes, kept across fields and rows.
class RowReader {
 public:
  /// `columns`: the expected number of fields; grow: accept any number (header).
  RowReader(const char* begin, const char* end, std::size_t columns, std::uint64_t first_line, bool grow = false)
      : p_(begin), end_(end), base_(begin), bits_(stop_mask(begin)), next_line_(first_line), columns_(columns),
        grow_(grow), field_data_(columns), field_size_(columns), scratch_(columns) {}

  /// Reads the next row; false at the end of the part.
  [[gnu::always_inline]] inline bool next();

  RowStatus status() const { return status_; }
  /// Fields found in the row (for field_count: how many there were).
  std::size_t found() const { return found_; }
  /// Field c (c < min(found(), columns)), unquoted.
  std::string_view field(std::size_t c) const { return std::string_view(field_data_[c], field_size_[c]); }
  std::size_t columns() const { return columns_; }
  /// The row's text as in the file, without its line break.
  std::string_view raw() const { return raw_; }
  /// 1-based line where the row starts.
  std::uint64_t line() const { return line_; }
  /// What is wrong with the quoting of a bad_quote row.
  const char* quote_problem() const { return quote_problem_; }
  /// Whether any row so far had malformed quoting.
  bool quote_anomaly() const { return anomaly_; }
  /// Where the next row starts, and its line.
  const char* position() const { return p_; }
  std::uint64_t next_line() const { return next_line_; }

 private:
  std::string_view quoted_field(std::size_t c);  // p_ at the opening quote; leaves p_ at the terminator
  void unquoted_tail();                          // moves p_ to the end of an unquoted field
  void bad_quote(const char* why);
  const char* p_;
  const char* end_;
  const char* base_;     // bits_ describes [base_, base_ + 64)
  std::uint64_t bits_;   // separators at or after p_
  std::uint64_t next_line_;
  std::uint64_t line_ = 0;
  std::size_t columns_;
  bool grow_;
  bool anomaly_ = false;
  RowStatus status_ = RowStatus::ok;
  std::size_t found_ = 0;
  const char* quote_problem_ = "";
  std::string_view raw_;
  std::vector<const char*> field_data_;  // field c is [field_data_[c], + field_size_[c])
  std::vector<std::size_t> field_size_;
  std::deque<std::string> scratch_;  // unescaped quoted fields, one per column (deque: stable addresses)
};

inline bool RowReader::next() {
  // Work on locals: the caller's stores (and ours to fields_) could alias the
  // members, which would keep them in memory.
  const char* p = p_;
  const char* const end = end_;
  if (p >= end) return false;
  const char* base = base_;
  std::uint64_t bits = bits_;
  const char** field_data = field_data_.data();
  std::size_t* field_size = field_size_.data();
  std::size_t columns = columns_;
  const char* const row = p;
  line_ = next_line_;
  status_ = RowStatus::ok;
  std::size_t c = 0;
  const char* t;  // the current field's terminator: ',', '\n', the '\r' of "\r\n", or end
  for (;;) {
    // Fields are kept as separate pointers and lengths: a string_view built in
    // two halves and copied whole stalls on store forwarding.
    const char* data;
    std::size_t size;
    if (*p == '"') {
      p_ = p;
      const std::string_view v = quoted_field(c);  // moves p_ to the terminator
      data = v.data();
      size = v.size();
      t = p_;
      base = t;
      bits = stop_mask(t);
    } else {
      for (;;) {
        while (bits == 0) {
          base += 64;
          bits = stop_mask(base);
        }
        t = base + __builtin_ctzll(bits);
        const char ch = *t;
        if (ch == ',' || ch == '\n') break;
        if (ch == '\r' && t[1] == '\n') break;
        if (ch == '"') bad_quote("quote inside an unquoted field (quote the whole field and double the quote)");
        bits &= bits - 1;  // a stray quote or a lone '\r' is data
      }
      data = p;
      size = static_cast<std::size_t>(t - p);
    }
    if (c < columns) {
      field_data[c] = data;
      field_size[c] = size;
    } else if (grow_) {
      field_data_.push_back(data);
      field_size_.push_back(size);
      scratch_.resize(field_data_.size());
      field_data = field_data_.data();
      field_size = field_size_.data();
      columns = columns_ = field_data_.size();
    }
    ++c;
    if (t < end && *t == ',') {
      p = t + 1;
      bits &= bits - 1;
      continue;
    }
    break;
  }
  raw_ = std::string_view(row, static_cast<std::size_t>(t - row));
  if (t >= end) {
    p = end;  // an unterminated quoted field ran to the end
  } else if (*t == '\n') {
    p = t + 1;
    bits &= bits - 1;
    ++next_line_;
  } else {  // "\r\n"
    p = t + 2;
    ++next_line_;
    if (p - base >= 64) {
      base = p;
      bits = stop_mask(p);
    } else {
      bits &= ~std::uint64_t{0} << (p - base);
    }
  }
  p_ = p;
  base_ = base;
  bits_ = bits;
  found_ = c;
  if (status_ == RowStatus::ok) {
    if (raw_.empty()) status_ = RowStatus::empty_line;
    else if (c != columns) status_ = RowStatus::field_count;
  }
  return true;
}

}  // namespace gradus::csv
