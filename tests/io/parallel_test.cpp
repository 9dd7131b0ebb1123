// Parallel loading gives exactly what sequential loading gives: the row
// splitter on its own, then whole loads of generated data at several thread
// counts (quoted ids with commas, quotes and line breaks, CRLF, ungrouped
// records, bad rows).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../../src/io/csv_reader.hpp"
#include "gradus/core/error.hpp"
#include "gradus/io/csv.hpp"
#include "io_test_util.hpp"

namespace gradus {
namespace {

// ------------------------------------------------------------------ split_rows

/// Line of each row start, by a plain sequential RowReader.
std::vector<std::pair<const char*, std::uint64_t>> row_starts(const char* b, const char* e, std::size_t columns) {
  std::vector<std::pair<const char*, std::uint64_t>> out;
  csv::RowReader rr(b, e, columns, 1);
  const char* at = b;
  while (rr.next()) {
    out.emplace_back(at, rr.line());
    at = rr.position();
  }
  return out;
}

TEST(SplitRows, PartsAreWholeRowsWithExactLines) {
  test::TempDir dir;
  std::string text;
  std::mt19937 rng(7);
  for (int i = 0; i < 400; ++i) {
    switch (rng() % 5) {
      case 0: text += "\"multi\nline \"\"quoted\"\"\nfield\",x\n"; break;
      case 1: text += "plain,row\r\n"; break;
      case 2: text += "\"a,b\",\"\"\n"; break;
      case 3: text += "\"\n\n\n\",y\n"; break;
      default: text += std::string(rng() % 50, 'z') + ",w\n";
    }
  }
  csv::FileBuffer file = csv::FileBuffer::read(dir.write("t.csv", text), 1);
  const char* b = file.data();
  const char* e = b + file.size();
  auto starts = row_starts(b, e, 2);
  ASSERT_EQ(starts.size(), 400u);
  for (unsigned parts = 1; parts <= 9; ++parts) {
    std::vector<csv::Part> got = csv::split_rows(b, e, 1, parts, 3, 1);
    ASSERT_FALSE(got.empty());
    EXPECT_LE(got.size(), parts);
    EXPECT_EQ(got.front().begin, b);
    EXPECT_EQ(got.back().end, e);
    std::uint64_t newlines = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      if (i > 0) {
        EXPECT_EQ(got[i].begin, got[i - 1].end);
      }
      auto it = std::find_if(starts.begin(), starts.end(), [&](auto& s) { return s.first == got[i].begin; });
      ASSERT_NE(it, starts.end()) << "part " << i << " of " << parts << " does not start at a row";
      EXPECT_EQ(got[i].first_line, it->second);
      EXPECT_EQ(got[i].newlines, csv::count_bytes(got[i].begin, got[i].end).newlines);
      newlines += got[i].newlines;
    }
    EXPECT_EQ(newlines, csv::count_bytes(b, e).newlines);
  }
}

TEST(SplitRows, RespectsTheMinimumPartSize) {
  test::TempDir dir;
  std::string text;
  for (int i = 0; i < 100; ++i) text += "0123456789\n";  // 1100 bytes
  csv::FileBuffer file = csv::FileBuffer::read(dir.write("t.csv", text), 1);
  EXPECT_EQ(csv::split_rows(file.data(), file.data() + file.size(), 1, 8, 2, 4096).size(), 1u);
  EXPECT_EQ(csv::split_rows(file.data(), file.data() + file.size(), 1, 8, 2, 500).size(), 2u);
}

TEST(CountBytes, CountsNewlinesAndQuotesAtAnyAlignment) {
  std::string s;
  std::mt19937 rng(3);
  for (int i = 0; i < 5000; ++i) s += "ab\n\"x,"[rng() % 6];
  for (std::size_t lo : {0, 1, 7, 15, 16, 17}) {
    for (std::size_t hi : {s.size(), s.size() - 1, s.size() - 13, std::size_t{4100}}) {
      std::uint64_t nl = 0, q = 0;
      for (std::size_t i = lo; i < hi; ++i) nl += s[i] == '\n', q += s[i] == '"';
      csv::ByteCounts c = csv::count_bytes(s.data() + lo, s.data() + hi);
      EXPECT_EQ(c.newlines, nl);
      EXPECT_EQ(c.quotes, q);
    }
  }
}

// ------------------------------------------------------------------ whole loads

struct Generated {
  std::string subjects, records;
  std::vector<std::int64_t> counts;  // records of each subject
};

/// About `n` subjects and 4 records each; `grouped`: records in subject order.
/// `bad`: sprinkle rows with errors.
Generated generate(int n, bool grouped, bool bad, unsigned seed) {
  std::mt19937 rng(seed);
  const char* sectors[] = {"food_drug", "construction", "medical", "price"};
  const char* sizes[] = {"micro", "small", "M", "large", "XS"};
  const char* kinds[] = {"violation", "award", "inspection"};
  Generated g;
  g.subjects = test::kSubjectsHeader;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    std::string id = "S" + std::to_string(i);
    std::string field = id;
    switch (rng() % 12) {
      case 0: id = "co, " + std::to_string(i); field = "\"" + id + "\""; break;
      case 1: id = "say \"" + std::to_string(i) + "\""; field = "\"say \"\"" + std::to_string(i) + "\"\"\""; break;
      case 2: id = "two\nlines " + std::to_string(i); field = "\"" + id + "\""; break;
      default: break;
    }
    ids.push_back(id);
    std::string row = field + "," + sectors[rng() % 4] + "," + sizes[rng() % 5] + "," + std::to_string(rng() % 41) +
                      "," + std::to_string(rng() % 1000) + "." + std::to_string(rng() % 10) + ",2020-0" +
                      std::to_string(1 + rng() % 9) + "-1" + std::to_string(rng() % 10) + "," +
                      (rng() % 2 ? "true" : "0");
    if (bad && rng() % 50 == 0) row = field + ",nowhere,micro,1,1,2020-01-01,true";  // bad sector
    if (bad && rng() % 80 == 0) row = field + ",price,micro";                           // short row
    g.subjects += row + (rng() % 7 == 0 ? "\r\n" : "\n");
  }
  std::vector<std::string> rows;
  for (int i = 0; i < n; ++i) {
    int count = static_cast<int>(rng() % 8);
    g.counts.push_back(count);
    for (int k = 0; k < count; ++k) {
      const std::string& id = ids[static_cast<std::size_t>(i)];
      std::string field = id;
      if (id.find_first_of(",\"\n") != std::string::npos) {
        field = "\"";
        for (char c : id) field += c == '"' ? std::string("\"\"") : std::string(1, c);
        field += "\"";
      }
      unsigned kind = rng() % 3;
      std::string row = field + "," + kinds[kind] + "," + (kind == 0 ? std::to_string(1 + rng() % 4) : "0") + "," +
                        std::to_string(rng() % 2000) + "," +
                        (kind == 0 ? std::to_string(rng() % 100000) + ".5" : std::string("0"));
      if (bad && rng() % 60 == 0) row = field + ",violation,9,1,1";  // bad severity
      if (bad && rng() % 90 == 0) row = "nobody,award,0,1,0";        // unknown subject
      rows.push_back(row + (rng() % 5 == 0 ? "\r\n" : "\n"));
    }
  }
  if (!grouped) std::shuffle(rows.begin(), rows.end(), rng);
  g.records = test::kRecordsHeader;
  for (auto& r : rows) g.records += r;
  return g;
}

