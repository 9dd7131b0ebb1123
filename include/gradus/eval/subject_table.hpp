// The columnar input of an evaluation: subjects, and their records stored
// contiguously per subject (record_offsets[i] .. record_offsets[i+1] are the
// records of subject i).
//
// Columns follow the Schema the table was built for: subject_columns[k] holds
// Schema::subject_fields[k], record_columns[k] holds Schema::record_fields[k].
// Values use the runtime representation described in schema.hpp. A record
// field that the record's kind does not have holds 0.
//
// Ownership: the table owns its data. Immutable once built; any number of
// evaluations may read it concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradus/check/schema.hpp"

namespace gradus {

struct SubjectTable {
  std::vector<std::string> ids;                       // subject ids as written, in input order
  std::vector<std::vector<std::int64_t>> subject_columns;  // one per Schema::subject_fields
  std::vector<std::int64_t> record_offsets{0};       // size subjects + 1, ascending
  std::vector<std::int64_t> record_kind;             // kind index of each record
  std::vector<std::vector<std::int64_t>> record_columns;   // one per Schema::record_fields
  std::vector<std::uint32_t> record_line;            // source line of each record (0 = not from a file)
  std::string records_source;                        // file the records came from, for explanations

  std::size_t subject_count() const { return ids.size(); }
  std::size_t record_count() const { return record_kind.size(); }

  /// Throws UsageError when the table does not fit the schema: column counts,
  /// lengths and offsets, and (unless shape_only) kind and enum codes out of
  /// range, values in fields the record's kind does not have, or values a
  /// field declared `in {...}` does not allow. The shape
  /// check costs O(subjects); the values check reads every value.
  void validate(const Schema& schema, bool shape_only = false) const;
};

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

}  // namespace gradus
