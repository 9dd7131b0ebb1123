#include "w1_data.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace gradus::w1 {

namespace {

// ---------------------------------------------------------------- random streams
// Counter-based splitmix64: value k of stream s under seed S is
// mix(key(S, s) + (k + 1) * kGamma). All arithmetic is modulo 2^64.
constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t kStreamMul = 0xD1B54A32D192ED03ull;
constexpr std::uint64_t kC1 = 0xBF58476D1CE4E5B9ull;
constexpr std::uint64_t kC2 = 0x94D049BB133111EBull;

enum Stream : std::uint64_t {
  kSectorStream = 1,
  kSizeStream = 2,
  kYearsStream = 3,
  kRecordCountStream = 4,
  kKindStream = 5,
  kSeverityStream = 6,
  kAgeStream = 7,
  kAmountStream = 8,
};

constexpr std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * kC1;
  z = (z ^ (z >> 27)) * kC2;
  return z ^ (z >> 31);
}

constexpr std::uint64_t stream_key(std::uint64_t seed, std::uint64_t stream) {
  return mix(seed * kGamma + stream * kStreamMul);
}

/// Uniform integer in [0, n) for 0-based counter idx; n < 2^32.
inline std::uint32_t below(std::uint64_t key, std::uint64_t idx, std::uint64_t n) {
  const std::uint64_t u = mix(key + (idx + 1) * kGamma);
  return static_cast<std::uint32_t>(((u >> 32) * n) >> 32);
}

constexpr std::uint32_t kMaxRecords = 16;  // records per subject: uniform 0..kMaxRecords

// Cumulative percent thresholds -> code, as 100-entry tables.
template <std::size_t N>
constexpr std::array<std::uint8_t, 100> pick_table(const std::array<std::uint32_t, N>& cum) {
  std::array<std::uint8_t, 100> t{};
  std::size_t k = 0;
  for (std::uint32_t r = 0; r < 100; ++r) {
    while (r >= cum[k]) ++k;
    t[r] = static_cast<std::uint8_t>(k);
  }
  return t;
}

constexpr auto kSizePick = pick_table(std::array<std::uint32_t, 4>{45, 75, 93, 100});
constexpr auto kKindPick = pick_table(std::array<std::uint32_t, 5>{50, 60, 66, 84, 100});
constexpr auto kSeverityPick = pick_table(std::array<std::uint32_t, 4>{50, 80, 94, 100});  // + 1
constexpr std::array<std::uint32_t, 5> kAmountLo{0, 200, 2000, 20000, 200000};
constexpr std::array<std::uint32_t, 5> kAmountHi{0, 2000, 20000, 200000, 1000000};

constexpr std::uint64_t kBlock = 250'000;  // subjects per block when writing files

// ---------------------------------------------------------------- CSV writing
/// Buffered writer of W1 CSV text onto one file.
class CsvFile {
 public:
  CsvFile(const std::string& path, std::string_view header) : path_(path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) {
      throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    }
    buffer_ = std::make_unique<char[]>(kCapacity);
    put(header);
  }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;
  ~CsvFile() {
    if (file_) std::fclose(file_);
  }

  /// Makes sure at least `n` bytes are free in the buffer.
  void reserve(std::size_t n) {
    if (kCapacity - used_ < n) flush();
  }
  void put(std::string_view s) {
    reserve(s.size());
    std::memcpy(buffer_.get() + used_, s.data(), s.size());
    used_ += s.size();
  }
  void put(char c) { buffer_[used_++] = c; }  // after reserve()
  void put_uint(std::uint64_t v) {              // after reserve()
    auto r = std::to_chars(buffer_.get() + used_, buffer_.get() + kCapacity, v);
    used_ = static_cast<std::size_t>(r.ptr - buffer_.get());
  }

  /// Flushes, closes and reports the bytes written; throws on a write error.
  std::uint64_t close() {
    flush();
    std::FILE* f = file_;
    file_ = nullptr;
    if (std::fclose(f) != 0) {
      throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
    }
    return written_;
  }

 private:
  static constexpr std::size_t kCapacity = 1 << 20;

  void flush() {
    if (used_ && std::fwrite(buffer_.get(), 1, used_, file_) != used_) {
      throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
    }
    written_ += used_;
    used_ = 0;
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  std::size_t used_ = 0;
  std::uint64_t written_ = 0;
};

