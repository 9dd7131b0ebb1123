// Runs a Plan over one chunk of subjects. Private to the eval stage.
//
// A Runner owns the buffers of one worker thread and is reused chunk after
// chunk. It runs the plan's instructions, or a Program with folded
// aggregations (fold.hpp) when given one; after a run of the plan's own
// instructions its registers and selections hold the chunk's values, which
// explain() reads back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradus/eval/subject_table.hpp"
#include "gradus/plan/plan.hpp"

namespace gradus::detail {

struct Fold;
struct Program;

/// Why an instruction could not compute a value.
enum class Fault : std::uint8_t { overflow, division_by_zero, bad_code, unreadable };

/// A run-time error at one position of one instruction, or (Fault::unreadable)
/// a stored value of a borrowed column that cannot be read.
struct PositionError {
  Level level;
  std::int32_t position;  // chunk-relative
  std::int32_t instr;     // index into Plan::code; for unreadable: the column (field index, -1 = kind)
  Fault fault;
};

class Runner {
 public:
  /// Runs `program` (which must outlive the Runner) if given, else the plan's instructions.
  Runner(const Plan& plan, const SubjectTable& table, std::int64_t as_of, const Program* program = nullptr);

  /// Evaluates subjects [first, first + count). With a program, a chunk whose
  /// data lies outside its folds' domains runs the plan's instructions.
  void run(std::size_t first, std::size_t count);

  std::size_t first_subject() const { return s0_; }
  std::size_t subjects() const { return ns_; }
  std::size_t first_record() const { return r0_; }
  std::size_t records() const { return nr_; }

  const std::int64_t* reg(std::int32_t r) const { return regs_[static_cast<std::size_t>(r)]; }
  /// Positions of a selection (kAll = every position of the level is not stored: check is_all).
  const std::int32_t* sel(std::int32_t s) const { return sel_ptr_[static_cast<std::size_t>(s)]; }
  std::size_t sel_size(std::int32_t s) const { return sel_size_[static_cast<std::size_t>(s)]; }
  /// Chunk-relative subject of a chunk-relative record.
  std::size_t subject_of_record(std::size_t position) const;
  const std::vector<PositionError>& errors() const { return errors_; }

  /// "division by zero in `a / b` at file:line:col".
  std::string describe(const PositionError& e) const;

 private:
  const Plan& plan_;
  const SubjectTable& table_;
  std::int64_t as_of_;
  std::size_t s0_ = 0, ns_ = 0, r0_ = 0, nr_ = 0;

  std::vector<std::vector<std::int64_t>> bufs_;   // owned storage per register
  std::vector<const std::int64_t*> regs_;         // current data of each register (buffer or column view)
  std::vector<std::vector<std::int32_t>> sel_bufs_;
  std::vector<const std::int32_t*> sel_ptr_;
  std::vector<std::size_t> sel_size_;
  // chunk-relative subject of each chunk-relative record, built when first needed
  std::vector<std::int32_t> rec_subject_;
  bool rec_subject_ready_ = false;
  // records of the chunk partitioned by kind (for single-kind selections):
  // kind k's list starts at k * records()
  std::vector<std::int32_t> by_kind_;
  std::vector<std::size_t> kind_size_;
  bool by_kind_ready_ = false;
  std::vector<PositionError> errors_;
  // the chunk's values of each column the plan reads: owned columns in place,
  // borrowed ones decoded into decoded_ (subject fields, record fields, then the kind)
  const std::int64_t* kind_ = nullptr;
  std::vector<const std::int64_t*> subject_values_, record_values_;
  std::vector<std::vector<std::int64_t>> decoded_;
  std::vector<bool> subject_used_, record_used_;
  std::vector<std::vector<std::int64_t>> band_thresholds_;  // per band table (fold.hpp)
  // folds of the program: per chunk, each record's key, and each subject's packed sums
  const Program* program_;
  struct FoldState {
    std::vector<std::uint32_t> subject_key;  // per subject
    std::vector<std::uint32_t> record_key;   // per record, without the subject's part
    std::vector<std::uint32_t> delta;        // subject key changes at each subject's first record
    std::vector<std::uint64_t> prefix;       // running sums of one packed word
    std::vector<std::uint64_t> sums;         // per word, per subject: packed sums
    std::vector<std::int32_t> heavy;         // subjects with more records than the lanes hold
  };
  std::vector<FoldState> fold_state_;

  std::int64_t* out(std::int32_t r);
  /// Points the column values at the chunk, decoding borrowed columns (errors for unreadable values).
  void load_columns();
  const std::int32_t* record_subjects();
  /// Calls f(subject, k, e) for each subject's run sel[k..e) of an ascending record selection.
  template <class F>
  void for_runs(const std::int32_t* sel, std::size_t n, F&& f) const;
  [[noreturn]] void bad_kind(std::size_t position) const;
  void ensure_by_kind();
  void exec(const Instr& in, std::int32_t index);
  /// Keys and packed sums of each fold for the chunk; false when some code is outside its domain.
  bool prepare(const Fold& fold, FoldState& state);
  void exec_fold(const Fold& fold, std::int32_t lane, const FoldState& state, std::int32_t instr);
};

}  // namespace gradus::detail
