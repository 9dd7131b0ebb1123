// The gradus command line: check rulebooks, score subjects, explain results.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "gradus/gradus.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// Exit codes: 0 done, 1 the rules or the data are wrong, 2 the command line is wrong, 3 a file cannot be read or written.
enum Exit { kOk = 0, kInvalid = 1, kUsage = 2, kIo = 3 };

int run_check(const std::vector<std::string>& files, bool werror) {
  int status = kOk;
  for (const auto& f : files) {
    gradus::Compilation c = gradus::compile_file(f);
    std::vector<std::pair<std::string, gradus::Compilation>> runs;  // the rulebook as declared, then each variant
    if (c.ok())
      for (const auto& v : c.rulebook->variants)
        runs.emplace_back(v.name.text, gradus::compile_file(f, gradus::CheckOptions{v.name.text}));
    runs.emplace(runs.begin(), "", std::move(c));
    for (const auto& [variant, run] : runs) {
      std::string text = run.render();
      if (!text.empty() && !variant.empty()) std::cerr << fmt::format("{} as variant {}:\n", f, variant);
      if (!text.empty() && (variant.empty() || !run.ok())) std::cerr << text;
      bool failed = !run.ok() || (werror && !run.diagnostics.items().empty());
      if (variant.empty() && run.rulebook && !run.rulebook->penalties.empty() && run.checked)
        std::cout << fmt::format("{}: proportionality: proved ({} penalty rules, {} cases)\n", f, run.proof.rules,
                                 run.proof.cases);
      else if (variant.empty() && run.rulebook && !run.rulebook->penalties.empty() && run.proof.rules > 0)
        std::cout << fmt::format("{}: proportionality: counterexample (see the diagnostics)\n", f);
      if (failed) {
        status = kInvalid;
        continue;
      }
      const std::string name = f + (variant.empty() ? "" : " as variant " + variant);
      if (!run.plan) {
        std::cout << fmt::format("{}: ok\n", name);
        continue;
      }
      const gradus::Plan& p = *run.plan;
      std::cout << fmt::format("{}: ok ({} tiers, {} contributions, {} overrides{})\n", name, p.tiers.size(),
                               p.contributions.size(), p.overrides.size(),
                               p.categories.empty() ? "" : fmt::format(", {} categories", p.categories.size()));
    }
  }
  return status;
}

struct ScoreArgs {
  std::string rules, subjects, records, as_of, out, format = "csv", reject, variant, data;
  unsigned threads = 0;
  std::size_t chunk = 2048;
  std::size_t max_errors = 20;
  std::vector<std::string> explain;
  bool timing = false;
  bool no_progress = false;
  bool no_summary = false;
};

/// Evaluation options from the command line; a progress line on a terminal for large runs.
gradus::EvalOptions eval_options(const ScoreArgs& a, std::int64_t as_of, std::size_t subjects, std::mutex& m,
                                 bool& progress) {
  gradus::EvalOptions eo;
  eo.as_of = as_of;
  eo.threads = a.threads;
  eo.chunk_size = a.chunk;
  progress = !a.no_progress && isatty(STDERR_FILENO) && subjects >= 100000;
  if (progress) {
    eo.progress = [&m](std::size_t done, std::size_t total) {
      std::lock_guard<std::mutex> lock(m);
      std::cerr << fmt::format("\rscoring {}/{} subjects ({}%)", done, total, total ? done * 100 / total : 100)
                << std::flush;
    };
  }
  return eo;
}

/// Writes the outcomes to --out or standard output.
template <class Write>
void write_output(const std::string& path, Write write) {
  if (path.empty() || path == "-") {
    write(std::cout);
    std::cout.flush();
    return;
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) throw gradus::IoError(path + ": cannot open for writing");
  write(out);
  out.close();
  if (!out) throw gradus::IoError(path + ": write failed");
}

