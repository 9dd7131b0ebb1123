#include "gradus/check/schema.hpp"

namespace gradus {

std::optional<std::int32_t> EnumType::code_of(std::string_view text) const {
  // Names first, so a label that happens to spell another member's name
  // cannot shadow that member.
  for (std::size_t i = 0; i < members.size(); ++i)
    if (members[i] == text) return static_cast<std::int32_t>(i);
  for (std::size_t i = 0; i < labels.size() && i < members.size(); ++i)
    if (!labels[i].empty() && labels[i] == text) return static_cast<std::int32_t>(i);
  return std::nullopt;
}

std::string Schema::type_name(Type t) const {
  switch (t.kind) {
    case TypeKind::error: return "error";
    case TypeKind::integer: return "integer";
    case TypeKind::decimal: return "decimal";
    case TypeKind::money: return "money";
    case TypeKind::days: return "days";
    case TypeKind::period: return "period";
    case TypeKind::boolean: return "bool";
    case TypeKind::date: return "date";
    case TypeKind::enumeration:
      if (t.enum_index >= 0 && static_cast<std::size_t>(t.enum_index) < enums.size())
        return enums[static_cast<std::size_t>(t.enum_index)].name;
      return "enumeration";
    case TypeKind::string: return "string";
    case TypeKind::kind: return "kind";
  }
  return "error";
}

namespace {
int find_field(const std::vector<FieldDef>& fields, std::string_view name) {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == name) return static_cast<int>(i);
  return -1;
}
}  // namespace

int Schema::subject_field(std::string_view name) const { return find_field(subject_fields, name); }

int Schema::record_field(std::string_view name) const { return find_field(record_fields, name); }
int Schema::breach_field(std::string_view name) const { return find_field(breach_fields, name); }

int Schema::kind_index(std::string_view name) const {
  for (std::size_t i = 0; i < kinds.size(); ++i)
    if (kinds[i] == name) return static_cast<int>(i);
  return -1;
}

}  // namespace gradus
