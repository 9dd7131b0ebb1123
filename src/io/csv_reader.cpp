#include "csv_reader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <system_error>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gradus/core/error.hpp"
#include "gradus/core/source.hpp"

namespace gradus::csv {

// ------------------------------------------------------------------ memory

void* map_anonymous(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  advise_huge(p, bytes);
  return p;
}

void unmap_anonymous(void* p, std::size_t bytes) { ::munmap(p, bytes); }

unsigned thread_count(unsigned requested) {
  if (requested != 0) return requested;
  unsigned h = std::thread::hardware_concurrency();
  return h == 0 ? 1 : h;
}

// ------------------------------------------------------------------ files

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

[[noreturn]] void io_fail(const std::string& what, const std::string& path, int err) {
  throw IoError(fmt::format("cannot {} '{}': {}", what, path, std::system_category().message(err)));
}

constexpr std::size_t kPadding = 64;

}  // namespace

FileBuffer FileBuffer::read(const std::string& path, unsigned threads) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) io_fail("open", path, errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) io_fail("read", path, errno);
  if (S_ISDIR(st.st_mode)) io_fail("read", path, EISDIR);

  FileBuffer out;
  if (S_ISREG(st.st_mode)) {
    const auto size = static_cast<std::size_t>(st.st_size);
    out.bytes_ = RawArray<char>(size + 1 + kPadding);
    char* buf = out.bytes_.data();
    // Parallel reads only pay off for big files.
    unsigned n = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(size / (8u << 20))));
    std::vector<int> errs(n, 0);
    std::vector<std::size_t> got(n, 0);
    run_parallel(n, [&](unsigned i) {
      std::size_t lo = size * i / n, hi = size * (i + 1) / n;
      while (lo < hi) {
        ssize_t r = ::pread(f.fd, buf + lo, std::min<std::size_t>(hi - lo, std::size_t{64} << 20),
                            static_cast<off_t>(lo));
        if (r < 0) {
          if (errno == EINTR) continue;
          errs[i] = errno;
          return;
        }
        if (r == 0) break;
        lo += static_cast<std::size_t>(r);
        got[i] += static_cast<std::size_t>(r);
      }
    });
    std::size_t total = 0;
    for (unsigned i = 0; i < n; ++i) {
      if (errs[i]) io_fail("read", path, errs[i]);
      if (got[i] != size * (i + 1) / n - size * i / n)
        throw IoError(fmt::format("cannot read '{}': the file changed while it was read", path));
      total += got[i];
    }
    out.size_ = total;
  } else {
    // A pipe or device: read until end of file, growing the buffer.
    std::string tmp;
    std::vector<char> chunk(1 << 20);
    for (;;) {
      ssize_t r = ::read(f.fd, chunk.data(), chunk.size());
      if (r < 0) {
        if (errno == EINTR) continue;
        io_fail("read", path, errno);
      }
      if (r == 0) break;
      tmp.append(chunk.data(), static_cast<std::size_t>(r));
    }
    out.bytes_ = RawArray<char>(tmp.size() + 1 + kPadding);
    if (!tmp.empty()) std::memcpy(out.bytes_.data(), tmp.data(), tmp.size());
    out.size_ = tmp.size();
  }
  if (out.size_ > 0 && out.bytes_[out.size_ - 1] != '\n') out.bytes_[out.size_++] = '\n';
  return out;
}