void expect_same(const SubjectTable& a, const SubjectTable& b, unsigned threads) {
  EXPECT_EQ(a.ids, b.ids) << "threads " << threads;
  EXPECT_EQ(a.subject_columns, b.subject_columns) << "threads " << threads;
  EXPECT_EQ(a.record_offsets, b.record_offsets) << "threads " << threads;
  EXPECT_EQ(a.record_kind, b.record_kind) << "threads " << threads;
  EXPECT_EQ(a.record_columns, b.record_columns) << "threads " << threads;
  EXPECT_EQ(a.record_line, b.record_line) << "threads " << threads;
}

class ParallelLoad : public ::testing::TestWithParam<bool> {  // param: records grouped
 protected:
  Schema schema = test::test_schema();
  test::TempDir dir;
};

TEST_P(ParallelLoad, EveryThreadCountGivesTheSameTable) {
  Generated g = generate(3000, GetParam(), false, 11);
  std::string sp = dir.write("s.csv", g.subjects), rp = dir.write("r.csv", g.records);
  ASSERT_GT(g.records.size(), 4096u * 8);  // enough for several parts
  LoadOptions one;
  SubjectTable base = load_csv(schema, sp, rp, one);
  ASSERT_EQ(base.subject_count(), 3000u);
  ASSERT_GT(base.record_count(), 8000u);
  EXPECT_NO_THROW(base.validate(schema));
  for (std::size_t i = 0; i < 3000; ++i)
    ASSERT_EQ(base.record_offsets[i + 1] - base.record_offsets[i], g.counts[i]) << "subject " << base.ids[i];
  for (unsigned threads : {2u, 3u, 4u, 7u, 0u}) {
    LoadOptions o;
    o.threads = threads;
    expect_same(base, load_csv(schema, sp, rp, o), threads);
  }
}

