// The columnar input of an evaluation: subjects, and their records stored
// contiguously per subject (record_offsets[i] .. record_offsets[i+1] are the
// records of subject i).
//
// Columns follow the Schema the table was built for: subject_columns[k] holds
// Schema::subject_fields[k], record_columns[k] holds Schema::record_fields[k].
// Values use the runtime representation described in schema.hpp. A record
// field that the record's kind does not have holds 0 in an owned column
// (validate checks it), and reads as 0 from a borrowed one whatever is stored.
//
// Ownership: a column either holds its values (int64 in the runtime
// representation), or reads another's memory in place: a borrowed column
// (Column::borrow) keeps that memory alive through a keeper and decodes its
// integers, of any width, into the runtime representation as the evaluator
// reads them, chunk by chunk. Borrowing is how data already in memory (numpy
// arrays, an application's own columns) is scored without a copy. The table is
// immutable once built; any number of evaluations may read it concurrently.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gradus/check/schema.hpp"

namespace gradus {

/// One column of a SubjectTable: a sequence of int64 runtime values.
///
/// An owned column holds them in a vector. A borrowed column reads integers
/// of `Width` from memory it does not own and decodes each one:
///   - with a lookup table: value = lookup[v - low] for low <= v < low + lookup.size(),
///     where an entry of kNoValue (or v outside the table) is a value that cannot be read;
///   - otherwise: value = v * scale, for low <= v <= high.
/// So categorical codes, enumeration labels written as numbers, whole numbers
/// (scale 1'000'000), dates (days) and booleans are read in place. A value
/// that cannot be read fails its subject during evaluation, naming the record
/// and field (SubjectTable::validate finds it up front).
class Column {
 public:
  enum class Width : std::uint8_t { i8, u8, i16, u16, i32, u32, i64 };
  static constexpr std::int64_t kNoValue = INT64_MIN;

  struct Encoding {
    Width width = Width::i64;
    std::int64_t scale = 1;
    std::int64_t low = INT64_MIN, high = INT64_MAX;  // raw values outside are not values
    std::vector<std::int64_t> lookup;                 // when non-empty: runtime value of raw low + i
  };

  Column() = default;
  Column(std::vector<std::int64_t> values) : values_(std::move(values)) {}  // NOLINT: a vector is a column

  /// A column over `size` integers at `data`, kept alive by `keeper` (which may be
  /// empty when the caller guarantees the memory outlives every use of the table).
  static Column borrow(const void* data, std::size_t size, Encoding encoding, std::shared_ptr<const void> keeper);

  bool owned() const { return !borrowed_; }
  std::size_t size() const { return borrowed_ ? size_ : values_.size(); }
  bool empty() const { return size() == 0; }

  /// The values of an owned column (throws UsageError for a borrowed one).
  const std::int64_t* data() const;
  std::vector<std::int64_t>& values();
  const std::vector<std::int64_t>& values() const;

  /// The runtime value at i (0 when it cannot be read): for tests and explanations.
  std::int64_t operator[](std::size_t i) const;
  /// Whether the value at i can be read (always, for an owned column).
  bool readable(std::size_t i) const;
  /// Whether every value can be read whatever is stored (owned columns, and
  /// encodings that accept every integer of their width).
  bool always_readable() const;
  /// The integer stored at i, before decoding (owned: the value itself).
  std::int64_t raw(std::size_t i) const;
  /// Decodes [first, first + n) into out; false when some value cannot be read
  /// (each such value is written as 0; readable() finds them). With `kind` (the
  /// kinds of the same records, each 0..63), a record whose kind is not in the
  /// mask `kinds` reads as 0 whatever is stored.
  bool decode(std::size_t first, std::size_t n, std::int64_t* out, const std::int64_t* kind = nullptr,
              std::uint64_t kinds = ~std::uint64_t{0}) const;
  /// The positions (from `first`) among [first, first + n) whose values cannot
  /// be read, records whose kind is not in `kinds` left out: where decode() failed.
  std::vector<std::size_t> unreadable(std::size_t first, std::size_t n, const std::int64_t* kind = nullptr,
                                      std::uint64_t kinds = ~std::uint64_t{0}) const;
  const Encoding& encoding() const { return encoding_; }

