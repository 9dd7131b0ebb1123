// Fuzz target: the breaches loader and penalty decisions.
//
// Input: one option byte, then a breaches CSV file. Bits 1..3 of the option
// byte pick one of the statutes under rules/penalties (modulo five); bit 0
// decides with two threads. A load either throws DataError naming the
// problem or gives a table whose every breach gets a decision (or its error),
// the same for one and two threads, which is then explained and written in
// both formats; nothing else is acceptable.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gradus/gradus.hpp"

namespace {

constexpr const char* kStatutes[] = {"administrative_penalty", "food_safety", "tax_administration", "tendering",
                                     "work_safety"};

struct Fixture {
  std::vector<gradus::Compilation> rules;
  std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("gradus_fuzz_breaches_" + std::to_string(::getpid()) + ".csv");
  Fixture() {
    for (const char* name : kStatutes) {
      rules.push_back(gradus::compile_file(std::string(GRADUS_SOURCE_DIR) + "/rules/penalties/" + name + ".gradus"));
      if (!rules.back().ok() || !rules.back().checked) {
        std::fputs(rules.back().render().c_str(), stderr);
        std::abort();
      }
    }
  }
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove(file, ec);
  }
};

bool same(const std::vector<gradus::Decision>& a, const std::vector<gradus::Decision>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].level != b[i].level || a[i].level_item != b[i].level_item || a[i].error != b[i].error ||
        a[i].measures.size() != b[i].measures.size())
      return false;
    for (std::size_t k = 0; k < a[i].measures.size(); ++k) {
      const auto& x = a[i].measures[k];
      const auto& y = b[i].measures[k];
      if (x.sanction != y.sanction || x.low != y.low || x.high != y.high || x.escalation != y.escalation) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  const gradus::CheckedRulebook& checked = *fixture.rules[(options >> 1) % 5].checked;
  std::ofstream(fixture.file, std::ios::binary)
      .write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));

  gradus::BreachTable breaches;
  try {
    breaches = gradus::load_breaches(checked, fixture.file.string());
  } catch (const gradus::DataError&) {
    return 0;  // refused with a message: fine
  }
  const std::vector<gradus::Decision> one = gradus::decide(checked, breaches, {1});
  if (one.size() != breaches.ids.size()) __builtin_trap();  // every breach accounted for
  if (options & 1) {
    if (!same(one, gradus::decide(checked, breaches, {2}))) __builtin_trap();
  }
  for (std::size_t i = 0; i < one.size() && i < 8; ++i) (void)gradus::explain_decision(checked, breaches, i, one[i]);
  std::ostringstream csv, jsonl;
  gradus::write_decisions(csv, checked, breaches, one, gradus::OutputFormat::csv);
  gradus::write_decisions(jsonl, checked, breaches, one, gradus::OutputFormat::jsonl);
  return 0;
}
