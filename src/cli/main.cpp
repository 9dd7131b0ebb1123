// The gradus command line: check rulebooks, score subjects, explain results.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>

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
    std::string text = c.render();
    if (!text.empty()) std::cerr << text;
    bool failed = !c.ok() || (werror && !c.diagnostics.items().empty());
    if (c.rulebook && !c.rulebook->penalties.empty() && c.checked)
      std::cout << fmt::format("{}: proportionality: proved ({} penalty rules, {} cases)\n", f, c.proof.rules,
                               c.proof.cases);
    else if (c.rulebook && !c.rulebook->penalties.empty() && c.proof.rules > 0)
      std::cout << fmt::format("{}: proportionality: counterexample (see the diagnostics)\n", f);
    if (failed) status = kInvalid;
    else if (c.plan)
      std::cout << fmt::format("{}: ok ({} tiers, {} contributions, {} overrides)\n", f, c.plan->tiers.size(),
                               c.plan->contributions.size(), c.plan->overrides.size());
    else
      std::cout << fmt::format("{}: ok\n", f);
  }
  return status;
}

struct ScoreArgs {
  std::string rules, subjects, records, as_of, out, format = "csv", reject;
  unsigned threads = 0;
  std::size_t chunk = 2048;
  std::size_t max_errors = 20;
  std::vector<std::string> explain;
  bool timing = false;
  bool no_progress = false;
  bool no_summary = false;
};

int run_score(const ScoreArgs& a) {
  auto parsed_date = gradus::date::parse(a.as_of);
  if (!parsed_date) {
    std::cerr << fmt::format("gradus score: --as-of '{}' is not a date (YYYY-MM-DD)\n", a.as_of);
    return kUsage;
  }
  gradus::OutputFormat format = a.format == "jsonl" ? gradus::OutputFormat::jsonl : gradus::OutputFormat::csv;

  gradus::Compilation c = gradus::compile_file(a.rules);
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

  auto t0 = Clock::now();
  gradus::LoadOptions lo;
  lo.max_errors = a.max_errors;
  lo.reject_path = a.reject;
  lo.threads = a.threads;
  gradus::LoadReport report;
  gradus::SubjectTable table = gradus::load_csv(plan.schema, a.subjects, a.records, lo, &report);
  double load_s = seconds_since(t0);
  if (report.rejected_subjects + report.rejected_records > 0)
    std::cerr << fmt::format("gradus: {} subject rows and {} record rows rejected, written to {}\n",
                             report.rejected_subjects, report.rejected_records, a.reject);

  gradus::EvalOptions eo;
  eo.as_of = *parsed_date;
  eo.threads = a.threads;
  eo.chunk_size = a.chunk;
  const bool progress = !a.no_progress && isatty(STDERR_FILENO) && table.subject_count() >= 100000;
  std::mutex progress_mutex;
  if (progress) {
    eo.progress = [&](std::size_t done, std::size_t total) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      std::cerr << fmt::format("\rscoring {}/{} subjects ({}%)", done, total, total ? done * 100 / total : 100)
                << std::flush;
    };
  }
  auto t1 = Clock::now();
  gradus::Outcomes outcomes = gradus::evaluate(plan, table, eo);
  double score_s = seconds_since(t1);
  if (progress) std::cerr << "\r\033[K" << std::flush;

  auto t2 = Clock::now();
  if (a.out.empty() || a.out == "-") {
    gradus::write_outcomes(std::cout, plan, table, outcomes, format);
    std::cout.flush();
  } else {
    std::ofstream out(a.out, std::ios::binary);
    if (!out) throw gradus::IoError(a.out + ": cannot open for writing");
    gradus::write_outcomes(out, plan, table, outcomes, format);
    out.close();
    if (!out) throw gradus::IoError(a.out + ": write failed");
  }
  double write_s = seconds_since(t2);

  for (const auto& id : a.explain) {
    auto it = std::find(table.ids.begin(), table.ids.end(), id);
    if (it == table.ids.end()) {
      std::cerr << fmt::format("gradus: --explain: no subject with id '{}'\n", id);
      return kUsage;
    }
    gradus::Explanation x = gradus::explain(plan, table, static_cast<std::size_t>(it - table.ids.begin()), eo);
    std::cerr << (format == gradus::OutputFormat::jsonl ? x.to_json() + "\n" : x.to_text());
  }
  if (!a.no_summary) std::cerr << gradus::format_summary(gradus::summarize(plan, table, outcomes));
  if (!outcomes.errors.empty())
    std::cerr << fmt::format("gradus: {} subjects could not be scored; see the error column\n", outcomes.errors.size());
  if (a.timing) std::cerr << fmt::format("load_s={:.3f} score_s={:.3f} write_s={:.3f}\n", load_s, score_s, write_s);
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
  for (const auto& id : a.explain) {
    auto it = std::find(breaches.ids.begin(), breaches.ids.end(), id);
    if (it == breaches.ids.end()) {
      std::cerr << fmt::format("gradus: --explain: no breach with id '{}'\n", id);
      return kUsage;
    }
    auto row = static_cast<std::size_t>(it - breaches.ids.begin());
    std::cerr << gradus::explain_decision(checked, breaches, row, decisions[row]);
  }
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
  score->add_option("--records", sa.records, "Records CSV file")->required()->check(CLI::ExistingFile);
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
