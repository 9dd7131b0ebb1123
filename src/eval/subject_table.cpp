#include "gradus/eval/subject_table.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <ostream>
#include <span>

#include <fmt/format.h>

#include "gradus/core/decimal.hpp"
#include "gradus/core/error.hpp"
#include "../core/memory.hpp"

namespace gradus {

namespace {

std::size_t kind_count(const Schema& schema) { return schema.kinds.empty() ? 1 : schema.kinds.size(); }

std::uint64_t all_kinds_mask(std::size_t kinds) {
  return kinds >= 64 ? ~0ull : (1ull << kinds) - 1;
}

// Checks the codes of one column of `type`; `what(i)` names position i in messages.
template <class Name>
void check_codes(const Schema& schema, const FieldDef& field, std::span<const std::int64_t> column, Name what) {
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
void check_allowed(const FieldDef& field, std::span<const std::int64_t> column, const std::int64_t* record_kind,
                   Name what) {
  if (field.allowed.empty()) return;
  for (std::size_t i = 0; i < column.size(); ++i) {
    if (record_kind && !((field.kinds >> record_kind[i]) & 1)) continue;
    if (!std::binary_search(field.allowed.begin(), field.allowed.end(), column[i]))
      throw UsageError(fmt::format("{}: field '{}' holds {}, which is not one of its allowed values", what(i),
                                   field.name, decimal::format(column[i])));
  }
}

/// Calls f(T{}) with T the stored integer type of `w`.
template <class F>
decltype(auto) with_width(Column::Width w, F&& f) {
  switch (w) {
    case Column::Width::i8: return f(std::int8_t{});
    case Column::Width::u8: return f(std::uint8_t{});
    case Column::Width::i16: return f(std::int16_t{});
    case Column::Width::u16: return f(std::uint16_t{});
    case Column::Width::i32: return f(std::int32_t{});
    case Column::Width::u32: return f(std::uint32_t{});
    case Column::Width::i64: break;
  }
  return f(std::int64_t{});
}

/// Decodes n stored values; true when all that are read could be. `Masked`:
/// records whose kind is not in `kinds` read as 0. `bytes`: for one-byte
/// integers, the lookup over every byte value; `unchecked`: every value of T
/// scales without leaving the range.
template <bool Masked, class T>
[[gnu::always_inline]] inline bool decode_body(const T* v, std::size_t n, std::int64_t* out, const Column::Encoding& e,
                   const std::int64_t* bytes, bool unchecked, const std::int64_t* kind, std::uint64_t kinds) {
  bool ok = true;
  auto read = [&](std::size_t i) {
    if constexpr (Masked) return ((kinds >> (kind[i] & 63)) & 1) != 0;
    return true;
  };
  // x where `keep`, else 0, without a branch (which of a chunk's records are read is random)
  auto select = [](bool keep, std::int64_t x) { return x & -static_cast<std::int64_t>(keep); };
  if constexpr (sizeof(T) == 1) {
    if (bytes) {
      for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t x = bytes[static_cast<std::uint8_t>(v[i])];
        const bool r = read(i), good = x != Column::kNoValue;
        ok &= !r | good;
        out[i] = select(r & good, x);
      }
      return ok;
    }
  }
  if (!e.lookup.empty()) {
    const std::int64_t* table = e.lookup.data();
    const std::uint64_t span = e.lookup.size();
    const auto low = static_cast<std::uint64_t>(e.low);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t k = static_cast<std::uint64_t>(static_cast<std::int64_t>(v[i])) - low;
      const std::int64_t x = k < span ? table[k] : Column::kNoValue;
      const bool r = read(i), good = x != Column::kNoValue;
      ok &= !r | good;
      out[i] = select(r & good, x);
    }
    return ok;
  }
  const std::int64_t scale = e.scale;
  if (unchecked) {
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = select(read(i), static_cast<std::int64_t>(v[i])) * scale;
    }
    return true;
  }
  const std::int64_t low = e.low, high = e.high;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<std::int64_t>(v[i]);
    const bool r = read(i), inside = (x >= low) & (x <= high);
    ok &= !r | inside;
    out[i] = select(r & inside, x) * scale;  // what is out of range is not multiplied
  }
  return ok;
}