/// The index of each subject in `ids` (--explain), or nothing when one is missing (reported):
/// found before anything is scored or written.
std::optional<std::vector<std::size_t>> subject_rows(const gradus::SubjectTable& table,
                                                     const std::vector<std::string>& ids) {
  std::vector<std::size_t> rows;
  for (const auto& id : ids) {
    const auto i = table.index_of(id);
    if (!i) {
      std::cerr << fmt::format("gradus: --explain: no subject with id '{}'\n", id);
      return std::nullopt;
    }
    rows.push_back(*i);
  }
  return rows;
}

void report_rejects(const gradus::LoadReport& report, const std::string& reject) {
  if (report.rejected_subjects + report.rejected_records > 0)
    std::cerr << fmt::format("gradus: {} subject rows and {} record rows rejected, written to {}\n",
                             report.rejected_subjects, report.rejected_records, reject);
}

void report_end(const ScoreArgs& a, std::size_t failed, double load_s, double score_s, double write_s) {
  if (failed > 0) std::cerr << fmt::format("gradus: {} subjects could not be scored; see the error column\n", failed);
  if (a.timing) std::cerr << fmt::format("load_s={:.3f} score_s={:.3f} write_s={:.3f}\n", load_s, score_s, write_s);
}

/// A combination rulebook: the combination's subjects from --subjects; each
/// category's data from DIR/<category>/subjects.csv (else --subjects) and
/// DIR/<category>/records.csv, DIR given by --data.
int run_suite(const ScoreArgs& a, const gradus::Plan& plan, std::int64_t as_of, gradus::OutputFormat format) {
  namespace fs = std::filesystem;
  if (!a.records.empty()) {
    std::cerr << fmt::format("gradus score: {} combines categories; their records come from --data DIR, "
                             "not --records\n", a.rules);
    return kUsage;
  }
  auto t0 = Clock::now();
  gradus::LoadOptions lo;
  lo.max_errors = a.max_errors;
  lo.threads = a.threads;
  auto reject_for = [&](const std::string& category) {
    if (a.reject.empty() || category.empty()) return a.reject;
    fs::path p(a.reject);
    return p.replace_filename(p.stem().string() + "." + category + p.extension().string()).string();
  };
  gradus::LoadReport report;
  lo.reject_path = reject_for("");
  gradus::SubjectTable subjects = gradus::load_csv(plan.schema, a.subjects, "", lo, &report);
  report_rejects(report, lo.reject_path);
  std::vector<gradus::SubjectTable> tables;
  for (const auto& cat : plan.categories) {
    const fs::path dir = a.data.empty() ? fs::path() : fs::path(a.data) / cat.name;
    const bool own_subjects = !dir.empty() && fs::exists(dir / "subjects.csv");
    const bool own_records = !dir.empty() && fs::exists(dir / "records.csv");
    if (!own_records && !cat.plan->schema.link_field.empty()) {
      std::cerr << fmt::format("gradus score: category '{}' reads records: put them in {}\n", cat.name,
                               a.data.empty() ? fmt::format("DIR/{}/records.csv and give --data DIR", cat.name)
                                              : (dir / "records.csv").string());
      return kUsage;
    }
    lo.reject_path = reject_for(cat.name);
    tables.push_back(gradus::load_csv(cat.plan->schema, own_subjects ? (dir / "subjects.csv").string() : a.subjects,
                                      own_records ? (dir / "records.csv").string() : "", lo, &report));
    report_rejects(report, lo.reject_path);
  }
  double load_s = seconds_since(t0);
  std::vector<const gradus::SubjectTable*> inputs;
  for (const auto& t : tables) inputs.push_back(&t);

  const auto explain_rows = subject_rows(subjects, a.explain);
  if (!explain_rows) return kUsage;

  std::mutex progress_mutex;
  bool progress = false;
  gradus::EvalOptions eo = eval_options(a, as_of, subjects.subject_count(), progress_mutex, progress);
  auto t1 = Clock::now();
  gradus::SuiteOutcomes so = gradus::evaluate_suite(plan, subjects, inputs, eo);
  double score_s = seconds_since(t1);
  if (progress) std::cerr << "\r\033[K" << std::flush;

  auto t2 = Clock::now();
  write_output(a.out, [&](std::ostream& out) { gradus::write_suite_outcomes(out, plan, so, format); });
  double write_s = seconds_since(t2);

  for (std::size_t i : *explain_rows) {
    gradus::SuiteExplanation x = gradus::explain_suite(plan, so, inputs, i, eo);
    std::cerr << (format == gradus::OutputFormat::jsonl ? x.to_json() + "\n" : x.to_text());
  }
  if (!a.no_summary) {
    std::cerr << gradus::format_summary(gradus::summarize(plan, so.combined, so.overall));
    for (std::size_t k = 0; k < plan.categories.size(); ++k)
      std::cerr << fmt::format("category {}:\n", plan.categories[k].name)
                << gradus::format_summary(gradus::summarize(*plan.categories[k].plan, tables[k], so.categories[k]));
  }
  report_end(a, so.overall.errors.size(), load_s, score_s, write_s);
  return kOk;
}

