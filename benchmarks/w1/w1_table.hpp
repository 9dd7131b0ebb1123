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
    std::vector<std::int64_t>& col = t.subject_columns[f].values();
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
  std::vector<std::int64_t>& kinds = t.record_kind.values();
  kinds.resize(m);
  for (std::size_t r = 0; r < m; ++r) kinds[r] = kind_code[data.kind[r]];

  t.record_columns.resize(schema.record_fields.size());
  for (std::size_t f = 0; f < schema.record_fields.size(); ++f) {
    const FieldDef& field = schema.record_fields[f];
    std::vector<std::int64_t>& col = t.record_columns[f].values();
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

/// The same table, reading `data`'s own narrow columns in place (Column::borrow):
/// no value is copied; codes go through lookup tables and numbers are scaled as
/// the evaluator reads them. `offsets` are the record offsets (data.record_offsets,
/// or found by gradus::offsets_by_id). `data` must outlive the table. The values
/// are not validated here (SubjectTable::validate does that).
inline SubjectTable borrow_table(const Schema& schema, const Data& data, std::vector<std::int64_t> offsets) {
  constexpr std::int64_t kScale = 1'000'000;
  const std::size_t n = data.subject_count();
  const std::size_t m = data.record_count();
  auto codes = [](std::vector<std::int64_t> lookup) {
    Column::Encoding e;
    e.width = Column::Width::u8;
    e.low = 0;
    e.lookup = std::move(lookup);
    return e;
  };
  auto scaled = [&](Column::Width width) {
    Column::Encoding e;
    e.width = width;
    e.scale = kScale;
    return e;
  };

  SubjectTable t;
  Column::Encoding id;
  id.low = 0;  // W1 ids are below 2^63
  t.id_numbers = Column::borrow(data.id.data(), n, id, nullptr);
  t.subject_columns.resize(schema.subject_fields.size());
  for (std::size_t f = 0; f < schema.subject_fields.size(); ++f) {
    const FieldDef& field = schema.subject_fields[f];
    if (field.name == "sector" || field.name == "size") {
      std::vector<std::int64_t> lookup;
      if (field.name == "sector") {
        for (std::string_view s : kSectorNames) lookup.push_back(detail::member_code(schema, field, s));
      } else {
        for (std::string_view s : kSizeNames) lookup.push_back(detail::member_code(schema, field, s));
      }
      const auto& src = field.name == "sector" ? data.sector : data.size;
      t.subject_columns[f] = Column::borrow(src.data(), n, codes(std::move(lookup)), nullptr);
    } else if (field.name == "years_active") {
      t.subject_columns[f] = Column::borrow(data.years.data(), n, scaled(Column::Width::u8), nullptr);
    } else {
      throw UsageError("W1 has no subject field '" + field.name + "'");
    }
  }
  t.record_offsets = std::move(offsets);
  std::vector<std::int64_t> kinds;
  for (std::string_view k : kKindNames) {
    const int code = schema.kind_index(k);
    if (code < 0) throw UsageError("W1 record kind '" + std::string(k) + "' is not in the schema");
    kinds.push_back(code);
  }
  t.record_kind = Column::borrow(data.kind.data(), m, codes(std::move(kinds)), nullptr);
  t.record_columns.resize(schema.record_fields.size());
  for (std::size_t f = 0; f < schema.record_fields.size(); ++f) {
    const FieldDef& field = schema.record_fields[f];
    if (field.name == "severity") {
      static constexpr std::string_view kMembers[] = {"minor", "general", "serious", "grave"};
      std::vector<std::int64_t> lookup{Column::kNoValue};  // 0: only kinds without severity
      for (std::string_view s : kMembers) lookup.push_back(detail::member_code(schema, field, s));
      t.record_columns[f] = Column::borrow(data.severity.data(), m, codes(std::move(lookup)), nullptr);
    } else if (field.name == "age_days") {
      t.record_columns[f] = Column::borrow(data.age_days.data(), m, scaled(Column::Width::u16), nullptr);
    } else if (field.name == "amount") {
      t.record_columns[f] = Column::borrow(data.amount.data(), m, scaled(Column::Width::u32), nullptr);
    } else {
      throw UsageError("W1 has no record field '" + field.name + "'");
    }
  }
  return t;
}

}  // namespace gradus::w1
