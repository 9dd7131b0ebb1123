// gradus_w1: W1 data and the hand-written reference scorer, as a command.
//
//   gradus_w1 gen --subjects N [--seed S] --out DIR
//       writes DIR/subjects.csv and DIR/records.csv (the W1 generator)
//   gradus_w1 reference --subjects FILE --records FILE [--out FILE] [--repeat K]
//       loads the CSV files, scores every subject with the reference scorer and
//       prints the check (subjects per sector and tier, score_sum); timings
//       `load_s=... score_s=...` go to stderr. --out writes id,score,tier,ratio.
//   gradus_w1 selfcheck --subjects N [--seed S]
//       the same check on data generated in memory (no files)
//
// Exit status: 0 on success, 1 on bad data or I/O failure, 2 on bad usage.
// This tool does not use the gradus engine.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "w1_data.hpp"
#include "w1_reference.hpp"

namespace {

using gradus::w1::Data;

constexpr const char* kUsage =
    "usage:\n"
    "  gradus_w1 gen --subjects N [--seed S] --out DIR\n"
    "  gradus_w1 reference --subjects FILE --records FILE [--out FILE] [--repeat K]\n"
    "  gradus_w1 selfcheck --subjects N [--seed S]\n";

/// Bad command line: reported with the usage text, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---------------------------------------------------------------- options
/// `--name value` pairs after the subcommand.
class Options {
 public:
  Options(int argc, char** argv, std::initializer_list<std::string_view> known) {
    for (int i = 2; i < argc; ++i) {
      std::string_view name = argv[i];
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        throw UsageError("unknown option '" + std::string(name) + "'");
      }
      if (i + 1 >= argc) throw UsageError("option " + std::string(name) + " needs a value");
      values_[std::string(name)] = argv[++i];
    }
  }
  std::optional<std::string> get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  std::string required(const std::string& name) const {
    auto v = get(name);
    if (!v) throw UsageError("missing option " + name);
    return *v;
  }
  std::uint64_t number(const std::string& name, std::optional<std::uint64_t> fallback) const {
    auto v = get(name);
    if (!v) {
      if (!fallback) throw UsageError("missing option " + name);
      return *fallback;
    }
    std::uint64_t out = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size()) {
      throw UsageError("option " + name + " needs a non-negative integer, not '" + *v + "'");
    }
    return out;
  }

 private:
  std::map<std::string, std::string> values_;
};