constexpr std::string_view kSubjectsHeader = "id,sector,size,years_active\n";
constexpr std::string_view kRecordsHeader = "subject_id,kind,severity,age_days,amount\n";

void append_rows(const Data& d, CsvFile& subjects, CsvFile& records) {
  constexpr std::size_t kRowMax = 128;  // longer than any row
  for (std::size_t i = 0; i < d.subject_count(); ++i) {
    subjects.reserve(kRowMax);
    subjects.put_uint(d.id[i]);
    subjects.put(',');
    subjects.put(kSectorNames[d.sector[i]]);
    subjects.put(',');
    subjects.put(kSizeNames[d.size[i]]);
    subjects.put(',');
    subjects.put_uint(d.years[i]);
    subjects.put('\n');
    const auto b = static_cast<std::size_t>(d.record_offsets[i]);
    const auto e = static_cast<std::size_t>(d.record_offsets[i + 1]);
    for (std::size_t r = b; r < e; ++r) {
      records.reserve(kRowMax);
      records.put_uint(d.id[i]);
      records.put(',');
      records.put(kKindNames[d.kind[r]]);
      records.put(',');
      records.put_uint(d.severity[r]);
      records.put(',');
      records.put_uint(d.age_days[r]);
      records.put(',');
      records.put_uint(d.amount[r]);
      records.put('\n');
    }
  }
}

/// Empties `d`, keeping its capacity.
void clear(Data& d) {
  d.id.clear();
  d.sector.clear();
  d.size.clear();
  d.years.clear();
  d.record_offsets.assign(1, 0);
  d.kind.clear();
  d.severity.clear();
  d.age_days.clear();
  d.amount.clear();
}

}  // namespace

// ---------------------------------------------------------------- Data
void Data::add_subject(std::uint64_t subject_id, std::uint8_t sector_code, std::uint8_t size_code,
                       std::uint8_t years_active) {
  id.push_back(subject_id);
  sector.push_back(sector_code);
  size.push_back(size_code);
  years.push_back(years_active);
  record_offsets.push_back(record_offsets.back());
}

void Data::add_record(std::uint8_t kind_code, std::uint8_t severity_value, std::uint16_t age,
                      std::uint32_t amount_yuan) {
  kind.push_back(kind_code);
  severity.push_back(severity_value);
  age_days.push_back(age);
  amount.push_back(amount_yuan);
  ++record_offsets.back();
}

void Data::reserve(std::size_t subjects, std::size_t records) {
  id.reserve(subjects);
  sector.reserve(subjects);
  size.reserve(subjects);
  years.reserve(subjects);
  record_offsets.reserve(subjects + 1);
  kind.reserve(records);
  severity.reserve(records);
  age_days.reserve(records);
  amount.reserve(records);
}