// The loops are compiled twice: for the baseline processor, and with AVX2
// where the processor has it (64-bit compares, variable shifts and gathers let
// the compiler vectorise them). Both compute the same integers.
template <bool Masked, class T>
bool decode_base(const T* v, std::size_t n, std::int64_t* out, const Column::Encoding& e, const std::int64_t* bytes,
                 bool unchecked, const std::int64_t* kind, std::uint64_t kinds) {
  return decode_body<Masked>(v, n, out, e, bytes, unchecked, kind, kinds);
}
#if defined(__GNUC__) && defined(__x86_64__)
#define GRADUS_AVX2_DECODE 1
template <bool Masked, class T>
[[gnu::target("avx2")]] bool decode_avx2(const T* v, std::size_t n, std::int64_t* out, const Column::Encoding& e,
                                         const std::int64_t* bytes, bool unchecked, const std::int64_t* kind,
                                         std::uint64_t kinds) {
  return decode_body<Masked>(v, n, out, e, bytes, unchecked, kind, kinds);
}
bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

template <bool Masked, class T>
bool decode_values(const T* v, std::size_t n, std::int64_t* out, const Column::Encoding& e, const std::int64_t* bytes,
                   bool unchecked, const std::int64_t* kind, std::uint64_t kinds) {
#ifdef GRADUS_AVX2_DECODE
  if (has_avx2()) return decode_avx2<Masked>(v, n, out, e, bytes, unchecked, kind, kinds);
#endif
  return decode_base<Masked>(v, n, out, e, bytes, unchecked, kind, kinds);
}

}  // namespace

Column Column::borrow(const void* data, std::size_t size, Encoding encoding, std::shared_ptr<const void> keeper) {
  if (!data && size > 0) throw UsageError("Column::borrow: no data");
  if (encoding.scale < 1) throw UsageError(fmt::format("Column::borrow: scale {} is not positive", encoding.scale));
  if (encoding.low > encoding.high) throw UsageError("Column::borrow: low is above high");
  if (encoding.lookup.empty() && encoding.scale > 1) {  // v * scale must fit
    encoding.high = std::min(encoding.high, INT64_MAX / encoding.scale);
    encoding.low = std::max(encoding.low, -(INT64_MAX / encoding.scale));
  }
  Column c;
  c.borrowed_ = true;
  c.data_ = data;
  c.size_ = size;
  c.encoding_ = std::move(encoding);
  c.keeper_ = std::move(keeper);
  const Encoding& e = c.encoding_;
  with_width(e.width, [&](auto t) {
    using T = decltype(t);
    if (!e.lookup.empty()) {
      if constexpr (sizeof(T) == 1) {  // a table over every byte: no bounds to check
        c.bytes_.resize(256);
        for (int b = 0; b < 256; ++b) {
          const auto raw = static_cast<std::int64_t>(static_cast<T>(b));
          const std::uint64_t k = static_cast<std::uint64_t>(raw) - static_cast<std::uint64_t>(e.low);
          c.bytes_[static_cast<std::size_t>(b)] = k < e.lookup.size() ? e.lookup[k] : kNoValue;
        }
      }
    } else {
      c.unchecked_ = e.low <= std::numeric_limits<T>::min() && std::numeric_limits<T>::max() <= e.high;
    }
  });
  return c;
}

const std::int64_t* Column::data() const {
  if (borrowed_) throw UsageError("Column::data: a borrowed column has no int64 values to point at");
  return values_.data();
}

std::vector<std::int64_t>& Column::values() {
  if (borrowed_) throw UsageError("Column::values: a borrowed column cannot be changed");
  return values_;
}

const std::vector<std::int64_t>& Column::values() const {
  if (borrowed_) throw UsageError("Column::values: a borrowed column holds no vector");
  return values_;
}

