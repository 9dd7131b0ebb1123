// A compiled rulebook: straight-line vector instructions over registers,
// plus the tier ladder, overrides and supervision the outcomes refer to.
//
// A Plan is immutable and shared: any number of threads may evaluate it at
// once. It does not depend on the evaluation date; the date is an input of
// evaluate().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gradus/check/schema.hpp"
#include "gradus/core/source.hpp"

namespace gradus {

/// Which positions a register has: one per subject of a chunk, or one per record.
enum class Level : std::uint8_t { subject, record };

/// Instructions. Every instruction runs over the positions of its selection
/// (`sel`, or every position of its level when sel < 0); positions outside it
/// are left as they were. Values are int64 in the runtime representation.
enum class Op : std::uint8_t {
  constant,       // dst = imm
  as_of_offset,   // dst = as_of + imm (days; a date constant relative to the evaluation date)
  as_of_months,   // dst = as_of shifted by imm calendar months (a date)
  load_subject,   // dst = subject column a (a view, never written)
  load_record,    // dst = record column a, or the records' kinds when a < 0 (a view, never written)
  broadcast,      // record dst = subject register a of the record's subject
  copy,           // dst = a
  add,            // dst = a + b (overflow is a subject error)
  sub,            // dst = a - b
  mul,            // dst = a * b, both scaled, rounded to 6 decimals
  mul_int,        // dst = a * b (or imm), b an unscaled whole number: a plain integer product
  div,            // dst = a / b, rounded to 6 decimals (division by zero is a subject error)
  neg,            // dst = -a
  min,            // dst = min(a, b)
  max,            // dst = max(a, b)
  abs,            // dst = |a|
  scale_int,      // dst = a * 1'000'000 (a whole number of days from dates to a duration)
  eq, ne, lt, le, gt, ge,  // dst = a OP b ? 1 : 0
  logical_not,    // dst = a == 0
  band,           // dst = band table imm's value for key a
  lookup,         // dst = lookup table imm's value for code a
  sel_true,       // selection dst = positions of sel where a != 0
  sel_false,      // selection dst = positions of sel where a == 0
  sel_kinds,      // record selection dst = records (of subjects in subject selection sel) whose kind bit is in imm
  sel_minus,      // selection dst = sel minus selection a
  sel_cmp,        // selection dst = positions of sel where a CMP imm; CMP is the comparison op in b (eq..ge)
  sel_owners,     // subject selection dst = subjects of sel owning a record of record selection a
  agg_sum,        // subject dst = sum of record a over record selection b (dst zeroed first over sel)
  agg_count,      // subject dst = count of record selection b, scaled
  agg_min,        // subject dst = min of record a over b; subjects with none keep their dst value
  agg_max,        // subject dst = max of record a over b; subjects with none keep their dst value
  agg_any,        // subject dst = 1 if any record of selection b, else 0
  year_of,        // dst = the calendar year of date a, as a whole number
};

std::string_view op_name(Op op);

/// One instruction. Registers and selections are indices into the workspace.
/// Binary operations with b < 0 take imm as their right operand.
struct Instr {
  Op op = Op::constant;
  Level level = Level::subject;
  std::int32_t dst = -1;   // value register, or selection for sel_* ops
  std::int32_t a = -1;     // operand register / column / selection
  std::int32_t b = -1;     // operand register / selection
  std::int32_t sel = -1;   // selection this instruction runs under; -1 = every position
  std::int64_t imm = 0;    // constant, table index, kind mask
  Span span;               // the rule text this instruction computes
};

/// `[lo, hi)` etc. over scaled values; infinite ends are INT64_MIN / INT64_MAX with closed = true.
struct PlanBand {
  std::int64_t lo = INT64_MIN, hi = INT64_MAX;
  bool lo_closed = true, hi_closed = true;
  bool contains(std::int64_t v) const {
    return (lo_closed ? v >= lo : v > lo) && (hi_closed ? v <= hi : v < hi);
  }
};

/// A band table, flattened into segments: the key's segment is the number of
/// bounds it has passed (key > bound, or key == bound when the bound is
/// inclusive), and segment_values gives the value there (rows' values, or
/// the `otherwise` value in the gaps).
struct PlanBandTable {
  std::vector<std::int64_t> bounds;        // ascending
  std::vector<std::uint8_t> inclusive;     // parallel to bounds: segment starts at the bound itself
  std::vector<std::int64_t> segment_values;  // size bounds + 1