int run_score(const ScoreArgs& a) {
  auto parsed_date = gradus::date::parse(a.as_of);
  if (!parsed_date) {
    std::cerr << fmt::format("gradus score: --as-of '{}' is not a date (YYYY-MM-DD)\n", a.as_of);
    return kUsage;
  }
  gradus::OutputFormat format = a.format == "jsonl" ? gradus::OutputFormat::jsonl : gradus::OutputFormat::csv;

  gradus::Compilation c = gradus::compile_file(a.rules, gradus::CheckOptions{a.variant});
  std::string diags = c.render();
  if (!c.ok()) {
    std::cerr << diags;
    return kInvalid;
  }
  if (!c.plan) {
    std::cerr << fmt::format("gradus score: {} has no score; its penalty rules run with 'gradus penalty'\n", a.rules);
    return kUsage;
  }
  const gradus::Plan& plan = *c.plan;
  if (!plan.categories.empty()) return run_suite(a, plan, *parsed_date, format);
  if (!a.data.empty()) {
    std::cerr << fmt::format("gradus score: --data is for rulebooks with categories; {} has none\n", a.rules);
    return kUsage;
  }
  if (a.records.empty() && !plan.schema.link_field.empty()) {
    std::cerr << fmt::format("gradus score: {} reads records: give --records FILE\n", a.rules);
    return kUsage;
  }

  auto t0 = Clock::now();
  gradus::LoadOptions lo;
  lo.max_errors = a.max_errors;
  lo.reject_path = a.reject;
  lo.threads = a.threads;
  gradus::LoadReport report;
  gradus::SubjectTable table = gradus::load_csv(plan.schema, a.subjects, a.records, lo, &report);
  double load_s = seconds_since(t0);
  report_rejects(report, a.reject);
  const auto explain_rows = subject_rows(table, a.explain);
  if (!explain_rows) return kUsage;

  std::mutex progress_mutex;
  bool progress = false;
  gradus::EvalOptions eo = eval_options(a, *parsed_date, table.subject_count(), progress_mutex, progress);
  auto t1 = Clock::now();
  gradus::Outcomes outcomes = gradus::evaluate(plan, table, eo);
  double score_s = seconds_since(t1);
  if (progress) std::cerr << "\r\033[K" << std::flush;

  auto t2 = Clock::now();
  write_output(a.out, [&](std::ostream& out) { gradus::write_outcomes(out, plan, table, outcomes, format); });
  double write_s = seconds_since(t2);

  for (std::size_t i : *explain_rows) {
    gradus::Explanation x = gradus::explain(plan, table, i, eo);
    std::cerr << (format == gradus::OutputFormat::jsonl ? x.to_json() + "\n" : x.to_text());
  }
  if (!a.no_summary) std::cerr << gradus::format_summary(gradus::summarize(plan, table, outcomes));
  report_end(a, outcomes.errors.size(), load_s, score_s, write_s);
  return kOk;
}