// ---------------------------------------------------------------- CSV loading
/// Reads a CSV file block by block and splits it into lines and fields (no
/// quoting: W1 values never need it). Errors name the file, line and field.
class CsvCursor {
 public:
  /// Opens `path`, reads its header and finds the `wanted` columns.
  CsvCursor(const std::string& path, std::initializer_list<std::string_view> wanted)
      : path_(path), buffer_(std::make_unique<char[]>(kBlock)) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    fields_.resize(64);
    if (!next_line()) fail("empty file, expected a header line");
    for (std::size_t k = 0; k < field_count_; ++k) header_.emplace_back(fields_[k]);
    fields_.resize(header_.size());
    for (std::string_view name : wanted) {
      auto it = std::find(header_.begin(), header_.end(), name);
      if (it == header_.end()) fail("missing column '" + std::string(name) + "'");
      columns_.push_back(static_cast<std::size_t>(it - header_.begin()));
    }
  }
  CsvCursor(const CsvCursor&) = delete;
  CsvCursor& operator=(const CsvCursor&) = delete;
  ~CsvCursor() { ::close(fd_); }

  /// Advances to the next data line; false at the end of the file.
  bool next() {
    while (next_line()) {
      if (field_count_ == 1 && fields_[0].empty()) continue;  // a blank line carries no row
      if (field_count_ != header_.size()) {
        fail("expected " + std::to_string(header_.size()) + " fields, found " +
             std::to_string(field_count_));
      }
      return true;
    }
    return false;
  }

  /// Field `k` of the wanted columns on the current line.
  std::string_view field(std::size_t k) const { return fields_[columns_[k]]; }

  template <class T>
  T number(std::size_t k, std::uint64_t max = std::numeric_limits<T>::max()) const {
    const std::string_view s = field(k);
    std::uint64_t v = 0;
    bool ok = !s.empty() && s.size() <= 19;  // 19 digits cannot overflow 64 bits
    for (char c : s) {
      const unsigned digit = static_cast<unsigned char>(c) - unsigned{'0'};
      ok &= digit <= 9;
      v = v * 10 + digit;
    }
    if (!ok || v > max) {
      fail_field(k, "expected a whole number from 0 to " + std::to_string(max) + ", found '" +
                        std::string(s) + "'");
    }
    return static_cast<T>(v);
  }

  template <std::size_t N>
  std::uint8_t name(std::size_t k, const std::array<std::string_view, N>& names) const {
    const std::string_view s = field(k);
    for (std::size_t i = 0; i < N; ++i) {
      if (names[i].size() == s.size() && names[i][0] == s[0] && names[i] == s) {
        return static_cast<std::uint8_t>(i);
      }
    }
    fail_field(k, "unknown value '" + std::string(s) + "'");
  }

  [[noreturn]] void fail_field(std::size_t k, const std::string& why) const {
    fail("field '" + header_[columns_[k]] + "': " + why);
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(path_ + ":" + std::to_string(line_) + ": " + why);
  }

 private:
  static constexpr std::size_t kBlock = 8 << 20;      // bytes read at a time
  static constexpr std::size_t kMaxLine = 64 << 10;   // longest line accepted

  /// Makes sure a whole line (up to kMaxLine) is in the buffer unless at end of file.
  void refill() {
    if (eof_ || static_cast<std::size_t>(end_ - pos_) >= kMaxLine) return;
    const std::size_t keep = static_cast<std::size_t>(end_ - pos_);
    std::memmove(buffer_.get(), pos_, keep);
    pos_ = buffer_.get();
    end_ = pos_ + keep;
    while (!eof_ && static_cast<std::size_t>(end_ - buffer_.get()) < kBlock) {
      const ssize_t got = ::read(fd_, const_cast<char*>(end_),
                                 kBlock - static_cast<std::size_t>(end_ - buffer_.get()));
      if (got < 0) {
        if (errno == EINTR) continue;
        fail(std::string("cannot read: ") + std::strerror(errno));
      }
      if (got == 0) eof_ = true;
      end_ += got;
    }
  }

  /// Splits the next line into fields_; false at the end of the file.
  bool next_line() {
    refill();
    if (pos_ == end_) return false;
    ++line_;
    const char* p = pos_;
    const char* start = p;
    const char* const end = end_;
    const std::size_t cap = fields_.size();
    std::size_t count = 0;
    for (; p != end && *p != '\n'; ++p) {
      if (*p == ',') {
        if (count < cap) fields_[count] = {start, static_cast<std::size_t>(p - start)};
        ++count;
        start = p + 1;
      }
    }
    if (p == end && !eof_) fail("line longer than " + std::to_string(kMaxLine) + " bytes");
    std::size_t last = static_cast<std::size_t>(p - start);
    if (last > 0 && start[last - 1] == '\r') --last;
    if (count < cap) fields_[count] = {start, last};
    field_count_ = count + 1;
    pos_ = p == end ? p : p + 1;
    return true;
  }

  std::string path_;
  int fd_ = -1;
  std::unique_ptr<char[]> buffer_;
  const char* pos_ = nullptr;  // next unread byte in buffer_
  const char* end_ = nullptr;  // end of the bytes read into buffer_
  bool eof_ = false;
  std::size_t line_ = 0;
  std::vector<std::string> header_;
  std::vector<std::size_t> columns_;          // positions of the wanted columns
  std::vector<std::string_view> fields_;      // fields of the current line (header_.size())
  std::size_t field_count_ = 0;               // fields found on the current line
};