  std::int64_t at(std::int64_t key) const {
    std::size_t k = 0;
    for (std::size_t j = 0; j < bounds.size(); ++j)
      k += key > bounds[j] || (key == bounds[j] && inclusive[j]);
    return segment_values[k];
  }
};

/// A table keyed by an enumeration code (or a bool).
struct PlanLookupTable {
  std::vector<std::int64_t> values;  // by code
};

/// Where a score contribution's value lives after evaluation, for explanations.
struct PlanContribution {
  std::string name;
  bool deduct = false;
  std::int32_t group = -1;         // index into Plan::groups, or -1
  std::int32_t reg = -1;           // subject register with its points
  Span span;                       // the whole `add`/`deduct` line
  /// Aggregations inside the contribution: selection of records and value per record.
  struct Feed {
    std::int32_t sel = -1;         // record selection of the aggregation
    std::int32_t value = -1;       // record register with each record's value (-1 for count/any)
    Span span;                     // the aggregation's text
    std::int32_t result = -1;      // min/max: subject register of the result; the records equal to it decide it
  };
  std::vector<Feed> feeds;
};

struct PlanGroup {
  std::string name;
  std::int32_t cap_reg = -1;       // subject register with the cap (-1: no cap)
  Span span;
};

struct PlanSupervision {
  bool has_sampling = false;
  std::int64_t sampling = 0;       // ratio, scaled (0.02 -> 20'000)
  bool has_interval = false;
  std::int64_t interval_days = 0;  // whole days
  std::vector<std::string> incentives;  // names
  std::vector<std::string> measures;    // names
  bool has_sampling_band = false;  // `sampling [5%, 20%]`: a range of ratios instead of one
  PlanBand sampling_band;
  bool has_checks = false;         // `checks [1, 2]`: inspections per year
  PlanBand checks;
};

struct PlanTier {
  std::string name;
  std::string label;
  PlanBand band;
  std::int32_t requires_reg = -1;  // subject register of its requirement, or -1
  Span span;
  Span requires_span;
  PlanSupervision supervision;
  bool by_override = false;        // no band: only an override gives this tier
};

struct PlanOverride {
  enum class Action : std::uint8_t { force, at_most, at_least } action = Action::force;
  std::string name;
  std::int32_t tier = 0;           // the tier it forces or caps at
  std::int32_t when_reg = -1;      // subject register of its condition
  std::string because;
  std::string basis;               // citation text, resolved from `law` names
  Span span;
};

class Plan;

/// A category of a combination rulebook: another rulebook evaluated over the
/// same subjects, whose outcome is one record of the combination.
struct PlanCategory {
  std::string name;                // also the record kind of its outcomes
  std::string path;                // the rulebook file as written
  std::string variant;             // the variant it is evaluated as; empty: as declared
  std::int32_t kind = -1;          // record kind index in the combination's schema
  Span span;
  std::shared_ptr<const Plan> plan;        // the compiled category (set when the combination is compiled from files)
  std::vector<std::int64_t> tier_code;     // the category's tier index -> code in the combination's tier enum
};

/// "[0.05, 0.2]", "[1, inf)": a band as written, with exact decimals.
std::string format_band(const PlanBand& band);

/// `measure x when c` in tier t's supervision: subjects of tier t for whom c
/// holds get x too.
struct PlanConditional {
  std::int32_t tier = -1;
  std::string name;
  bool incentive = false;
  std::int32_t when_reg = -1;      // subject register of the condition
  Span span;
};

/// A measure or incentive of the catalogue.
struct PlanMeasure {
  std::string name;
  std::string label;
  std::string basis;
  bool incentive = false;
};

class Plan {
 public:
  std::shared_ptr<const Source> source;      // the rule text, for quoting spans
  Schema schema;
  std::string title, version;

  // The program, run once per chunk in order.
  std::vector<Instr> code;
  std::vector<Level> register_level;         // level of each value register
  std::vector<Level> selection_level;        // level of each selection slot
  std::vector<PlanBandTable> band_tables;
  std::vector<PlanLookupTable> lookup_tables;

  // What the program computes.
  std::int32_t score_reg = -1;               // subject register of the final score
  std::int32_t tier_reg = -1;                // subject register of the tier index
  std::vector<PlanContribution> contributions;
  std::vector<PlanGroup> groups;
  std::int32_t start_reg = -1;
  Span start_span, clamp_span;
  std::vector<PlanTier> tiers;               // best first
  std::vector<PlanOverride> overrides;       // in order of application
  std::vector<PlanMeasure> measures;
  std::int32_t summary_field = -1;           // subject field to summarise by, or -1
  std::string variant;                       // the variant compiled; empty: constants as declared
  std::vector<std::string> variants;         // every variant the rulebook declares
  std::vector<PlanCategory> categories;      // a combination rulebook's categories (empty otherwise)
  std::int32_t category_tier_field = -1;     // combination: record field (the enum one) of a category's tier, or -1
  std::int32_t category_score_field = -1;    // combination: record field (the decimal one) of a category's score, or -1
  std::vector<PlanConditional> conditionals; // measures and incentives with a condition (at most 64)

  /// Human-readable listing of the program, for debugging and golden tests.
  std::string dump() const;
  /// For each subject field (Level::subject) or record field (Level::record):
  /// whether the program reads it. The record kind is always read.
  std::vector<bool> reads(Level level) const;
};

}  // namespace gradus
