// Reading subjects and records from CSV files, driven by the schema.
//
// Header names are field names; extra columns are ignored, a missing column
// is an error. Values use the forms of rules/README.md: numbers with up to 6
// decimals, dates as YYYY-MM-DD, bools as true/false/1/0, enum members by
// name or label. Bad rows are reported with file, line and field. By default
// the load stops with every error listed (up to LoadOptions::max_errors);
// with LoadOptions::reject_path set, bad rows go to that file with the reason
// and the load goes on. Rows are never dropped silently.
#pragma once

#include <string>
#include <vector>

#include "gradus/check/schema.hpp"
#include "gradus/eval/subject_table.hpp"
#include "gradus/penalty/penalty.hpp"

namespace gradus {

struct LoadOptions {
  std::size_t max_errors = 20;  // errors listed before the load stops listing
  std::string reject_path;      // when set, quarantine bad rows here instead of failing
  unsigned threads = 1;         // parsing threads; 0 = one per hardware thread
  std::size_t max_row_bytes = 1u << 20;            // a longer row is a bad row
  std::size_t max_records_per_subject = 1'000'000;  // more fails the load (DataError)
};

struct LoadReport {
  std::size_t subjects = 0;          // subjects loaded
  std::size_t records = 0;           // records loaded
  std::size_t rejected_subjects = 0; // subject rows sent to the reject file
  std::size_t rejected_records = 0;  // record rows sent to the reject file
  std::vector<std::string> errors;   // "file:line: field 'x': why", at most max_errors
};

/// Loads both files. Throws DataError (listing the errors) on bad rows when no
/// reject file is set, IoError when a file cannot be read or written. An
/// empty records_path loads the subjects alone, with no records (a rulebook
/// without records, or the subjects of a combination rulebook). A number
/// field declared `in {...}` takes only those values; any other is a bad row.
SubjectTable load_csv(const Schema& schema, const std::string& subjects_path,
                      const std::string& records_path, const LoadOptions& options,
                      LoadReport* report = nullptr);

/// Loads a breaches CSV for the penalty rules of `checked`: columns id, party,
/// date, penalty and every breach input (any order). Throws DataError listing
/// up to `max_errors` bad rows by file:line and field, IoError when the file
/// cannot be read.
BreachTable load_breaches(const CheckedRulebook& checked, const std::string& path, std::size_t max_errors = 20);

/// Parses one value of `type` from data text; false when it is not valid.
bool parse_value(const Schema& schema, Type type, std::string_view text, std::int64_t& out);

}  // namespace gradus
