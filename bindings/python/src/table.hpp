// Python data -> gradus::SubjectTable.
//
// Columns arrive as one-dimensional numpy arrays (any stride), or as pandas
// categoricals split into (codes, categories). A contiguous, aligned array
// of whole numbers, bools, datetime64[D] or categorical codes is borrowed
// (record columns: when the records come in subject order): the table reads
// it in place (Column::borrow), with no copy, and keeps the array alive.
// Other typed arrays (floats, strided ones, records to regroup) are converted
// once, without the GIL and on several threads, into the table's runtime
// representation (schema.hpp). Object arrays (str, int, float, Decimal, date,
// None...) are read value by value with the GIL held.
//
// A borrowed value that cannot be read (an integer that is no member of its
// enumeration, a NaT) is found when the table is evaluated: check_borrowed()
// then reports it exactly as a converted column's bad value is reported.
// Columns the rulebook never reads are checked when the table is built. The
// table reads the values of its arrays at each evaluation; ids and kinds are
// matched when it is built. Arrays must not change while an evaluation runs.
//
// Every problem names its side ("subjects" or "records"), its 0-based row and
// its column; nothing is dropped or guessed.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradus/gradus.hpp"

namespace gradus::python {

namespace py = pybind11;

/// Bad input data: a missing column, mismatched lengths, a value that does
/// not fit its field, a duplicate or unknown id. Raised in Python as
/// gradus.DataError (a ValueError).
class DataProblem : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Borrowed;  // a column read in place, with what names its values in messages

/// A SubjectTable built from Python data for one rulebook's schema, with what
/// maps it back to the input rows. Immutable once built.
struct Table {
  std::shared_ptr<const Plan> plan;        // the rulebook whose schema the table follows
  SubjectTable data;
  std::vector<std::uint32_t> record_row;   // input row of each table record; empty = same order
  std::vector<std::shared_ptr<const Borrowed>> borrowed;
};

/// Throws DataProblem naming the row and column of the first value that
/// cannot be read in each borrowed column (or, unless `all`, in each one the
/// rulebook does not read), if any. GIL held; it is released while the
/// columns are read.
void check_borrowed(const Table& table, unsigned threads, bool all = true);

/// Names of the columns read in place ("subjects.NAME" / "records.NAME", ids
/// included), in schema order.
std::vector<std::string> borrowed_columns(const Table& table);

/// Builds a table. `subjects` and `records` map column names to columns (a
/// numpy array, or a tuple ("categorical", codes, categories)); records may
/// be None when there are none. `*_available` are every column name of the
/// input, for the did-you-mean of a missing column. Throws DataProblem for
/// bad data and py::type_error for columns of an unusable type.
std::shared_ptr<Table> build_table(std::shared_ptr<const Plan> plan, const py::dict& subjects,
                                   const std::vector<std::string>& subjects_available,
                                   const py::object& records,
                                   const std::vector<std::string>& records_available, unsigned threads);

/// Builds the breaches of a rulebook's penalty rules (rules/PENALTIES.md):
/// the columns id, party, date, penalty (a rule name) and every breach input,
/// converted as build_table converts a field of the same type. Ids and
/// parties are integers or strings (compared as text); an id must be unique,
/// an input not negative. Throws DataProblem naming the row and column, and
/// py::type_error for a column of an unusable type.
BreachTable build_breaches(const CheckedRulebook& checked, const py::dict& breaches,
                           const std::vector<std::string>& available, unsigned threads);

/// Days since 1970-01-01 of a date given as 'YYYY-MM-DD', datetime.date,
/// datetime.datetime at midnight, numpy.datetime64 or pandas.Timestamp.
std::int64_t date_of(const py::handle& value);

/// A key identifying a schema: two rulebooks with equal keys read the same
/// tables.
std::string schema_key(const Schema& schema);

}  // namespace gradus::python