std::int64_t Column::raw(std::size_t i) const {
  if (!borrowed_) return values_.at(i);
  if (i >= size_) throw UsageError(fmt::format("Column::raw: index {} of {}", i, size_));
  return with_width(encoding_.width,
                    [&](auto t) { return static_cast<std::int64_t>(static_cast<const decltype(t)*>(data_)[i]); });
}

std::int64_t Column::operator[](std::size_t i) const {
  if (!borrowed_) return values_[i];
  std::int64_t x;
  decode(i, 1, &x);
  return x;
}

bool Column::readable(std::size_t i) const {
  if (!borrowed_) return true;
  std::int64_t x;
  return decode(i, 1, &x);
}

bool Column::always_readable() const {
  if (!borrowed_ || unchecked_) return true;
  return !bytes_.empty() && std::find(bytes_.begin(), bytes_.end(), kNoValue) == bytes_.end();
}

bool Column::decode(std::size_t first, std::size_t n, std::int64_t* out, const std::int64_t* kind,
                    std::uint64_t kinds) const {
  if (!borrowed_) {
    const std::int64_t* v = values_.data() + first;
    for (std::size_t i = 0; i < n; ++i) out[i] = kind && !((kinds >> (kind[i] & 63)) & 1) ? 0 : v[i];
    return true;
  }
  return with_width(encoding_.width, [&](auto t) {
    const auto* v = static_cast<const decltype(t)*>(data_) + first;
    const std::int64_t* bytes = bytes_.empty() ? nullptr : bytes_.data();
    return kind ? decode_values<true>(v, n, out, encoding_, bytes, unchecked_, kind, kinds)
                : decode_values<false>(v, n, out, encoding_, bytes, unchecked_, kind, kinds);
  });
}

std::vector<std::size_t> Column::unreadable(std::size_t first, std::size_t n, const std::int64_t* kind,
                                            std::uint64_t kinds) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < n; ++i)
    if ((!kind || ((kinds >> (kind[i] & 63)) & 1)) && !readable(first + i)) out.push_back(i);
  return out;
}

bool Column::operator==(const Column& other) const {
  if (size() != other.size()) return false;
  if (owned() && other.owned()) return values_ == other.values_;
  for (std::size_t i = 0; i < size(); ++i)
    if ((*this)[i] != other[i] || readable(i) != other.readable(i)) return false;
  return true;
}

std::ostream& operator<<(std::ostream& out, const Column& column) {
  out << '{';
  for (std::size_t i = 0; i < column.size(); ++i) {
    if (i) out << ", ";
    if (column.readable(i)) out << column[i];
    else out << "unreadable " << column.raw(i);
  }
  return out << '}';
}

std::string SubjectTable::id(std::size_t i) const {
  if (!ids.empty()) return ids.at(i);
  return std::to_string(id_numbers.raw(i));
}

std::optional<std::size_t> SubjectTable::index_of(std::string_view id) const {
  if (!ids.empty()) {
    auto it = std::find(ids.begin(), ids.end(), id);
    if (it == ids.end()) return std::nullopt;
    return static_cast<std::size_t>(it - ids.begin());
  }
  std::int64_t v;
  const auto r = std::from_chars(id.data(), id.data() + id.size(), v);
  if (r.ec != std::errc() || r.ptr != id.data() + id.size() || std::to_string(v) != id) return std::nullopt;
  for (std::size_t i = 0; i < id_numbers.size(); ++i)
    if (id_numbers.raw(i) == v) return i;
  return std::nullopt;
}

std::string SubjectTable::describe_unreadable(const Schema& schema, bool record, std::int32_t field,
                                              std::size_t row) const {
  const auto k = static_cast<std::size_t>(field);
  const Column& c = !record ? subject_columns.at(k) : field < 0 ? record_kind : record_columns.at(k);
  const FieldDef* f = field < 0 ? nullptr : record ? &schema.record_fields.at(k) : &schema.subject_fields.at(k);
  const std::string where = record ? fmt::format("record {}", row) : fmt::format("subject '{}'", id(row));
  return fmt::format("{}: {} holds {}, which is not a {} value", where,
                     f ? fmt::format("field '{}'", f->name) : std::string("the kind"), c.raw(row),
                     f ? schema.type_name(f->type) : std::string("record kind"));
}

