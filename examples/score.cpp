// Scores a data set with a rulebook through the C++ API and explains one subject.
//
//   score RULES SUBJECTS RECORDS AS_OF [SUBJECT_ID]
#include <iostream>

#include <gradus/gradus.hpp>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: score RULES SUBJECTS RECORDS AS_OF [SUBJECT_ID]\n";
    return 2;
  }
  try {
    // parse, check and compile; rule mistakes come back as diagnostics, not exceptions
    gradus::Compilation rules = gradus::compile_file(argv[1]);
    if (!rules.ok()) {
      std::cerr << rules.render();
      return 1;
    }
    auto as_of = gradus::date::parse(argv[4]);
    if (!as_of) {
      std::cerr << "not a date: " << argv[4] << "\n";
      return 2;
    }
    gradus::SubjectTable data = gradus::load_csv(rules.plan->schema, argv[2], argv[3], {});
    gradus::EvalOptions options;
    options.as_of = *as_of;
    options.threads = 0;  // one per core
    gradus::Outcomes outcomes = gradus::evaluate(*rules.plan, data, options);
    gradus::write_outcomes(std::cout, *rules.plan, data, outcomes, gradus::OutputFormat::csv);
    std::cerr << gradus::format_summary(gradus::summarize(*rules.plan, data, outcomes));
    if (argc > 5) {
      for (std::size_t i = 0; i < data.subject_count(); ++i)
        if (data.ids[i] == argv[5]) std::cerr << gradus::explain(*rules.plan, data, i, options).to_text();
    }
  } catch (const gradus::Error& e) {  // I/O and data errors
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
