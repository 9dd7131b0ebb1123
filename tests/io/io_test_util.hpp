// Helpers shared by the I/O tests: a hand-built schema and temporary files.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gradus/check/schema.hpp"

namespace gradus::test {

/// A W1-like schema with every data type:
///   subjects: id (key), sector: Sector, size: Size, years_active: integer,
///             rating: decimal, joined: date, listed: bool
///   records:  subject_id, kind of violation | award | inspection,
///             severity: Severity (violation only), age_days: days,
///             amount: money (violation only)
inline Schema test_schema() {
  Schema s;
  EnumType sector;
  sector.name = "Sector";
  sector.members = {"food_drug", "construction", "medical", "price"};
  EnumType size;
  size.name = "Size";
  size.members = {"micro", "small", "medium", "large"};
  size.labels = {"XS", "", "M", "L"};
  EnumType severity;
  severity.name = "Severity";
  severity.ordered = true;
  severity.members = {"minor", "general", "serious", "grave"};
  severity.labels = {"1", "2", "3", "4"};
  s.enums = {sector, size, severity};

  auto field = [](std::string name, Type t, std::uint64_t kinds = ~0ull) {
    FieldDef f;
    f.name = std::move(name);
    f.type = t;
    f.kinds = kinds;
    return f;
  };
  s.key_field = "id";
  s.subject_fields = {field("sector", Type::enumeration_of(0)),    field("size", Type::enumeration_of(1)),
                      field("years_active", Type::of(TypeKind::integer)), field("rating", Type::of(TypeKind::decimal)),
                      field("joined", Type::of(TypeKind::date)),         field("listed", Type::of(TypeKind::boolean))};
  s.link_field = "subject_id";
  s.kind_field = "kind";
  s.kinds = {"violation", "award", "inspection"};
  s.record_fields = {field("severity", Type::enumeration_of(2), 1ull), field("age_days", Type::of(TypeKind::days)),
                     field("amount", Type::of(TypeKind::money), 1ull)};
  return s;
}

inline const char* kSubjectsHeader = "id,sector,size,years_active,rating,joined,listed\n";
inline const char* kRecordsHeader = "subject_id,kind,severity,age_days,amount\n";

/// A directory under the system temp dir, removed with its contents at the end.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("gradus_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// Writes `text` (bytes as given) to `name` and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = path(name);
    std::ofstream f(p, std::ios::binary);
    f << text;
    return p;
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace gradus::test
