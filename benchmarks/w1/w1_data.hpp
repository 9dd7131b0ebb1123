// W1, the standard sector scoring workload: its data, in memory and as CSV.
//
// The generator follows the W1 specification exactly: every random value is a
// pure function of (seed, stream, index) through a counter-based splitmix64
// hash, so the data depends only on the subject count N and the seed S. For
// the same N and S, write_files() produces byte-identical subjects.csv and
// records.csv to the canonical W1 generator, and the data for N subjects is a
// prefix of the data for any larger N.
//
//   gradus::w1::Data data = gradus::w1::generate(1'000'000, 1);      // in memory
//   gradus::w1::write_files(1'000'000, 1, "/tmp/w1");                 // as CSV
//
// Distributions (fixed by the W1 generator):
//   sector        uniform over the 10 sectors
//   size          micro 45%, small 30%, medium 18%, large 7%
//   years_active  uniform 0..40
//   records/subj  uniform 0..16 (mean 8)
//   kind          violation 50%, commitment_breach 10%, court_enforcement 6%,
//                 award 18%, certification 16%
//   severity      violations only: 1 50%, 2 30%, 3 14%, 4 6%; 0 for other kinds
//   age_days      uniform 0..2000
//   amount        violations only, whole yuan, uniform in a band by severity:
//                 1: 200..2000, 2: 2000..20000, 3: 20000..200000, 4: 200000..1000000
//
// This library does not depend on the gradus engine: it is the independent
// side of every engine-versus-reference comparison.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gradus::w1 {

inline constexpr std::size_t kSectorCount = 10;
inline constexpr std::size_t kSizeCount = 4;
inline constexpr std::size_t kKindCount = 5;
inline constexpr std::size_t kTierCount = 4;

/// Sector names by code, in the order of the W1 specification (and rules/w1.gradus).
inline constexpr std::array<std::string_view, kSectorCount> kSectorNames{
    "food_drug", "construction", "tendering", "work_safety", "fire_safety",
    "medical",   "eco_env",      "price",     "statistics",  "fiscal_funds"};
/// Size names by code.
inline constexpr std::array<std::string_view, kSizeCount> kSizeNames{"micro", "small", "medium",
                                                                     "large"};
/// Record kind names by code.
inline constexpr std::array<std::string_view, kKindCount> kKindNames{
    "violation", "commitment_breach", "court_enforcement", "award", "certification"};
/// Tier names by index, best first.
inline constexpr std::array<std::string_view, kTierCount> kTierNames{"A", "B", "C", "D"};

/// Record kind codes (index into kKindNames).
enum Kind : std::uint8_t {
  kViolation = 0,
  kCommitmentBreach = 1,
  kCourtEnforcement = 2,
  kAward = 3,
  kCertification = 4,
};

/// W1 subjects and their records, as plain columns. Records are stored
/// contiguously per subject: the records of subject i are
/// record_offsets[i] .. record_offsets[i + 1].
///
/// A value type with no invariants enforced; generate() and the loaders of
/// the tools produce consistent data. Read-only use from many threads is safe.
struct Data {
  std::vector<std::uint64_t> id;            // subject id (generated data: i + 1)
  std::vector<std::uint8_t> sector;         // index into kSectorNames
  std::vector<std::uint8_t> size;           // index into kSizeNames
  std::vector<std::uint8_t> years;          // years_active, 0..40
  std::vector<std::int64_t> record_offsets{0};  // size subject_count() + 1, ascending
  std::vector<std::uint8_t> kind;           // index into kKindNames
  std::vector<std::uint8_t> severity;       // 1..4 for violations, 0 for other kinds
  std::vector<std::uint16_t> age_days;      // 0..2000 in generated data
  std::vector<std::uint32_t> amount;        // whole yuan; 0 for kinds other than violation

  std::size_t subject_count() const { return sector.size(); }
  std::size_t record_count() const { return kind.size(); }

  /// Appends one subject with no records yet (add records with add_record()).
  void add_subject(std::uint64_t subject_id, std::uint8_t sector_code, std::uint8_t size_code,
                   std::uint8_t years_active);
  /// Appends a record to the last subject added.
  void add_record(std::uint8_t kind_code, std::uint8_t severity_value, std::uint16_t age,
                  std::uint32_t amount_yuan);
  /// Reserves room for `subjects` subjects and `records` records.
  void reserve(std::size_t subjects, std::size_t records);
};

/// Generates subjects 0 .. subjects-1 (ids 1..subjects) for `seed`.
Data generate(std::uint64_t subjects, std::uint64_t seed);

/// Appends subjects first .. last-1 (0-based; ids first+1 .. last) to `data`,
/// whose first record has the global record index `first_record`. Returns the
/// global index after their last record. generate() is append_subjects over
/// the whole range; this form generates large data in blocks.
std::uint64_t append_subjects(Data& data, std::uint64_t seed, std::uint64_t first,
                              std::uint64_t last, std::uint64_t first_record);

/// What write_files() wrote.
struct WriteStats {
  std::uint64_t subjects = 0;
  std::uint64_t records = 0;
  std::uint64_t subject_bytes = 0;
  std::uint64_t record_bytes = 0;
};

/// Generates `subjects` subjects for `seed` block by block (memory stays
/// bounded) and writes dir/subjects.csv and dir/records.csv, creating `dir`
/// if needed. Files are written under temporary names and renamed when
/// complete. Throws std::runtime_error when a file cannot be written.
WriteStats write_files(std::uint64_t subjects, std::uint64_t seed, const std::string& dir);

/// Writes `data` as W1 CSV (same format as write_files()). Throws
/// std::runtime_error when a file cannot be written.
WriteStats write_csv(const Data& data, const std::string& subjects_path,
                     const std::string& records_path);

}  // namespace gradus::w1
