#include <iostream>

#include <gradus/gradus.hpp>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  gradus::Compilation c = gradus::compile_file(argv[1]);
  if (!c.ok()) {
    std::cerr << c.render();
    return 1;
  }
  std::cout << c.plan->title << ": " << c.plan->tiers.size() << " tiers\n";
  return 0;
}