CsvText open_csv(const FileBuffer& file, const std::string& path) {
  const char* b = file.data();
  const char* e = b + file.size();
  if (e - b >= 3 && std::memcmp(b, "\xEF\xBB\xBF", 3) == 0) b += 3;
  if (b == e) throw DataError(fmt::format("{}: empty file, expected a header line", path));
  if (e - b >= 2 && (std::memcmp(b, "\xFF\xFE", 2) == 0 || std::memcmp(b, "\xFE\xFF", 2) == 0))
    throw DataError(fmt::format("{}: the file is UTF-16 text; save it as UTF-8", path));

  RowReader header(b, e, 0, 1, /*grow=*/true);
  header.next();
  if (header.status() == RowStatus::empty_line)
    throw DataError(fmt::format("{}:1: empty header line", path));
  if (header.status() == RowStatus::bad_quote)
    throw DataError(fmt::format("{}:1: header: {}", path, header.quote_problem()));

  // Line ends that are lone carriage returns leave the whole file on one line.
  const std::string_view raw = header.raw();
  if (const std::size_t cr = raw.find('\r'); cr != std::string_view::npos && cr + 1 < raw.size())
    throw DataError(fmt::format("{}:1: header: a carriage return inside the line; line ends must be LF or CRLF",
                                path));
  if (find_invalid_utf8(raw) != std::string_view::npos || raw.find('\0') != std::string_view::npos)
    throw DataError(fmt::format("{}:1: header: not UTF-8 text", path));

  CsvText text;
  for (std::size_t c = 0; c < header.found(); ++c) text.header.emplace_back(header.field(c));
  text.begin = header.position();
  text.first_line = header.next_line();

  // Drop empty lines at the end (empty lines elsewhere are errors).
  const char* end = e;
  while (end > text.begin) {
    const char* nl = end - 1;  // the last line's '\n'
    const char* ls = nl;
    while (ls > text.begin && ls[-1] != '\n') --ls;
    std::string_view last(ls, static_cast<std::size_t>(nl - ls));
    if (!last.empty() && last != "\r") break;
    end = ls;
  }
  text.end = end;
  return text;
}

// ------------------------------------------------------------------ splitting

ByteCounts count_bytes(const char* p, const char* e) {
  ByteCounts r;
#if defined(__SSE2__)
  const __m128i nl = _mm_set1_epi8('\n');
  const __m128i qu = _mm_set1_epi8('"');
  const __m128i zero = _mm_setzero_si128();
  while (e - p >= 16) {
    // Byte counters overflow after 255 rounds: fold them every 255 blocks.
    std::size_t blocks = std::min<std::size_t>(static_cast<std::size_t>(e - p) / 16, 255);
    __m128i an = zero, aq = zero;
    for (std::size_t k = 0; k < blocks; ++k, p += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      an = _mm_sub_epi8(an, _mm_cmpeq_epi8(v, nl));
      aq = _mm_sub_epi8(aq, _mm_cmpeq_epi8(v, qu));
    }
    __m128i sn = _mm_sad_epu8(an, zero), sq = _mm_sad_epu8(aq, zero);
    r.newlines += static_cast<std::uint64_t>(_mm_cvtsi128_si64(sn)) +
                  static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sn, sn)));
    r.quotes += static_cast<std::uint64_t>(_mm_cvtsi128_si64(sq)) +
                static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sq, sq)));
  }
#endif
  for (; p < e; ++p) {
    r.newlines += *p == '\n';
    r.quotes += *p == '"';
  }
  return r;
}

namespace {

// The first row boundary (just after a '\n' outside quotes) after b, or end.
// `inside`: whether b is inside a quoted field. Adds the line breaks passed to `newlines`.
const char* next_boundary(const char* b, const char* end, bool inside, std::uint64_t& newlines) {
  const char* p = b;
  while (p < end) {
    if (inside) {
      const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
      if (!q) {
        newlines += count_bytes(p, end).newlines;
        return end;
      }
      newlines += count_bytes(p, q).newlines;
      inside = false;
      p = q + 1;
    } else {
      while (p < end && *p != '\n' && *p != '"') ++p;
      if (p == end) return end;
      if (*p == '\n') {
        ++newlines;
        return p + 1;
      }
      inside = true;
      ++p;
    }
  }
  return end;
}

}  // namespace

