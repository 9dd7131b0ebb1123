#include "gradus/eval/subject_table.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "gradus/core/decimal.hpp"
#include "gradus/core/error.hpp"

namespace gradus {

namespace {

std::size_t kind_count(const Schema& schema) { return schema.kinds.empty() ? 1 : schema.kinds.size(); }

std::uint64_t all_kinds_mask(std::size_t kinds) {
  return kinds >= 64 ? ~0ull : (1ull << kinds) - 1;
}

// Checks the codes of one column of `type`; `what(i)` names position i in messages.
template <class Name>
void check_codes(const Schema& schema, const FieldDef& field, const std::vector<std::int64_t>& column,
                 Name what) {
  std::int64_t hi;
  if (field.type.kind == TypeKind::boolean) {
    hi = 1;
  } else if (field.type.kind == TypeKind::enumeration) {
    if (field.type.enum_index < 0 || static_cast<std::size_t>(field.type.enum_index) >= schema.enums.size())
      throw UsageError(fmt::format("field '{}' names enum {} of {}", field.name, field.type.enum_index,
                                   schema.enums.size()));
    hi = static_cast<std::int64_t>(schema.enums[static_cast<std::size_t>(field.type.enum_index)].members.size()) - 1;
  } else {
    return;
  }
  for (std::size_t i = 0; i < column.size(); ++i) {
    if (column[i] < 0 || column[i] > hi) {
      if (column[i] == 0) continue;  // 0 is the value of absent record fields
      throw UsageError(fmt::format("{}: field '{}' holds code {}, {} allows 0..{}", what(i), field.name,
                                   column[i], schema.type_name(field.type), hi));
    }
  }
}

/// A number field declared `in {...}` holds only those values (records: where its kind has it).
template <class Name>
void check_allowed(const FieldDef& field, const std::vector<std::int64_t>& column,
                   const std::vector<std::int64_t>* record_kind, Name what) {
  if (field.allowed.empty()) return;
  for (std::size_t i = 0; i < column.size(); ++i) {
    if (record_kind && !((field.kinds >> (*record_kind)[i]) & 1)) continue;
    if (!std::binary_search(field.allowed.begin(), field.allowed.end(), column[i]))
      throw UsageError(fmt::format("{}: field '{}' holds {}, which is not one of its allowed values", what(i),
                                   field.name, decimal::format(column[i])));
  }
}

}  // namespace

void SubjectTable::validate(const Schema& schema, bool shape_only) const {
  const std::size_t subjects = ids.size();
  const std::size_t records = record_kind.size();
  if (subject_columns.size() != schema.subject_fields.size())
    throw UsageError(fmt::format("subject table has {} subject columns, the schema has {} subject fields",
                                 subject_columns.size(), schema.subject_fields.size()));
  for (std::size_t k = 0; k < subject_columns.size(); ++k)
    if (subject_columns[k].size() != subjects)
      throw UsageError(fmt::format("subject table: column '{}' has {} values for {} subjects",
                                   schema.subject_fields[k].name, subject_columns[k].size(), subjects));
  if (record_offsets.size() != subjects + 1)
    throw UsageError(fmt::format("subject table: {} record offsets for {} subjects (need {})",
                                 record_offsets.size(), subjects, subjects + 1));
  if (record_offsets.front() != 0)
    throw UsageError("subject table: record offsets must start at 0");
  for (std::size_t i = 0; i < subjects; ++i)
    if (record_offsets[i + 1] < record_offsets[i])
      throw UsageError(fmt::format("subject table: record offsets descend at subject {}", i));
  if (static_cast<std::size_t>(record_offsets.back()) != records)
    throw UsageError(fmt::format("subject table: record offsets end at {}, but there are {} records",
                                 record_offsets.back(), records));
  if (record_columns.size() != schema.record_fields.size())
    throw UsageError(fmt::format("subject table has {} record columns, the schema has {} record fields",
                                 record_columns.size(), schema.record_fields.size()));
  for (std::size_t k = 0; k < record_columns.size(); ++k)
    if (record_columns[k].size() != records)
      throw UsageError(fmt::format("subject table: column '{}' has {} values for {} records",
                                   schema.record_fields[k].name, record_columns[k].size(), records));
  if (!record_line.empty() && record_line.size() != records)
    throw UsageError(fmt::format("subject table: {} record lines for {} records", record_line.size(), records));

  const std::size_t kinds = kind_count(schema);
  if (kinds > 64) throw UsageError(fmt::format("schema has {} record kinds; at most 64 are supported", kinds));
  if (shape_only) return;
  const auto nk = static_cast<std::int64_t>(kinds);

  for (std::size_t k = 0; k < subject_columns.size(); ++k) {
    auto subject = [&](std::size_t i) { return fmt::format("subject table: subject '{}'", ids[i]); };
    check_codes(schema, schema.subject_fields[k], subject_columns[k], subject);
    check_allowed(schema.subject_fields[k], subject_columns[k], nullptr, subject);
  }

  // Records: kinds, codes and kind masks in one branch-free pass (tables are
  // big and this runs before every evaluation); the culprit is looked for
  // only when something is wrong.
  const std::uint64_t all = all_kinds_mask(kinds);
  struct ColumnCheck {
    const std::int64_t* values;
    std::uint64_t max_code;  // largest code; UINT64_MAX when any value goes
    std::uint64_t kinds;     // kinds that may hold a non-zero value
  };
  std::vector<ColumnCheck> checks;
  for (std::size_t k = 0; k < record_columns.size(); ++k) {
    const FieldDef& f = schema.record_fields[k];
    std::uint64_t max_code = UINT64_MAX;
    if (f.type.kind == TypeKind::boolean) max_code = 1;
    if (f.type.kind == TypeKind::enumeration) {
      if (f.type.enum_index < 0 || static_cast<std::size_t>(f.type.enum_index) >= schema.enums.size())
        throw UsageError(fmt::format("field '{}' names enum {} of {}", f.name, f.type.enum_index,
                                     schema.enums.size()));
      max_code = schema.enums[static_cast<std::size_t>(f.type.enum_index)].members.size() - 1;
    }
    if (max_code == UINT64_MAX && (f.kinds & all) == all) continue;
    checks.push_back({record_columns[k].data(), max_code, f.kinds & all});
  }
  bool bad = false;
  for (std::size_t i = 0; i < records; ++i) {
    const auto kind = static_cast<std::uint64_t>(record_kind[i]);
    bad |= kind >= static_cast<std::uint64_t>(nk);
    const std::uint64_t bit = std::uint64_t{1} << (kind & 63);
    for (const ColumnCheck& c : checks) {
      const std::int64_t v = c.values[i];
      bad |= (v != 0) & ((static_cast<std::uint64_t>(v) > c.max_code) | ((c.kinds & bit) == 0));
    }
  }
  if (!bad) {
    for (std::size_t k = 0; k < record_columns.size(); ++k)
      check_allowed(schema.record_fields[k], record_columns[k], &record_kind,
                    [](std::size_t i) { return fmt::format("subject table: record {}", i); });
    return;
  }

  for (std::size_t i = 0; i < records; ++i)
    if (record_kind[i] < 0 || record_kind[i] >= nk)
      throw UsageError(fmt::format("subject table: record {} has kind {}, the schema has {} kinds", i,
                                   record_kind[i], kinds));
  for (std::size_t k = 0; k < record_columns.size(); ++k) {
    const FieldDef& f = schema.record_fields[k];
    const auto& col = record_columns[k];
    check_codes(schema, f, col, [](std::size_t i) { return fmt::format("subject table: record {}", i); });
    for (std::size_t i = 0; i < records; ++i)
      if (col[i] != 0 && !((f.kinds >> record_kind[i]) & 1))
        throw UsageError(fmt::format("subject table: record {} of kind {} holds {} in field '{}', which its kind "
                                     "does not have (must be 0)",
                                     i, record_kind[i], col[i], f.name));
  }
  throw UsageError("subject table: bad record values");  // not reached
}

SubjectTableBuilder::SubjectTableBuilder(const Schema& schema) : schema_(&schema) {
  table_.subject_columns.resize(schema.subject_fields.size());
  table_.record_columns.resize(schema.record_fields.size());
}

std::size_t SubjectTableBuilder::add_subject(std::string id, std::vector<std::int64_t> values) {
  if (values.size() != schema_->subject_fields.size())
    throw UsageError(fmt::format("add_subject('{}'): {} values for {} subject fields", id, values.size(),
                                 schema_->subject_fields.size()));
  for (std::size_t k = 0; k < values.size(); ++k) table_.subject_columns[k].push_back(values[k]);
  table_.ids.push_back(std::move(id));
  return table_.ids.size() - 1;
}

void SubjectTableBuilder::add_record(std::size_t subject, std::int64_t kind, std::vector<std::int64_t> values,
                                     std::uint32_t line) {
  if (subject >= table_.ids.size())
    throw UsageError(fmt::format("add_record: subject {} does not exist ({} subjects)", subject, table_.ids.size()));
  const std::size_t kinds = kind_count(*schema_);
  if (kind < 0 || static_cast<std::size_t>(kind) >= kinds || kind >= 64)
    throw UsageError(fmt::format("add_record: kind {} out of range ({} kinds)", kind, kinds));
  if (values.size() != schema_->record_fields.size())
    throw UsageError(fmt::format("add_record: {} values for {} record fields", values.size(),
                                 schema_->record_fields.size()));
  for (std::size_t k = 0; k < values.size(); ++k) {
    // A field the kind does not have holds 0, whatever was passed.
    bool has = (schema_->record_fields[k].kinds >> kind) & 1;
    table_.record_columns[k].push_back(has ? values[k] : 0);
  }
  table_.record_kind.push_back(kind);
  table_.record_line.push_back(line);
  record_subject_.push_back(static_cast<std::int64_t>(subject));
}

SubjectTable SubjectTableBuilder::build() {
  SubjectTable& t = table_;
  const std::size_t n = t.ids.size();
  const std::size_t m = record_subject_.size();
  t.record_offsets.assign(n + 1, 0);
  for (std::int64_t s : record_subject_) ++t.record_offsets[static_cast<std::size_t>(s) + 1];
  for (std::size_t i = 0; i < n; ++i) t.record_offsets[i + 1] += t.record_offsets[i];

  bool grouped = true;
  for (std::size_t i = 1; i < m && grouped; ++i) grouped = record_subject_[i - 1] <= record_subject_[i];
  if (!grouped) {
    // Stable counting sort by subject.
    std::vector<std::size_t> dest(m);
    std::vector<std::int64_t> next(t.record_offsets.begin(), t.record_offsets.end() - 1);
    for (std::size_t i = 0; i < m; ++i)
      dest[i] = static_cast<std::size_t>(next[static_cast<std::size_t>(record_subject_[i])]++);
    auto permute = [&](auto& v) {
      std::remove_reference_t<decltype(v)> out(v.size());
      for (std::size_t i = 0; i < m; ++i) out[dest[i]] = v[i];
      v.swap(out);
    };
    permute(t.record_kind);
    permute(t.record_line);
    for (auto& c : t.record_columns) permute(c);
  }
  t.validate(*schema_);

  SubjectTable out = std::move(table_);
  table_ = SubjectTable{};
  table_.subject_columns.resize(schema_->subject_fields.size());
  table_.record_columns.resize(schema_->record_fields.size());
  record_subject_.clear();
  return out;
}

}  // namespace gradus