/// Loads W1 CSV files into Data. Records may come in any order; they are
/// grouped by subject keeping their file order.
Data load(const std::string& subjects_path, const std::string& records_path) {
  Data d;
  {
    CsvCursor csv(subjects_path, {"id", "sector", "size", "years_active"});
    while (csv.next()) {
      d.id.push_back(csv.number<std::uint64_t>(0));
      d.sector.push_back(csv.name(1, gradus::w1::kSectorNames));
      d.size.push_back(csv.name(2, gradus::w1::kSizeNames));
      d.years.push_back(csv.number<std::uint8_t>(3));
    }
  }
  const std::size_t n = d.subject_count();

  // Subject id -> index: direct when ids are 1..n in order (as W1 writes them).
  bool dense = true;
  for (std::size_t i = 0; i < n && dense; ++i) dense = d.id[i] == i + 1;
  std::unordered_map<std::uint64_t, std::uint32_t> index;
  if (!dense) {
    index.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (!index.emplace(d.id[i], static_cast<std::uint32_t>(i)).second) {
        throw std::runtime_error(subjects_path + ": duplicate subject id " +
                                 std::to_string(d.id[i]));
      }
    }
  }

  // While records arrive grouped by subject in subject order, offsets are
  // counted on the fly; the first record out of order switches to keeping
  // each record's subject and regrouping at the end.
  d.record_offsets.assign(n + 1, 0);
  std::size_t current = 0;           // subject of the last record, while grouped
  std::vector<std::uint32_t> owner;  // subject of each record, once not grouped
  bool grouped = true;
  {
    CsvCursor csv(records_path, {"subject_id", "kind", "severity", "age_days", "amount"});
    const std::size_t guess = 8 * n + n / 8;  // W1: 8 records a subject on average
    d.reserve(n, guess);
    while (csv.next()) {
      const auto sid = csv.number<std::uint64_t>(0);
      std::size_t s;
      if (dense) {
        if (sid == 0 || sid > n) csv.fail_field(0, "unknown subject " + std::to_string(sid));
        s = static_cast<std::size_t>(sid - 1);
      } else {
        auto it = index.find(sid);
        if (it == index.end()) csv.fail_field(0, "unknown subject " + std::to_string(sid));
        s = it->second;
      }
      const std::uint8_t kind = csv.name(1, gradus::w1::kKindNames);
      std::uint8_t severity = 0;
      std::uint32_t amount = 0;
      if (kind == gradus::w1::kViolation) {
        severity = csv.number<std::uint8_t>(2);
        if (severity < 1 || severity > 4) {
          csv.fail_field(2, "a violation needs a severity from 1 to 4, found '" +
                                std::string(csv.field(2)) + "'");
        }
        amount = csv.number<std::uint32_t>(4);
      }
      d.kind.push_back(kind);
      d.severity.push_back(severity);
      d.age_days.push_back(csv.number<std::uint16_t>(3));
      d.amount.push_back(amount);

      if (grouped && s < current) {
        grouped = false;
        owner.reserve(d.kind.capacity());
        for (std::size_t i = 0; i < n; ++i) {
          owner.insert(owner.end(), static_cast<std::size_t>(d.record_offsets[i + 1]),
                       static_cast<std::uint32_t>(i));
        }
      }
      if (grouped) {
        current = s;
        ++d.record_offsets[s + 1];  // counts for now
      } else {
        owner.push_back(static_cast<std::uint32_t>(s));
      }
    }
  }

  const std::size_t m = d.record_count();
  if (!grouped) {
    std::fill(d.record_offsets.begin(), d.record_offsets.end(), 0);
    for (std::uint32_t s : owner) ++d.record_offsets[s + 1];
  }
  for (std::size_t i = 0; i < n; ++i) d.record_offsets[i + 1] += d.record_offsets[i];
  if (!grouped) {
    // Stable counting sort by subject.
    std::vector<std::int64_t> next(d.record_offsets.begin(), d.record_offsets.end() - 1);
    Data g;
    g.kind.resize(m);
    g.severity.resize(m);
    g.age_days.resize(m);
    g.amount.resize(m);
    for (std::size_t r = 0; r < m; ++r) {
      const auto to = static_cast<std::size_t>(next[owner[r]]++);
      g.kind[to] = d.kind[r];
      g.severity[to] = d.severity[r];
      g.age_days[to] = d.age_days[r];
      g.amount[to] = d.amount[r];
    }
    d.kind = std::move(g.kind);
    d.severity = std::move(g.severity);
    d.age_days = std::move(g.age_days);
    d.amount = std::move(g.amount);
  }
  return d;
}