std::vector<Part> split_rows(const char* begin, const char* end, std::uint64_t first_line, unsigned parts,
                             unsigned workers, std::size_t min_bytes) {
  const auto size = static_cast<std::size_t>(end - begin);
  std::size_t most = std::max<std::size_t>(1, size / std::max<std::size_t>(min_bytes, 1));
  const auto n = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(parts, most)));

  std::vector<const char*> cut(n + 1);
  for (unsigned i = 0; i <= n; ++i) cut[i] = begin + size * i / n;
  std::vector<ByteCounts> counts(n);
  parallel_for(n, workers, [&](std::size_t i) { counts[i] = count_bytes(cut[i], cut[i + 1]); });

  std::vector<const char*> at(n + 1);
  std::vector<std::uint64_t> lines_before(n + 1);  // line breaks in [begin, at[i])
  at[0] = begin;
  lines_before[0] = 0;
  std::uint64_t quotes = 0, lines = 0;
  for (unsigned i = 1; i < n; ++i) {
    quotes += counts[i - 1].quotes;
    lines += counts[i - 1].newlines;
    std::uint64_t passed = 0;
    at[i] = next_boundary(cut[i], end, (quotes & 1) != 0, passed);
    lines_before[i] = lines + passed;
    if (at[i] < at[i - 1]) {  // only with malformed quoting; the loader then re-reads as one part
      at[i] = at[i - 1];
      lines_before[i] = lines_before[i - 1];
    }
  }
  at[n] = end;
  lines_before[n] = lines + counts[n - 1].newlines;

  std::vector<Part> out;
  for (unsigned i = 0; i < n; ++i) {
    if (at[i + 1] <= at[i]) continue;
    out.push_back({at[i], at[i + 1], first_line + lines_before[i], lines_before[i + 1] - lines_before[i]});
  }
  return out;
}

// ------------------------------------------------------------------ tokenizer

void RowReader::bad_quote(const char* why) {
  if (status_ != RowStatus::bad_quote) {
    status_ = RowStatus::bad_quote;
    quote_problem_ = why;
  }
  anomaly_ = true;
}

void RowReader::unquoted_tail() {
  for (;;) {
    while (!kStops.t[static_cast<unsigned char>(*p_)]) ++p_;
    if (*p_ == '"') {
      bad_quote("quote inside an unquoted field (quote the whole field and double the quote)");
      ++p_;
    } else if (*p_ == '\r' && p_[1] != '\n') {
      ++p_;  // a lone carriage return is data
    } else {
      return;
    }
  }
}

std::string_view RowReader::quoted_field(std::size_t c) {
  const char* s = ++p_;
  const char* q = s;
  bool escaped = false;
  for (;;) {
    const char* close = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end_ - q)));
    if (!close) {
      next_line_ += count_bytes(s, end_).newlines;
      bad_quote("unterminated quoted field");
      p_ = end_;
      return std::string_view(s, static_cast<std::size_t>(end_ - s));
    }
    // A part ends with '\n', so close + 1 is inside it.
    if (close[1] == '"') {
      escaped = true;
      q = close + 2;
      continue;
    }
    next_line_ += count_bytes(s, close).newlines;
    p_ = close + 1;
    std::string_view v(s, static_cast<std::size_t>(close - s));
    if (escaped) {
      if (grow_ && c >= scratch_.size()) scratch_.resize(c + 1);
      if (c < scratch_.size()) {
        std::string& buf = scratch_[c];
        buf.clear();
        for (const char* x = s; x < close; ++x) {
          buf.push_back(*x);
          if (*x == '"') ++x;  // "" -> "
        }
        const std::size_t n = buf.size();
        buf.append(16, '\0');  // readable bytes after the view (see RowReader)
        v = std::string_view(buf.data(), n);
      }
    }
    if (*p_ != ',' && *p_ != '\n' && !(*p_ == '\r' && p_[1] == '\n')) {
      bad_quote("text after the closing quote of a quoted field");
      unquoted_tail();
    }
    return v;
  }
}

}  // namespace gradus::csv