int run_plan(const std::string& file) {
  gradus::Compilation c = gradus::compile_file(file);
  std::cerr << c.render();
  if (!c.ok()) return kInvalid;
  if (!c.plan) {
    std::cerr << fmt::format("gradus plan: {} has no score to compile\n", file);
    return kUsage;
  }
  std::cout << c.plan->dump();
  return kOk;
}

struct PenaltyArgs {
  std::string rules, breaches, out, format = "csv";
  unsigned threads = 0;
  std::size_t max_errors = 20;
  std::vector<std::string> explain;
  bool timing = false;
};

int run_penalty(const PenaltyArgs& a) {
  gradus::Compilation c = gradus::compile_file(a.rules);
  std::cerr << c.render();
  if (!c.ok()) return kInvalid;
  if (c.rulebook->penalties.empty()) {
    std::cerr << fmt::format("gradus penalty: {} has no penalty rules\n", a.rules);
    return kUsage;
  }
  const gradus::CheckedRulebook& checked = *c.checked;
  auto t0 = Clock::now();
  gradus::BreachTable breaches = gradus::load_breaches(checked, a.breaches, a.max_errors);
  double load_s = seconds_since(t0);
  std::vector<std::size_t> explain_rows;  // found before anything is decided or written
  for (const auto& id : a.explain) {
    auto it = std::find(breaches.ids.begin(), breaches.ids.end(), id);
    if (it == breaches.ids.end()) {
      std::cerr << fmt::format("gradus: --explain: no breach with id '{}'\n", id);
      return kUsage;
    }
    explain_rows.push_back(static_cast<std::size_t>(it - breaches.ids.begin()));
  }
  auto t1 = Clock::now();
  std::vector<gradus::Decision> decisions = gradus::decide(checked, breaches, {static_cast<int>(a.threads)});
  double decide_s = seconds_since(t1);
  auto t2 = Clock::now();
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!a.out.empty() && a.out != "-") {
    file.open(a.out, std::ios::binary);
    if (!file) throw gradus::IoError(a.out + ": cannot open for writing");
    out = &file;
  }
  gradus::write_decisions(*out, checked, breaches, decisions,
                          a.format == "jsonl" ? gradus::OutputFormat::jsonl : gradus::OutputFormat::csv);
  out->flush();
  if (!*out) throw gradus::IoError((a.out.empty() ? std::string("standard output") : a.out) + ": write failed");
  double write_s = seconds_since(t2);
  for (std::size_t row : explain_rows) std::cerr << gradus::explain_decision(checked, breaches, row, decisions[row]);
  std::size_t failed = 0;
  for (const auto& d : decisions) failed += !d.error.empty();
  if (failed) std::cerr << fmt::format("gradus: {} breaches could not be decided; see the error column\n", failed);
  if (a.timing) std::cerr << fmt::format("load_s={:.3f} decide_s={:.3f} write_s={:.3f}\n", load_s, decide_s, write_s);
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("gradus");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);

  CLI::App app{"gradus: credit-graded, category-based supervision rules"};
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log what the library does to stderr");

  std::vector<std::string> check_files;
  bool werror = false;
  auto* check = app.add_subcommand("check", "Check rulebooks and print their diagnostics (exit 1 on errors)");
  check->add_option("files", check_files, "Rulebook files")->required()->check(CLI::ExistingFile);
  check->add_flag("--werror", werror, "Treat warnings as errors");

  ScoreArgs sa;
  auto* score = app.add_subcommand("score", "Score subjects with a rulebook and write one row per subject");
  score->add_option("--rules", sa.rules, "Rulebook file")->required()->check(CLI::ExistingFile);
  score->add_option("--subjects", sa.subjects, "Subjects CSV file")->required()->check(CLI::ExistingFile);
  score->add_option("--records", sa.records, "Records CSV file (when the rulebook reads records)")
      ->check(CLI::ExistingFile);
  score->add_option("--as-of", sa.as_of, "Evaluation date, YYYY-MM-DD (ages and windows count back from it)")
      ->required();
  score->add_option("--out", sa.out, "Output file (default: standard output)");
  score->add_option("--format", sa.format, "Output format")->check(CLI::IsMember({"csv", "jsonl"}));
  score->add_option("--threads", sa.threads, "Threads for loading and scoring (0: one per core)")
      ->check(CLI::Range(0u, 1024u));
  score->add_option("--chunk-size", sa.chunk, "Subjects per evaluation chunk")->check(CLI::Range(1, 1 << 20));
  score->add_option("--explain", sa.explain, "Explain the result of this subject id (repeatable), on stderr");
  score->add_option("--reject", sa.reject, "Write bad data rows here and go on, instead of stopping");
  score->add_option("--max-errors", sa.max_errors, "Data errors listed before stopping")->check(CLI::Range(1, 100000));
  score->add_flag("--timing", sa.timing, "Print load_s=, score_s=, write_s= on stderr");
  score->add_flag("--no-progress", sa.no_progress, "No progress indicator");
  score->add_flag("--no-summary", sa.no_summary, "No summary table on stderr");
  score->add_option("--variant", sa.variant, "Evaluate the rulebook as this variant (its values for constants)");
  score->add_option("--data", sa.data,
                    "Rulebooks with categories: folder with CATEGORY/subjects.csv and CATEGORY/records.csv")
      ->check(CLI::ExistingDirectory);

  std::string plan_file;
  auto* plan = app.add_subcommand("plan", "Print the compiled evaluation plan of a rulebook");
  plan->add_option("file", plan_file, "Rulebook file")->required()->check(CLI::ExistingFile);

  PenaltyArgs pa;
  auto* penalty = app.add_subcommand("penalty", "Decide breaches with a rulebook's penalty rules, one row per breach");
  penalty->add_option("--rules", pa.rules, "Rulebook file")->required()->check(CLI::ExistingFile);
  penalty->add_option("--breaches", pa.breaches, "Breaches CSV file (id, party, date, penalty, inputs)")
      ->required()
      ->check(CLI::ExistingFile);
  penalty->add_option("--out", pa.out, "Output file (default: standard output)");
  penalty->add_option("--format", pa.format, "Output format")->check(CLI::IsMember({"csv", "jsonl"}));
  penalty->add_option("--threads", pa.threads, "Threads (0: one per core)")->check(CLI::Range(0u, 1024u));
  penalty->add_option("--explain", pa.explain, "Explain the decision of this breach id (repeatable), on stderr");
  penalty->add_option("--max-errors", pa.max_errors, "Data errors listed before stopping")
      ->check(CLI::Range(1, 100000));
  penalty->add_flag("--timing", pa.timing, "Print load_s=, decide_s=, write_s= on stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const std::string first = argc > 1 ? argv[1] : "";
    if (!first.empty() && first[0] != '-' && first != "check" && first != "score" && first != "plan") {
      std::cerr << "gradus: unknown command '" << argv[1] << "' (commands: check, score, plan)\n";
      return kUsage;
    }
    int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  if (verbose) spdlog::set_level(spdlog::level::debug);

  try {
    if (*check) return run_check(check_files, werror);
    if (*score) return run_score(sa);
    if (*plan) return run_plan(plan_file);
    if (*penalty) return run_penalty(pa);
  } catch (const gradus::DataError& e) {
    std::cerr << "gradus: " << e.what() << "\n";
    return kInvalid;
  } catch (const gradus::IoError& e) {
    std::cerr << "gradus: " << e.what() << "\n";
    return kIo;
  } catch (const gradus::Error& e) {
    std::cerr << "gradus: " << e.what() << "\n";
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "gradus: internal error: " << e.what() << "\n";
    return 4;
  }
  return kUsage;
}