TEST_P(ParallelLoad, EveryThreadCountRejectsTheSameRows) {
  Generated g = generate(3000, GetParam(), true, 12);
  std::string sp = dir.write("s.csv", g.subjects), rp = dir.write("r.csv", g.records);
  LoadOptions one;
  one.reject_path = dir.path("rej1.csv");
  LoadReport base_report;
  SubjectTable base = load_csv(schema, sp, rp, one, &base_report);
  const std::string base_rejects = test::read_file(one.reject_path);
  ASSERT_GT(base_report.rejected_subjects, 10u);
  ASSERT_GT(base_report.rejected_records, 10u);
  for (unsigned threads : {2u, 3u, 5u}) {
    LoadOptions o;
    o.threads = threads;
    o.reject_path = dir.path("rej" + std::to_string(threads) + ".csv");
    LoadReport report;
    expect_same(base, load_csv(schema, sp, rp, o, &report), threads);
    EXPECT_EQ(test::read_file(o.reject_path), base_rejects);
    EXPECT_EQ(report.errors, base_report.errors);
    EXPECT_EQ(report.rejected_subjects, base_report.rejected_subjects);
    EXPECT_EQ(report.rejected_records, base_report.rejected_records);
  }
  // and without a reject file, the same first errors
  LoadOptions o1, o2;
  o2.threads = 4;
  std::string e1, e2;
  try {
    load_csv(schema, sp, rp, o1);
  } catch (const DataError& e) {
    e1 = e.what();
  }
  try {
    load_csv(schema, sp, rp, o2);
  } catch (const DataError& e) {
    e2 = e.what();
  }
  EXPECT_FALSE(e1.empty());
  EXPECT_EQ(e1, e2);
}

INSTANTIATE_TEST_SUITE_P(Layouts, ParallelLoad, ::testing::Values(true, false));

TEST(ParallelLoadQuotes, MalformedQuotingGivesTheSameErrorsAtEveryThreadCount) {
  // A stray quote early on flips the quote parity the splitter relies on; the
  // loader must notice and read the file as one part.
  Schema schema = test::test_schema();
  test::TempDir dir;
  Generated g = generate(2000, true, false, 13);
  std::string records = g.records;
  records.insert(records.find('\n', records.size() / 5) + 1, "S1,aw\"ard,0,1,0\n");
  records += "\"S1,award,0,1,0\n";  // never closed
  std::string sp = dir.write("s.csv", g.subjects), rp = dir.write("r.csv", records);
  std::string first;
  for (unsigned threads : {1u, 2u, 3u, 4u}) {
    LoadOptions o;
    o.threads = threads;
    o.reject_path = dir.path("rej.csv");
    LoadReport report;
    load_csv(schema, sp, rp, o, &report);
    std::string rejects = test::read_file(o.reject_path);
    EXPECT_NE(rejects.find("quote inside an unquoted field"), std::string::npos);
    EXPECT_NE(rejects.find("unterminated quoted field"), std::string::npos);
    if (threads == 1) {
      first = rejects;
    } else {
      EXPECT_EQ(rejects, first) << "threads " << threads;
    }
  }
}

}  // namespace
}  // namespace gradus
