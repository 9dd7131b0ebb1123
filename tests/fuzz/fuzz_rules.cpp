// Fuzz target: the rule-language front end (parse, print, check, compile).
//
// Any byte string is rule text. Nothing may crash, hang or read out of
// bounds; the AST printer must cope with whatever the parser recovered, and
// rendering the diagnostics and the plan listing must work for whatever the
// front end (compile_source: check, the penalty prover, compile) accepted.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gradus/gradus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gradus::Source source("fuzz.gradus", std::string(reinterpret_cast<const char*>(data), size));
  (void)gradus::print(gradus::parse(source).rulebook);
  const gradus::Compilation c = gradus::compile_source(std::move(source));
  (void)c.render();
  if (c.plan) (void)c.plan->dump();
  return 0;
}