namespace {

/// Every value of a column, decoded into `keep` when borrowed; with `kind`,
/// records whose kind is not in `kinds` read as 0. `bad(i)` throws for a value
/// that cannot be read.
template <class Bad>
std::span<const std::int64_t> values_of(const Column& c, std::vector<std::int64_t>& keep, const std::int64_t* kind,
                                        std::uint64_t kinds, Bad bad) {
  if (c.owned()) return {c.data(), c.size()};
  keep.resize(c.size());
  if (!c.decode(0, c.size(), keep.data(), kind, kinds)) bad(c.unreadable(0, c.size(), kind, kinds).front());
  return keep;
}

}  // namespace

void SubjectTable::validate(const Schema& schema, bool shape_only) const {
  const std::size_t subjects = subject_count();
  const std::size_t records = record_kind.size();
  if (!ids.empty() && !id_numbers.empty())
    throw UsageError("subject table: ids are given both as text and as numbers");
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
  auto subject = [&](std::size_t i) { return fmt::format("subject table: subject '{}'", id(i)); };
  auto record = [](std::size_t i) { return fmt::format("subject table: record {}", i); };
  auto unreadable = [&](bool in_record, std::int32_t field) {
    return [&, in_record, field](std::size_t i) {
      throw UsageError("subject table: " + describe_unreadable(schema, in_record, field, i));
    };
  };

  std::vector<std::int64_t> keep;
  for (std::size_t k = 0; k < subject_columns.size(); ++k) {
    const FieldDef& f = schema.subject_fields[k];
    const auto values =
        values_of(subject_columns[k], keep, nullptr, 0, unreadable(false, static_cast<std::int32_t>(k)));
    check_codes(schema, f, values, subject);
    check_allowed(f, values, nullptr, subject);
  }

  std::vector<std::int64_t> kind_keep;
  const std::int64_t* kind = values_of(record_kind, kind_keep, nullptr, 0, unreadable(true, -1)).data();

  // Records: kinds, codes and kind masks in one branch-free pass (tables are
  // big and this runs before every evaluation); the culprit is looked for
  // only when something is wrong. Borrowed columns read 0 where the kind lacks
  // the field, so only owned ones can hold a value there.
  const std::uint64_t all = all_kinds_mask(kinds);
  struct ColumnCheck {
    const std::int64_t* values;
    std::uint64_t max_code;  // largest code; UINT64_MAX when any value goes
    std::uint64_t kinds;     // kinds that may hold a non-zero value
  };
  bool bad = false;
  for (std::size_t i = 0; i < records; ++i) bad |= static_cast<std::uint64_t>(kind[i]) >= static_cast<std::uint64_t>(nk);
  if (bad) {
    for (std::size_t i = 0; i < records; ++i)
      if (kind[i] < 0 || kind[i] >= nk)
        throw UsageError(fmt::format("subject table: record {} has kind {}, the schema has {} kinds", i, kind[i], kinds));
  }
  std::vector<std::vector<std::int64_t>> decoded(record_columns.size());
  std::vector<std::span<const std::int64_t>> values(record_columns.size());
  std::vector<ColumnCheck> checks;
  for (std::size_t k = 0; k < record_columns.size(); ++k) {
    const FieldDef& f = schema.record_fields[k];
    values[k] = values_of(record_columns[k], decoded[k], kind, f.kinds, unreadable(true, static_cast<std::int32_t>(k)));
    std::uint64_t max_code = UINT64_MAX;
    if (f.type.kind == TypeKind::boolean) max_code = 1;
    if (f.type.kind == TypeKind::enumeration) {
      if (f.type.enum_index < 0 || static_cast<std::size_t>(f.type.enum_index) >= schema.enums.size())
        throw UsageError(fmt::format("field '{}' names enum {} of {}", f.name, f.type.enum_index,
                                     schema.enums.size()));
      max_code = schema.enums[static_cast<std::size_t>(f.type.enum_index)].members.size() - 1;
    }
    if (max_code == UINT64_MAX && (f.kinds & all) == all) continue;
    checks.push_back({values[k].data(), max_code, f.kinds & all});
  }
  for (std::size_t i = 0; i < records; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << (static_cast<std::uint64_t>(kind[i]) & 63);
    for (const ColumnCheck& c : checks) {
      const std::int64_t v = c.values[i];
      bad |= (v != 0) & ((static_cast<std::uint64_t>(v) > c.max_code) | ((c.kinds & bit) == 0));
    }
  }
  if (!bad) {
    for (std::size_t k = 0; k < record_columns.size(); ++k) check_allowed(schema.record_fields[k], values[k], kind, record);
    return;
  }
  for (std::size_t k = 0; k < record_columns.size(); ++k) {
    const FieldDef& f = schema.record_fields[k];
    const auto col = values[k];
    check_codes(schema, f, col, record);
    for (std::size_t i = 0; i < records; ++i)
      if (col[i] != 0 && !((f.kinds >> kind[i]) & 1))
        throw UsageError(fmt::format("subject table: record {} of kind {} holds {} in field '{}', which its kind "
                                     "does not have (must be 0)",
                                     i, kind[i], col[i], f.name));
  }
  throw UsageError("subject table: bad record values");  // not reached
}

