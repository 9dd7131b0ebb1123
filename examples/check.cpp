// Checks rule text given on the command line or a file, printing diagnostics as the CLI does.
//
//   check FILE
#include <iostream>

#include <gradus/gradus.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: check FILE\n";
    return 2;
  }
  try {
    gradus::Source source = gradus::Source::from_file(argv[1]);
    gradus::ParseResult parsed = gradus::parse(source);
    if (!parsed.ok()) {
      std::cerr << gradus::render_all(source, parsed.diagnostics);
      return 1;
    }
    gradus::CheckResult checked = gradus::check(parsed.rulebook);
    std::cerr << gradus::render_all(source, checked.diagnostics);
    if (!checked.ok()) return 1;
    // the resolved schema: what the data files must contain
    const gradus::Schema& schema = checked.checked->schema;
    std::cout << "subjects: " << schema.key_field;
    for (const auto& f : schema.subject_fields) std::cout << "," << f.name;
    std::cout << "\nrecords:  " << schema.link_field;
    if (!schema.kind_field.empty()) std::cout << "," << schema.kind_field;
    for (const auto& f : schema.record_fields) std::cout << "," << f.name;
    std::cout << "\n";
  } catch (const gradus::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
