// The resolved schema of a rulebook: types, enumerations, subject and record
// fields. Produced by the checker, consumed by the loaders and the engine.
//
// Runtime representation of each type (one int64 per value, see decimal.hpp):
//   integer, decimal, money, days   millionths (1.5 -> 1'500'000; 3 -> 3'000'000)
//   bool                            0 or 1
//   date                            days since 1970-01-01
//   enumeration / scale             member index, 0-based in declaration order
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradus/core/source.hpp"

namespace gradus {

enum class TypeKind : std::uint8_t {
  error,        // a type that could not be determined; suppresses follow-on diagnostics
  integer,      // whole number
  decimal,      // number with up to 6 decimals
  money,        // yuan, with up to 6 decimals
  days,         // a duration in days
  period,       // a calendar period (months, years): only in date arithmetic and `within`
  boolean,      // true / false
  date,         // a calendar day
  enumeration,  // a member of an enum or scale (Type::enum_index says which)
  string,       // a string literal (labels only; not a data type)
  kind,         // a record kind (the records' kind column)
};

struct Type {
  TypeKind kind = TypeKind::error;
  std::int32_t enum_index = -1;  // into Schema::enums when kind == enumeration

  static Type of(TypeKind k) { return {k, -1}; }
  static Type enumeration_of(std::int32_t e) { return {TypeKind::enumeration, e}; }
  bool is_numeric() const {
    return kind == TypeKind::integer || kind == TypeKind::decimal || kind == TypeKind::money ||
           kind == TypeKind::days;
  }
  friend bool operator==(const Type&, const Type&) = default;
};

/// An enum or a scale (ordered enum). Members are codes 0..n-1.
struct EnumType {
  std::string name;
  bool ordered = false;                 // scale: members compare by position
  std::vector<std::string> members;     // names, in declaration order (lowest first for scales)
  std::vector<std::string> labels;      // text accepted in data for each member; empty = name only
  Span span;

  /// Code of a data value: a member name or its label, matched exactly.
  std::optional<std::int32_t> code_of(std::string_view text) const;
};

/// A subject or record field.
struct FieldDef {
  std::string name;
  Type type;
  std::uint64_t kinds = ~0ull;  // record fields: bit k set when kind k has this field
  Span span;
  std::vector<std::int64_t> allowed;  // `in {0, 5, 10}`: the only values data may hold, ascending; empty: any
};

/// Everything the loaders need to read data for a rulebook.
struct Schema {
  std::vector<EnumType> enums;
  std::string key_field;                 // subjects: the column holding each subject's id
  std::vector<FieldDef> subject_fields;  // subjects: every other column, in declaration order
  std::string link_field;                // records: the column holding the subject id
  std::string kind_field;                // records: the column holding the kind; empty if none declared
  std::vector<std::string> kinds;        // record kinds; one implicit kind "record" if none declared
  std::vector<FieldDef> record_fields;   // records: every other column, in declaration order
  std::vector<FieldDef> breach_fields;   // breaches (rules/PENALTIES.md): the declared inputs
  std::vector<std::int8_t> breach_order; // per breach field: +1 increasing, -1 decreasing, 0 none

  std::string type_name(Type t) const;
  /// Index into subject_fields / record_fields, or -1.
  int subject_field(std::string_view name) const;
  int record_field(std::string_view name) const;
  int breach_field(std::string_view name) const;
  int kind_index(std::string_view name) const;
};

}  // namespace gradus
