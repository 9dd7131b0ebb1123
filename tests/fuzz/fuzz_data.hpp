// The small fixed data set the evaluation fuzz target scores: built from any
// rulebook's schema, so a fuzzed rulebook always has data that fits it.
//
// Values are drawn in a fixed pattern from per-type lists that include the
// edges of each type's range (zero, negatives, the int64 extremes, dates far
// from the evaluation date), so arithmetic limits are reached too; a field with
// allowed values (`in {...}`) takes those.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradus/check/schema.hpp"
#include "gradus/eval/subject_table.hpp"

namespace gradus::fuzz {

inline std::int64_t sample_value(const Schema& schema, const FieldDef& field, std::size_t i) {
  if (!field.allowed.empty()) return field.allowed[i % field.allowed.size()];  // `in {...}`
  const Type type = field.type;
  static const std::int64_t numbers[] = {0,          1'000'000,   -1'000'000,  1'500'000, 365'000'000,
                                         250'000,    -2'250'000,  999'999'999'000'000, INT64_MAX, INT64_MIN,
                                         1'095'000'000, 5'000'000'000};
  static const std::int64_t dates[] = {19'723, 20'089, 0, -719'162, 2'932'896, 19'000, 20'000};
  switch (type.kind) {
    case TypeKind::boolean: return static_cast<std::int64_t>(i % 2);
    case TypeKind::date: return dates[i % std::size(dates)];
    case TypeKind::enumeration: {
      const auto n = schema.enums[static_cast<std::size_t>(type.enum_index)].members.size();
      return n ? static_cast<std::int64_t>(i % n) : 0;
    }
    default: return numbers[i % std::size(numbers)];
  }
}

/// `subjects` subjects; subject i has i % 5 records of kinds cycling through the schema's.
inline SubjectTable sample_table(const Schema& schema, std::size_t subjects = 13) {
  SubjectTableBuilder b(schema);
  std::size_t n = 0;  // values drawn so far
  for (std::size_t i = 0; i < subjects; ++i) {
    std::vector<std::int64_t> values;
    for (const FieldDef& f : schema.subject_fields) values.push_back(sample_value(schema, f, n++ * 7 + i));
    const std::size_t s = b.add_subject("s" + std::to_string(i), std::move(values));
    for (std::size_t j = 0; j < i % 5; ++j) {
      const std::size_t kind = schema.kinds.empty() ? 0 : (i + j) % schema.kinds.size();
      std::vector<std::int64_t> rv;
      for (const FieldDef& f : schema.record_fields)
        rv.push_back(f.kinds >> kind & 1 ? sample_value(schema, f, n++ * 5 + j) : 0);
      b.add_record(s, static_cast<std::int64_t>(kind), std::move(rv), static_cast<std::uint32_t>(j + 2));
    }
  }
  return b.build();
}

}  // namespace gradus::fuzz
