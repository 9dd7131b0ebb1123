// Fuzz target: the rule-language front end (parse, print, check, compile).
//
// Any byte string is rule text. Nothing may crash, hang or read out of
// bounds; rendering the diagnostics and the plan listing must work for
// whatever was accepted.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gradus/gradus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto source = std::make_shared<const gradus::Source>(
      "fuzz.gradus", std::string(reinterpret_cast<const char*>(data), size));
  gradus::ParseResult parsed = gradus::parse(*source);
  (void)gradus::print(parsed.rulebook);  // printing must cope with whatever was recovered
  gradus::Diagnostics diags = std::move(parsed.diagnostics);
  if (!diags.has_errors()) {
    gradus::CheckResult checked = gradus::check(parsed.rulebook);
    for (auto& d : checked.diagnostics.items()) diags.add(std::move(d));
    if (checked.ok()) {
      const gradus::Plan plan = gradus::compile(*checked.checked, source);
      (void)plan.dump();
    }
  }
  diags.sort();
  (void)gradus::render_all(*source, diags);
  return 0;
}