std::optional<std::vector<std::int64_t>> offsets_by_id(std::span<const std::int64_t> keys,
                                                       std::span<const std::int64_t> links) {
  // Neither pass branches on the data: how many records a subject has is random.
  const std::size_t n = keys.size(), m = links.size();
  if (m >= UINT32_MAX) return std::nullopt;
  // runs of equal record ids: end[j] is one past the last record of run j
  std::unique_ptr<std::uint32_t[]> end(new std::uint32_t[m + 1]);
  memory::advise_huge(end.get(), (m + 1) * sizeof(std::uint32_t));
  std::size_t runs = 0;
  bool bad = false;
  for (std::size_t r = 0; r < m; ++r) {
    const std::int64_t v = links[r], next = r + 1 < m ? links[r + 1] : v;
    bad |= next < v;
    end[runs] = static_cast<std::uint32_t>(r + 1);
    runs += r + 1 == m || next != v;
  }
  // each subject starts where the first run not yet matched starts
  std::vector<std::int64_t> offsets;
  memory::size_huge(offsets, n + 1);
  std::size_t j = 0;
  for (std::size_t s = 0; s < n; ++s) {
    const std::int64_t key = keys[s];
    bad |= s > 0 && key <= keys[s - 1];
    const bool more = j < runs;
    const std::int64_t run = more ? links[end[j] - 1] : 0;
    bad |= more && run < key;  // a record id between two subject ids
    offsets[s] = j == 0 ? 0 : end[j - 1];
    j += more && run == key;
  }
  offsets[n] = static_cast<std::int64_t>(m);
  if (bad || j != runs) return std::nullopt;
  return offsets;
}

SubjectTableBuilder::SubjectTableBuilder(const Schema& schema) : schema_(&schema) {
  table_.subject_columns.resize(schema.subject_fields.size());
  table_.record_columns.resize(schema.record_fields.size());
}

std::size_t SubjectTableBuilder::add_subject(std::string id, std::vector<std::int64_t> values) {
  if (values.size() != schema_->subject_fields.size())
    throw UsageError(fmt::format("add_subject('{}'): {} values for {} subject fields", id, values.size(),
                                 schema_->subject_fields.size()));
  for (std::size_t k = 0; k < values.size(); ++k) table_.subject_columns[k].values().push_back(values[k]);
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
    table_.record_columns[k].values().push_back(has ? values[k] : 0);
  }
  table_.record_kind.values().push_back(kind);
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
    permute(t.record_kind.values());
    permute(t.record_line);
    for (auto& c : t.record_columns) permute(c.values());
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