// ---------------------------------------------------------------- subcommands
int run_gen(int argc, char** argv) {
  Options opt(argc, argv, {"--subjects", "--seed", "--out"});
  const std::uint64_t n = opt.number("--subjects", std::nullopt);
  const std::uint64_t seed = opt.number("--seed", 1);
  const std::string dir = opt.required("--out");
  const auto t0 = std::chrono::steady_clock::now();
  const auto stats = gradus::w1::write_files(n, seed, dir);
  std::fprintf(stderr, "gradus_w1: %llu subjects, %llu records, seed %llu -> %s (%.2fs)\n",
               static_cast<unsigned long long>(stats.subjects),
               static_cast<unsigned long long>(stats.records),
               static_cast<unsigned long long>(seed), dir.c_str(), seconds_since(t0));
  return 0;
}

void print_check(const Data& d, const gradus::w1::Check& c) {
  std::printf("subjects=%zu records=%zu\n%s", d.subject_count(), d.record_count(),
              gradus::w1::format_check(c).c_str());
}

/// Scores `repeat` times; returns the check and the median time of scoring
/// (into arrays allocated beforehand) plus the check.
std::pair<gradus::w1::Check, double> timed_score(const Data& d, gradus::w1::Scores& scores,
                                                 std::uint64_t repeat) {
  scores.score.assign(d.subject_count(), 0);
  scores.tier.assign(d.subject_count(), 0);
  scores.ratio.assign(d.subject_count(), 0);
  std::vector<double> times;
  gradus::w1::Check c;
  for (std::uint64_t k = 0; k < std::max<std::uint64_t>(repeat, 1); ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    gradus::w1::score(d, scores);
    c = gradus::w1::check(d, scores);
    times.push_back(seconds_since(t0));
  }
  std::sort(times.begin(), times.end());
  return {c, times[times.size() / 2]};
}

void write_scores(const std::string& path, const Data& d, const gradus::w1::Scores& s) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  std::string buf = "id,score,tier,ratio\n";
  bool ok = true;
  for (std::size_t i = 0; i < d.subject_count(); ++i) {
    buf += std::to_string(d.id[i]);
    buf += ',';
    buf += gradus::w1::format_decimal(s.score[i]);
    buf += ',';
    buf += gradus::w1::kTierNames[s.tier[i]];
    buf += ',';
    buf += gradus::w1::format_decimal(s.ratio[i]);
    buf += '\n';
    if (buf.size() > (1 << 20)) {
      ok = ok && std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
      buf.clear();
    }
  }
  ok = ok && std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

int run_reference(int argc, char** argv) {
  Options opt(argc, argv, {"--subjects", "--records", "--out", "--repeat"});
  const std::string subjects = opt.required("--subjects");
  const std::string records = opt.required("--records");
  const std::uint64_t repeat = opt.number("--repeat", 1);

  const auto t0 = std::chrono::steady_clock::now();
  const Data d = load(subjects, records);
  const double load_s = seconds_since(t0);

  gradus::w1::Scores scores;
  const auto [c, score_s] = timed_score(d, scores, repeat);
  print_check(d, c);
  if (auto out = opt.get("--out")) write_scores(*out, d, scores);
  std::fflush(stdout);
  std::fprintf(stderr, "load_s=%.6f score_s=%.6f\n", load_s, score_s);
  return 0;
}

int run_selfcheck(int argc, char** argv) {
  Options opt(argc, argv, {"--subjects", "--seed"});
  const std::uint64_t n = opt.number("--subjects", std::nullopt);
  const std::uint64_t seed = opt.number("--seed", 1);
  const auto t0 = std::chrono::steady_clock::now();
  const Data d = gradus::w1::generate(n, seed);
  const double gen_s = seconds_since(t0);
  gradus::w1::Scores scores;
  const auto [c, score_s] = timed_score(d, scores, 5);
  print_check(d, c);
  std::fflush(stdout);
  std::fprintf(stderr, "generate_s=%.6f score_s=%.6f\n", gen_s, score_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string_view cmd = argc > 1 ? argv[1] : "";
    if (cmd == "gen") return run_gen(argc, argv);
    if (cmd == "reference") return run_reference(argc, argv);
    if (cmd == "selfcheck") return run_selfcheck(argc, argv);
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    throw UsageError(cmd.empty() ? "missing subcommand"
                                 : "unknown subcommand '" + std::string(cmd) + "'");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gradus_w1: %s\n%s", e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gradus_w1: %s\n", e.what());
    return 1;
  }
}
