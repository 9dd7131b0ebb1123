// Fuzz target: the CSV loaders.
//
// Input: one option byte, then the subjects file, a NUL byte, and the records
// file (without a NUL, the records file is a header only). Option bits:
// 1 quarantine bad rows in a reject file, 2 load with two threads, 4 list at
// most one error. The schema has every data type (the rulebook below). A load
// either throws DataError naming the problem or gives a table that passes
// SubjectTable::validate and evaluates; nothing else is acceptable.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "gradus/gradus.hpp"

namespace {

constexpr std::string_view kRules = R"(rulebook "CSV fuzzing"
enum Sector: food_drug, construction, medical, price
enum Size: micro ("XS"), small, medium ("M"), large ("L")
scale Severity: minor (1) < general (2) < serious (3) < grave (4)

subjects
  id: key
  sector: Sector
  size: Size
  years_active: integer
  rating: decimal
  joined: date
  listed: bool

records
  subject_id: subject
  kind: kind of violation, award, inspection
  severity: Severity for violation
  age_days: days
  amount: money for violation

summary by sector

score
  start at 100
  deduct violations: count(violation where severity >= serious and age_days < 365 days)
  deduct fines: sum(amount over violation) / 1000 yuan
  add awards in bonus: rating * count(award)
  cap bonus at 10
  clamp 0 to 110

tiers
  A [90, inf) requires listed and years_active >= 3 and joined < as_of
  B (-inf, 90)

supervision
  tier A sampling 2%
  tier B sampling 10%
)";

struct Fixture {
  gradus::Compilation rules = gradus::compile_source(gradus::Source("csv.gradus", std::string(kRules)));
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("gradus_fuzz_csv_" + std::to_string(::getpid()));
  Fixture() {
    if (!rules.ok()) {
      std::fputs(rules.render().c_str(), stderr);
      std::abort();
    }
    std::filesystem::create_directories(dir);
  }
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string write(const char* name, std::string_view bytes) const {
    const std::string p = (dir / name).string();
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fx;
  if (size == 0) return 0;
  const unsigned flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t nul = text.find('\0');
  const std::string subjects = fx.write("subjects.csv", text.substr(0, nul));
  const std::string records = fx.write(
      "records.csv", nul == std::string_view::npos ? "subject_id,kind,severity,age_days,amount\n" : text.substr(nul + 1));

  gradus::LoadOptions lo;
  if (flags & 1) lo.reject_path = (fx.dir / "reject.csv").string();
  lo.threads = flags & 2 ? 2 : 1;
  if (flags & 4) lo.max_errors = 1;
  const gradus::Plan& plan = *fx.rules.plan;
  gradus::SubjectTable table;
  gradus::LoadReport report;
  try {
    table = gradus::load_csv(plan.schema, subjects, records, lo, &report);
  } catch (const gradus::DataError& e) {
    if (std::string_view(e.what()).empty()) __builtin_trap();  // an error always says what is wrong
    return 0;
  }
  if (report.subjects != table.subject_count() || report.records != table.record_count()) __builtin_trap();
  table.validate(plan.schema);
  gradus::EvalOptions eo;
  eo.as_of = 20'089;  // 2025-01-01
  const gradus::Outcomes out = gradus::evaluate(plan, table, eo);
  std::ostringstream csv;
  gradus::write_outcomes(csv, plan, table, out, gradus::OutputFormat::csv);
  return 0;
}
