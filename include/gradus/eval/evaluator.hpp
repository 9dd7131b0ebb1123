// Evaluation: Plan x SubjectTable -> Outcomes.
//
// Subjects are processed in fixed-size chunks; each chunk runs the plan's
// instructions as vector operations over its subjects and their records.
// Aggregations over small value domains are first folded into tables for the
// evaluation date (EvalOptions::fold), which changes how fast, never what.
// Chunks are spread over threads, and each subject's result depends only on
// its own data, so the outcomes are identical for every thread count and
// chunk size.
//
// Errors in one subject's arithmetic (overflow, division by zero) do not stop
// the batch: that subject gets tier -1 and a message in Outcomes::errors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gradus/eval/subject_table.hpp"
#include "gradus/plan/plan.hpp"

namespace gradus {

struct EvalOptions {
  std::int64_t as_of = 0;            // evaluation date, days since 1970-01-01 (required input)
  unsigned threads = 1;              // worker threads; 0 = one per hardware thread
  std::size_t chunk_size = 2048;     // subjects per chunk
  /// Fold aggregations that read only small value domains (kinds, enumerations,
  /// numbers compared with constants) into tables: faster, with identical outcomes.
  bool fold = true;
  /// Called now and then from worker threads with (subjects done, total); may be empty.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct Outcomes {
  std::vector<std::int64_t> score;       // scaled by 1'000'000
  std::vector<std::int32_t> tier;        // index into Plan::tiers; -1 when the subject failed
  std::vector<std::uint64_t> overrides;  // bit k set when override k's condition held
  /// Bit k set when Plan::conditionals[k]'s condition held (empty when the plan has none);
  /// it applies when the subject's tier is that entry's tier.
  std::vector<std::uint64_t> conditionals;
  struct SubjectError {
    std::size_t subject;                 // index into the table
    std::string message;                 // what went wrong, with the rule position
  };
  std::vector<SubjectError> errors;      // ascending by subject

  std::size_t size() const { return score.size(); }
};

/// Evaluates every subject. Throws UsageError when the table's shape does not
/// fit the plan's schema or a record's kind is out of range; an enum code out
/// of range fails only its subject (SubjectTable::validate checks every value
/// up front, when wanted).
Outcomes evaluate(const Plan& plan, const SubjectTable& table, const EvalOptions& options);

/// The same, into `out`, reusing its buffers: repeated evaluations (a service
/// re-scoring the same register) then allocate nothing per subject.
void evaluate(const Plan& plan, const SubjectTable& table, const EvalOptions& options, Outcomes& out);

/// Why one subject got its result.
struct Explanation {
  struct Record {
    std::size_t index;          // record index in the table
    std::uint32_t line;         // line in the records file (0 if unknown)
    std::string kind;           // record kind
    std::int64_t value;         // the aggregated value of this record (scaled); count/any: 1
    bool decides = false;       // min/max: this record's value is the result
  };
  struct Contribution {
    std::string name;
    std::string rule;           // the rule text, quoted from the source
    std::string at;             // file:line:column of the rule
    std::int64_t points;        // signed points it moved (deductions negative), before caps
    std::string group;          // cap group, if any
    std::vector<Record> records;  // the records that fed it
  };
  struct Override {
    std::string name;
    std::string rule;
    std::string at;
    std::string because;
    std::string basis;
    std::string effect;         // e.g. "tier B -> D" or "no change (already D)"
  };
  std::string subject;
  bool failed = false;
  std::string error;
  std::int64_t start = 0;
  std::vector<Contribution> contributions;
  std::vector<std::string> caps;       // e.g. "group bonus capped at 10 (was 14)"
  std::string clamp;                   // non-empty when the clamp changed the score
  std::int64_t score = 0;
  std::string band_tier;               // tier by score band and requirements
  std::vector<std::string> tier_steps; // requirements that failed on the way down
  std::vector<Override> overrides;     // those whose condition held
  std::string tier;                    // final tier
  PlanSupervision supervision;

  /// Multi-line human-readable text.
  std::string to_text() const;
  /// One JSON object (no trailing newline).
  std::string to_json() const;
};

/// Explains one subject (by index). Evaluates it alone in trace mode; the
/// batch path does not pay for this.
Explanation explain(const Plan& plan, const SubjectTable& table, std::size_t subject,
                    const EvalOptions& options);

}  // namespace gradus