  /// Equal when both hold the same runtime values, however stored.
  bool operator==(const Column& other) const;
  bool operator==(const std::vector<std::int64_t>& values) const { return *this == Column(values); }

 private:
  std::vector<std::int64_t> values_;
  bool borrowed_ = false;
  const void* data_ = nullptr;
  std::size_t size_ = 0;
  Encoding encoding_;
  std::vector<std::int64_t> bytes_;  // one-byte lookups: the value of every byte
  bool unchecked_ = false;           // scaled: every stored value is in range
  std::shared_ptr<const void> keeper_;
};

struct SubjectTable {
  std::vector<std::string> ids;                       // subject ids as written, in input order
  Column id_numbers;                                  // or: whole-number ids (ids then empty)
  std::vector<Column> subject_columns;                // one per Schema::subject_fields
  std::vector<std::int64_t> record_offsets{0};       // size subjects + 1, ascending
  Column record_kind;                                 // kind index of each record
  std::vector<Column> record_columns;                 // one per Schema::record_fields
  std::vector<std::uint32_t> record_line;            // source line of each record (0 = not from a file)
  std::string records_source;                        // file the records came from, for explanations

  std::size_t subject_count() const { return ids.empty() ? id_numbers.size() : ids.size(); }
  std::size_t record_count() const { return record_kind.size(); }
  /// The id of subject i, as written.
  std::string id(std::size_t i) const;
  /// The position of the subject with this id (whole-number ids match their
  /// canonical decimal form), or nothing.
  std::optional<std::size_t> index_of(std::string_view id) const;
  /// What messages say of a borrowed value that cannot be read: "record 12:
  /// field 'sev' holds 9, which is not a Sev value" (field -1: the record kind;
  /// a subject is named by its id).
  std::string describe_unreadable(const Schema& schema, bool record, std::int32_t field, std::size_t row) const;

  /// Throws UsageError when the table does not fit the schema: column counts,
  /// lengths and offsets, and (unless shape_only) kind and enum codes out of
  /// range, borrowed values that cannot be read, non-zero values in owned
  /// fields the record's kind does not have, or values a field declared
  /// `in {...}` does not allow. The shape check costs O(subjects); the values
  /// check reads every value.
  void validate(const Schema& schema, bool shape_only = false) const;
};

/// SubjectTable::record_offsets for records that name their subject by id,
/// when `subject_ids` ascend strictly and `record_subject_ids` follow them in
/// order (each record's id is some subject's). Two passes over the ids, no
/// index. Nothing when the ids are not so ordered or a record names no
/// subject: group or look the records up another way then.
std::optional<std::vector<std::int64_t>> offsets_by_id(std::span<const std::int64_t> subject_ids,
                                                       std::span<const std::int64_t> record_subject_ids);

/// Builds a SubjectTable row by row in code (tests, examples, bindings).
/// Records may be added in any subject order; build() groups them by subject
/// and keeps their relative order.
class SubjectTableBuilder {
 public:
  explicit SubjectTableBuilder(const Schema& schema);

  /// Adds a subject; values parallel to Schema::subject_fields, in runtime representation.
  std::size_t add_subject(std::string id, std::vector<std::int64_t> values);
  /// Adds a record of `kind` for subject index `subject`; values parallel to Schema::record_fields.
  void add_record(std::size_t subject, std::int64_t kind, std::vector<std::int64_t> values,
                  std::uint32_t line = 0);
  SubjectTable build();

 private:
  const Schema* schema_;
  SubjectTable table_;
  std::vector<std::int64_t> record_subject_;  // subject of each added record
};

/// Prints the runtime values (for test failure messages).
std::ostream& operator<<(std::ostream& out, const Column& column);

}  // namespace gradus