// ---------------------------------------------------------------- generation
std::uint64_t append_subjects(Data& d, std::uint64_t seed, std::uint64_t first,
                              std::uint64_t last, std::uint64_t first_record) {
  const std::uint64_t k_sector = stream_key(seed, kSectorStream);
  const std::uint64_t k_size = stream_key(seed, kSizeStream);
  const std::uint64_t k_years = stream_key(seed, kYearsStream);
  const std::uint64_t k_count = stream_key(seed, kRecordCountStream);
  const std::uint64_t k_kind = stream_key(seed, kKindStream);
  const std::uint64_t k_severity = stream_key(seed, kSeverityStream);
  const std::uint64_t k_age = stream_key(seed, kAgeStream);
  const std::uint64_t k_amount = stream_key(seed, kAmountStream);

  const std::size_t n = last > first ? static_cast<std::size_t>(last - first) : 0;
  const std::size_t s0 = d.subject_count();
  d.id.resize(s0 + n);
  d.sector.resize(s0 + n);
  d.size.resize(s0 + n);
  d.years.resize(s0 + n);
  d.record_offsets.resize(s0 + n + 1);

  // Subjects first: their record counts size the record columns.
  std::int64_t offset = d.record_offsets[s0];
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t i = first + k;
    d.id[s0 + k] = i + 1;
    d.sector[s0 + k] = static_cast<std::uint8_t>(below(k_sector, i, kSectorCount));
    d.size[s0 + k] = kSizePick[below(k_size, i, 100)];
    d.years[s0 + k] = static_cast<std::uint8_t>(below(k_years, i, 41));
    offset += below(k_count, i, kMaxRecords + 1);
    d.record_offsets[s0 + k + 1] = offset;
  }

  const auto r0 = d.record_count();
  const auto m = static_cast<std::size_t>(offset) - r0;
  d.kind.resize(r0 + m);
  d.severity.resize(r0 + m);
  d.age_days.resize(r0 + m);
  d.amount.resize(r0 + m);
  for (std::size_t k = 0; k < m; ++k) {
    const std::uint64_t j = first_record + k;
    const std::uint8_t kind = kKindPick[below(k_kind, j, 100)];
    std::uint8_t severity = 0;
    std::uint32_t amount = 0;
    if (kind == kViolation) {
      severity = static_cast<std::uint8_t>(1 + kSeverityPick[below(k_severity, j, 100)]);
      amount = kAmountLo[severity] +
               below(k_amount, j, kAmountHi[severity] - kAmountLo[severity] + 1);
    }
    d.kind[r0 + k] = kind;
    d.severity[r0 + k] = severity;
    d.age_days[r0 + k] = static_cast<std::uint16_t>(below(k_age, j, 2001));
    d.amount[r0 + k] = amount;
  }
  return first_record + m;
}

Data generate(std::uint64_t subjects, std::uint64_t seed) {
  Data d;
  // Mean 8 records a subject; reserving a little more avoids a late regrowth.
  d.reserve(static_cast<std::size_t>(subjects), static_cast<std::size_t>(subjects * 17 / 2));
  append_subjects(d, seed, 0, subjects, 0);
  return d;
}

// ---------------------------------------------------------------- files
WriteStats write_csv(const Data& data, const std::string& subjects_path,
                     const std::string& records_path) {
  CsvFile subjects(subjects_path, kSubjectsHeader);
  CsvFile records(records_path, kRecordsHeader);
  append_rows(data, subjects, records);
  WriteStats stats;
  stats.subjects = data.subject_count();
  stats.records = data.record_count();
  stats.subject_bytes = subjects.close();
  stats.record_bytes = records.close();
  return stats;
}

WriteStats write_files(std::uint64_t subjects, std::uint64_t seed, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create directory " + dir + ": " + ec.message());
  const std::string sp = (fs::path(dir) / "subjects.csv").string();
  const std::string rp = (fs::path(dir) / "records.csv").string();

  WriteStats stats;
  {
    CsvFile sf(sp + ".tmp", kSubjectsHeader);
    CsvFile rf(rp + ".tmp", kRecordsHeader);
    Data block;
    std::uint64_t record = 0;
    for (std::uint64_t lo = 0; lo < subjects; lo += kBlock) {
      const std::uint64_t hi = std::min(subjects, lo + kBlock);
      clear(block);
      record = append_subjects(block, seed, lo, hi, record);
      append_rows(block, sf, rf);
    }
    stats.subjects = subjects;
    stats.records = record;
    stats.subject_bytes = sf.close();
    stats.record_bytes = rf.close();
  }
  fs::rename(sp + ".tmp", sp, ec);
  if (!ec) fs::rename(rp + ".tmp", rp, ec);
  if (ec) throw std::runtime_error("cannot rename into " + dir + ": " + ec.message());
  return stats;
}

}  // namespace gradus::w1
