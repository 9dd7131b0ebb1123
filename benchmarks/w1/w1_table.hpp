// W1 data as a gradus::SubjectTable, for the engine side of the W1 benchmark
// and tests. Header-only so that gradus_w1data itself stays independent of
// the engine; include it only where gradus is linked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gradus/check/schema.hpp"
#include "gradus/core/error.hpp"
#include "gradus/eval/subject_table.hpp"
#include "w1_data.hpp"

namespace gradus::w1 {

namespace detail {

/// Code of an enum member named `name` (or labelled `label`, when given).
inline std::int64_t member_code(const Schema& schema, const FieldDef& field,
                                std::string_view name, std::string_view label = {}) {
  if (field.type.kind != TypeKind::enumeration || field.type.enum_index < 0 ||
      static_cast<std::size_t>(field.type.enum_index) >= schema.enums.size()) {
    throw UsageError("W1 field '" + field.name + "' is not an enumeration in the schema");
  }
  const EnumType& e = schema.enums[static_cast<std::size_t>(field.type.enum_index)];
  for (std::size_t k = 0; k < e.members.size(); ++k) {
    if (e.members[k] == name) return static_cast<std::int64_t>(k);
  }
  if (!label.empty()) {
    if (auto code = e.code_of(label)) return *code;
  }
  throw UsageError("W1 value '" + std::string(name) + "' is not a member of enum " + e.name);
}

}  // namespace detail

/// Converts W1 data to the runtime representation of `schema` (the schema of
/// rules/w1.gradus): enum members by code, numbers scaled by 1'000'000, record
/// fields a kind does not have set to 0. Columns are found by name, so the
/// schema's field order does not matter. Throws UsageError when the schema is
/// not W1's (a field or member is missing).
inline SubjectTable make_table(const Schema& schema, const Data& data) {
  constexpr std::int64_t kScale = 1'000'000;
  const std::size_t n = data.subject_count();
  const std::size_t m = data.record_count();

  SubjectTable t;
  t.ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) t.ids.push_back(std::to_string(data.id[i]));

  t.subject_columns.resize(schema.subject_fields.size());
  for (std::size_t f = 0; f < schema.subject_fields.size(); ++f) {
    const FieldDef& field = schema.subject_fields[f];
    std::vector<std::int64_t>& col = t.subject_columns[f];
    col.resize(n);
    if (field.name == "sector" || field.name == "size") {
      const bool sector = field.name == "sector";
      std::vector<std::int64_t> code;
      if (sector) {
        for (std::string_view s : kSectorNames) code.push_back(detail::member_code(schema, field, s));
      } else {
        for (std::string_view s : kSizeNames) code.push_back(detail::member_code(schema, field, s));
      }
      const std::vector<std::uint8_t>& src = sector ? data.sector : data.size;
      for (std::size_t i = 0; i < n; ++i) col[i] = code[src[i]];
    } else if (field.name == "years_active") {
      for (std::size_t i = 0; i < n; ++i) col[i] = std::int64_t{data.years[i]} * kScale;
    } else {
      throw UsageError("W1 has no subject field '" + field.name + "'");
    }
  }

  t.record_offsets.assign(data.record_offsets.begin(), data.record_offsets.end());

  std::vector<std::int64_t> kind_code;
  for (std::string_view k : kKindNames) {
    const int code = schema.kind_index(k);
    if (code < 0) throw UsageError("W1 record kind '" + std::string(k) + "' is not in the schema");
    kind_code.push_back(code);
  }
  t.record_kind.resize(m);
  for (std::size_t r = 0; r < m; ++r) t.record_kind[r] = kind_code[data.kind[r]];

  t.record_columns.resize(schema.record_fields.size());
  for (std::size_t f = 0; f < schema.record_fields.size(); ++f) {
    const FieldDef& field = schema.record_fields[f];
    std::vector<std::int64_t>& col = t.record_columns[f];
    col.resize(m);
    if (field.name == "severity") {
      // Severity is a scale minor (1) < general (2) < serious (3) < grave (4).
      static constexpr std::string_view kMembers[] = {"minor", "general", "serious", "grave"};
      static constexpr std::string_view kLabels[] = {"1", "2", "3", "4"};
      std::int64_t code[5] = {0, 0, 0, 0, 0};  // severity 0: a kind without severity
      for (int s = 1; s <= 4; ++s) {
        code[s] = detail::member_code(schema, field, kMembers[s - 1], kLabels[s - 1]);
      }
      for (std::size_t r = 0; r < m; ++r) {
        col[r] = data.kind[r] == kViolation ? code[data.severity[r]] : 0;
      }
    } else if (field.name == "age_days") {
      for (std::size_t r = 0; r < m; ++r) col[r] = std::int64_t{data.age_days[r]} * kScale;
    } else if (field.name == "amount") {
      for (std::size_t r = 0; r < m; ++r) {
        col[r] = data.kind[r] == kViolation ? std::int64_t{data.amount[r]} * kScale : 0;
      }
    } else {
      throw UsageError("W1 has no record field '" + field.name + "'");
    }
  }
  t.record_line.assign(m, 0);
  t.validate(schema);
  return t;
}

}  // namespace gradus::w1
