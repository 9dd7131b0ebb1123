// load_csv: the CSV dialect, values of every type, errors, rejects, grouping.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gradus/core/date.hpp"
#include "gradus/core/error.hpp"
#include "gradus/io/csv.hpp"
#include "io_test_util.hpp"

namespace gradus {
namespace {

using test::kRecordsHeader;
using test::kSubjectsHeader;

constexpr std::int64_t M = 1'000'000;  // one, scaled

class LoadTest : public ::testing::Test {
 protected:
  Schema schema = test::test_schema();
  test::TempDir dir;

  SubjectTable load(const std::string& subjects, const std::string& records, LoadOptions options = {},
                    LoadReport* report = nullptr) {
    return load_csv(schema, dir.write("subjects.csv", subjects), dir.write("records.csv", records), options, report);
  }
  /// The DataError message of a load that must fail.
  std::string load_error(const std::string& subjects, const std::string& records, LoadOptions options = {}) {
    try {
      load(subjects, records, options);
    } catch (const DataError& e) {
      return e.what();
    }
    ADD_FAILURE() << "the load did not fail";
    return {};
  }
  std::string sp() const { return dir.path("subjects.csv"); }
  std::string rp() const { return dir.path("records.csv"); }
};

const std::string kTwoSubjects = std::string(kSubjectsHeader) +
                                 "s1,food_drug,micro,3,1.5,2020-02-29,true\n"
                                 "s2,price,L,0,-0.25,1970-01-01,0\n";

// ------------------------------------------------------------------ basics

TEST_F(LoadTest, LoadsEveryTypeInRuntimeRepresentation) {
  LoadReport report;
  SubjectTable t = load(kTwoSubjects,
                        std::string(kRecordsHeader) +
                            "s1,violation,3,10,250.75\n"
                            "s1,award,0,400,0\n"
                            "s2,inspection,,2.5,\n",
                        {}, &report);
  ASSERT_EQ(t.subject_count(), 2u);
  EXPECT_EQ(t.ids, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(t.subject_columns[0], (std::vector<std::int64_t>{0, 3}));  // sector codes
  EXPECT_EQ(t.subject_columns[1], (std::vector<std::int64_t>{0, 3}));  // size: name, then label "L"
  EXPECT_EQ(t.subject_columns[2], (std::vector<std::int64_t>{3 * M, 0}));
  EXPECT_EQ(t.subject_columns[3], (std::vector<std::int64_t>{1'500'000, -250'000}));
  EXPECT_EQ(t.subject_columns[4], (std::vector<std::int64_t>{*date::parse("2020-02-29"), 0}));
  EXPECT_EQ(t.subject_columns[5], (std::vector<std::int64_t>{1, 0}));

  EXPECT_EQ(t.record_offsets, (std::vector<std::int64_t>{0, 2, 3}));
  EXPECT_EQ(t.record_kind, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(t.record_columns[0], (std::vector<std::int64_t>{2, 0, 0}));  // severity "3" = serious (label)
  EXPECT_EQ(t.record_columns[1], (std::vector<std::int64_t>{10 * M, 400 * M, 2'500'000}));
  EXPECT_EQ(t.record_columns[2], (std::vector<std::int64_t>{250'750'000, 0, 0}));
  EXPECT_EQ(t.record_line, (std::vector<std::uint32_t>{2, 3, 4}));
  EXPECT_EQ(t.records_source, rp());
  EXPECT_NO_THROW(t.validate(schema));

  EXPECT_EQ(report.subjects, 2u);
  EXPECT_EQ(report.records, 3u);
  EXPECT_EQ(report.rejected_subjects, 0u);
  EXPECT_EQ(report.rejected_records, 0u);
  EXPECT_TRUE(report.errors.empty());
}

TEST_F(LoadTest, FixtureFilesLoad) {
  LoadOptions o;
  SubjectTable t = load_csv(schema, std::string(GRADUS_SOURCE_DIR) + "/tests/io/data/subjects.csv",
                            std::string(GRADUS_SOURCE_DIR) + "/tests/io/data/records.csv", o);
  ASSERT_EQ(t.subject_count(), 4u);
  EXPECT_EQ(t.ids[2], "acme, \"north\"");  // quoted id with a comma and quotes
  EXPECT_EQ(t.record_count(), 7u);
  // records of each subject in file order; the records file lists them out of subject order
  EXPECT_EQ(t.record_offsets, (std::vector<std::int64_t>{0, 3, 3, 5, 7}));
  EXPECT_EQ(t.record_line, (std::vector<std::uint32_t>{2, 4, 8, 5, 6, 3, 7}));
  EXPECT_NO_THROW(t.validate(schema));
}

TEST_F(LoadTest, HeaderOnlyFilesGiveAnEmptyTable) {
  SubjectTable t = load(kSubjectsHeader, kRecordsHeader);
  EXPECT_EQ(t.subject_count(), 0u);
  EXPECT_EQ(t.record_count(), 0u);
  EXPECT_EQ(t.record_offsets, (std::vector<std::int64_t>{0}));
}

TEST_F(LoadTest, SubjectsWithoutRecordsGetEmptyRanges) {
  SubjectTable t = load(std::string(kSubjectsHeader) +
                            "a,price,micro,1,0,2020-01-01,true\n"
                            "b,price,micro,1,0,2020-01-01,true\n"
                            "c,price,micro,1,0,2020-01-01,true\n",
                        std::string(kRecordsHeader) + "c,award,,1,\n");
  EXPECT_EQ(t.record_offsets, (std::vector<std::int64_t>{0, 0, 0, 1}));
}

// ------------------------------------------------------------------ CSV dialect

TEST_F(LoadTest, EmptyQuotedIdIsAnEmptyId) {
  std::string e = load_error(kTwoSubjects + "\"\",price,micro,1,0,2020-01-01,true\n", kRecordsHeader);
  EXPECT_EQ(e, sp() + ":4: field 'id': empty id\n1 error in the data");
}

TEST_F(LoadTest, QuotedFieldsLoadExactly) {
  SubjectTable t = load(std::string(kSubjectsHeader) +
                            "\"a,b\",price,micro,1,0,2020-01-01,true\n"
                            "\"say \"\"hi\"\"\",\"price\",micro,1,0,2020-01-01,true\n"
                            "\"two\nlines\",price,micro,1,0,2020-01-01,true\n",
                        std::string(kRecordsHeader) +
                            "\"a,b\",award,,1,\n"
                            "\"two\nlines\",\"violation\",\"1\",\"2\",\"3\"\n"
                            "\"say \"\"hi\"\"\",award,,3,\n");
  EXPECT_EQ(t.ids, (std::vector<std::string>{"a,b", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(t.record_offsets, (std::vector<std::int64_t>{0, 1, 2, 3}));
  // the quoted line break moves every later line number by one
  EXPECT_EQ(t.record_line, (std::vector<std::uint32_t>{2, 5, 3}));
  EXPECT_EQ(t.record_columns[2][2], 3 * M);
}

TEST_F(LoadTest, CrlfLineEnds) {
  SubjectTable t = load("id,sector,size,years_active,rating,joined,listed\r\n"
                        "s1,food_drug,micro,3,1.5,2020-02-29,true\r\n"
                        "\"s\r\n2\",price,L,0,-0.25,1970-01-01,0\r\n",
                        "subject_id,kind,severity,age_days,amount\r\n"
                        "s1,violation,3,10,250.75\r\n"
                        "\"s\r\n2\",award,0,400,0\r\n");
  EXPECT_EQ(t.ids, (std::vector<std::string>{"s1", "s\r\n2"}));
  EXPECT_EQ(t.subject_columns[5], (std::vector<std::int64_t>{1, 0}));  // not "0\r"
  EXPECT_EQ(t.record_columns[2], (std::vector<std::int64_t>{250'750'000, 0}));
  EXPECT_EQ(t.record_line, (std::vector<std::uint32_t>{2, 3}));
}

TEST_F(LoadTest, ByteOrderMarkIsSkipped) {
  SubjectTable t = load("\xEF\xBB\xBF" + kTwoSubjects, "\xEF\xBB\xBF" + std::string(kRecordsHeader) + "s2,award,,1,\n");
  EXPECT_EQ(t.ids[0], "s1");
  EXPECT_EQ(t.record_offsets, (std::vector<std::int64_t>{0, 0, 1}));
}

TEST_F(LoadTest, FinalLineMayLackItsLineBreak) {
  SubjectTable t = load(std::string(kSubjectsHeader) + "s1,food_drug,micro,3,1.5,2020-02-29,true",
                        std::string(kRecordsHeader) + "s1,violation,4,7,12");
  EXPECT_EQ(t.subject_columns[5], (std::vector<std::int64_t>{1}));
  EXPECT_EQ(t.record_columns[0], (std::vector<std::int64_t>{3}));
  EXPECT_EQ(t.record_columns[2], (std::vector<std::int64_t>{12 * M}));
}

TEST_F(LoadTest, EmptyLinesAtTheEndAreIgnored) {
  SubjectTable t = load(kTwoSubjects + "\n\n", std::string(kRecordsHeader) + "s1,award,,1,\n\r\n\n");
  EXPECT_EQ(t.subject_count(), 2u);
  EXPECT_EQ(t.record_count(), 1u);
}

TEST_F(LoadTest, EmptyLineInTheMiddleIsAnError) {
  std::string e = load_error(kTwoSubjects, std::string(kRecordsHeader) + "s1,award,,1,\n\ns2,award,,1,\n");
  EXPECT_NE(e.find(rp() + ":3: empty line"), std::string::npos) << e;
}

TEST_F(LoadTest, ExtraColumnsAreIgnoredAndColumnsMayComeInAnyOrder) {
  SubjectTable t = load("listed,note,id,joined,rating,years_active,size,sector\n"
                        "true,\"x, y\",s1,2020-02-29,1.5,3,micro,food_drug\n",
                        "amount,age_days,severity,kind,subject_id,extra\n"
                        "5,6,2,violation,s1,whatever\n");
  EXPECT_EQ(t.ids, (std::vector<std::string>{"s1"}));
  EXPECT_EQ(t.subject_columns[2], (std::vector<std::int64_t>{3 * M}));
  EXPECT_EQ(t.record_columns[0], (std::vector<std::int64_t>{1}));
  EXPECT_EQ(t.record_columns[1], (std::vector<std::int64_t>{6 * M}));
  EXPECT_EQ(t.record_columns[2], (std::vector<std::int64_t>{5 * M}));
}

TEST_F(LoadTest, MissingColumnNamesFileAndColumn) {
  std::string e = load_error("id,sector,size,years_active,rating,joined\n", kRecordsHeader);
  EXPECT_EQ(e, sp() + ": missing column 'listed'");
  e = load_error(kTwoSubjects, "subject_id,kind,severity,age_day,amount\n");
  EXPECT_EQ(e, rp() + ": missing column 'age_days' (did you mean 'age_day'?)");
}

TEST_F(LoadTest, DuplicateHeaderIsAnError) {
  std::string e = load_error("id,sector,size,years_active,rating,joined,listed,size\n", kRecordsHeader);
  EXPECT_EQ(e, sp() + ": duplicate column 'size' (columns 3 and 8)");
}

TEST_F(LoadTest, WrongFieldCount) {
  std::string e = load_error(kTwoSubjects, std::string(kRecordsHeader) + "s1,award,,1\ns1,award,,1,,\n");
  EXPECT_NE(e.find(rp() + ":2: expected 5 fields, found 4\n"), std::string::npos) << e;
  EXPECT_NE(e.find(rp() + ":3: expected 5 fields, found 6\n"), std::string::npos) << e;
}

TEST_F(LoadTest, EmptyFileIsAnError) {
  EXPECT_EQ(load_error("", kRecordsHeader), sp() + ": empty file, expected a header line");
}

TEST_F(LoadTest, MissingFileIsAnIoError) {
  LoadOptions o;
  EXPECT_THROW(load_csv(schema, dir.path("nope.csv"), dir.write("records.csv", kRecordsHeader), o), IoError);
}

TEST_F(LoadTest, MalformedQuotesAreErrors) {
  std::string e = load_error(kTwoSubjects, std::string(kRecordsHeader) +
                                               "s1,aw\"ard,,1,\n"
                                               "\"s1\"x,award,,1,\n"
                                               "s1,award,,1,\"5\n");
  EXPECT_NE(e.find(rp() + ":2: quote inside an unquoted field"), std::string::npos) << e;
  EXPECT_NE(e.find(rp() + ":3: text after the closing quote of a quoted field"), std::string::npos) << e;
  EXPECT_NE(e.find(rp() + ":4: unterminated quoted field"), std::string::npos) << e;
}

// ------------------------------------------------------------------ values

struct ValueCase {
  const char* column;  // subject column to replace in "s1,food_drug,micro,3,1.5,2020-02-29,true"
  const char* text;    // CSV text of the field
  std::int64_t value;  // expected value when `error` is empty
  const char* error;   // expected message after "<file>:2: field '<column>': "
};

class ValueTest : public LoadTest, public ::testing::WithParamInterface<ValueCase> {};

TEST_P(ValueTest, ParsesOrExplains) {
  const ValueCase& c = GetParam();
  const std::vector<std::string> names = {"id", "sector", "size", "years_active", "rating", "joined", "listed"};
  std::vector<std::string> values = {"s1", "food_drug", "micro", "3", "1.5", "2020-02-29", "true"};
  std::size_t col = 0;
  while (names[col] != c.column) ++col;
  values[col] = c.text;
  std::string row;
  for (std::size_t i = 0; i < values.size(); ++i) row += (i ? "," : "") + values[i];
  std::string subjects = std::string(kSubjectsHeader) + row + "\n";
  if (std::string(c.error).empty()) {
    SubjectTable t = load(subjects, kRecordsHeader);
    ASSERT_EQ(t.subject_count(), 1u);
    EXPECT_EQ(t.subject_columns[col - 1][0], c.value);
  } else {
    std::string e = load_error(subjects, kRecordsHeader);
    EXPECT_EQ(e, sp() + ":2: field '" + c.column + "': " + c.error + "\n1 error in the data");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Values, ValueTest,
    ::testing::Values(
        ValueCase{"years_active", "0", 0, ""}, ValueCase{"years_active", "-12", -12 * M, ""},
        ValueCase{"years_active", "+7", 7 * M, ""}, ValueCase{"years_active", "3.000", 3 * M, ""},
        ValueCase{"years_active", "0012", 12 * M, ""},
        ValueCase{"years_active", "123456789", 123456789 * M, ""},
        ValueCase{"years_active", "9223372036854", 9223372036854 * M, ""},
        ValueCase{"years_active", "3.5", 0, "not a whole number (value '3.5')"},
        ValueCase{"years_active", " 3", 0, "leading or trailing space (value ' 3')"},
        ValueCase{"years_active", "3 ", 0, "leading or trailing space (value '3 ')"},
        ValueCase{"years_active", "1e3", 0, "not a number (value '1e3')"},
        ValueCase{"years_active", "NaN", 0, "not a number (value 'NaN')"},
        ValueCase{"years_active", "\"1,000\"", 0, "not a number (value '1,000')"},
        ValueCase{"years_active", "", 0, "empty value"},
        ValueCase{"years_active", "9223372036855", 0, "out of range (value '9223372036855')"},
        ValueCase{"rating", "0.000001", 1, ""}, ValueCase{"rating", "-0.5", -500'000, ""},
        ValueCase{"rating", ".5", 500'000, ""}, ValueCase{"rating", "7.", 7 * M, ""},
        ValueCase{"rating", "1.2500000", 1'250'000, ""},
        ValueCase{"rating", "-9223372036854.775808", INT64_MIN, ""},
        ValueCase{"rating", "9223372036854.775807", INT64_MAX, ""},
        ValueCase{"rating", "9223372036854.775808", 0, "out of range (value '9223372036854.775808')"},
        ValueCase{"rating", "1.0000001", 0, "more than 6 decimals (value '1.0000001')"},
        ValueCase{"rating", "inf", 0, "not a number (value 'inf')"},
        ValueCase{"rating", "-", 0, "not a number (value '-')"},
        ValueCase{"rating", ".", 0, "not a number (value '.')"},
        ValueCase{"rating", "1.5e2", 0, "not a number (value '1.5e2')"},
        ValueCase{"rating", "0x10", 0, "not a number (value '0x10')"},
        ValueCase{"joined", "1999-12-31", 10956, ""}, ValueCase{"joined", "2024-02-29", 19782, ""},
        ValueCase{"joined", "2023-02-29", 0, "no such date (value '2023-02-29')"},
        ValueCase{"joined", "2023/01/01", 0, "not a date (YYYY-MM-DD) (value '2023/01/01')"},
        ValueCase{"joined", "2023-1-1", 0, "not a date (YYYY-MM-DD) (value '2023-1-1')"},
        ValueCase{"listed", "false", 0, ""}, ValueCase{"listed", "1", 1, ""}, ValueCase{"listed", "0", 0, ""},
        ValueCase{"listed", "True", 0, "not a bool (true, false, 1 or 0) (value 'True')"},
        ValueCase{"listed", "yes", 0, "not a bool (true, false, 1 or 0) (value 'yes')"},
        ValueCase{"sector", "medical", 2, ""},
        ValueCase{"sector", "medicl", 0, "unknown Sector 'medicl' (did you mean 'medical'?)"},
        ValueCase{"sector", "Medical", 0, "unknown Sector 'Medical' (did you mean 'medical'?)"},
        ValueCase{"sector", "zzz", 0, "unknown Sector 'zzz'"},
        ValueCase{"size", "XS", 0, ""}, ValueCase{"size", "medium", 2, ""}, ValueCase{"size", "M", 2, ""},
        ValueCase{"size", "S", 0, "unknown Size 'S'"},
        ValueCase{"size", "smal", 0, "unknown Size 'smal' (did you mean 'small'?)"}),
    // stable names (the case's position) so CTest can find each case again
    [](const ::testing::TestParamInfo<ValueCase>& info) { return "case" + std::to_string(info.index); });

TEST_F(LoadTest, KindSpecificFieldsAreNotReadForOtherKinds) {
  // W1 writes 0 for severity and amount on rows that are not violations.
  SubjectTable t = load(kTwoSubjects, std::string(kRecordsHeader) +
                                          "s1,award,0,1,0\n"
                                          "s1,inspection,garbage,2,not money\n"
                                          "s1,violation,grave,3,1.5\n");
  EXPECT_EQ(t.record_columns[0], (std::vector<std::int64_t>{0, 0, 3}));
  EXPECT_EQ(t.record_columns[2], (std::vector<std::int64_t>{0, 0, 1'500'000}));
  // ... but a violation's severity is read and checked
  std::string e = load_error(kTwoSubjects, std::string(kRecordsHeader) + "s1,violation,0,1,0\n");
  EXPECT_EQ(e, rp() + ":2: field 'severity': unknown Severity '0'\n1 error in the data");
}

TEST_F(LoadTest, UnknownKindSuggestsTheClosest) {
  std::string records = std::string(kRecordsHeader);
  for (int i = 0; i < 15; ++i) records += "s1,award,,1,\n";
  records += "s1,violaton,1,1,1\n";  // line 17
  std::string e = load_error(kTwoSubjects, records);
  EXPECT_EQ(e, rp() + ":17: field 'kind': unknown kind 'violaton' (did you mean 'violation'?)\n1 error in the data");
}

TEST_F(LoadTest, NoKindFieldMeansKindZero) {
  schema.kind_field.clear();
  schema.kinds = {"record"};
  for (auto& f : schema.record_fields) f.kinds = ~0ull;
  SubjectTable t = load(kTwoSubjects, "subject_id,severity,age_days,amount\ns2,grave,1,2\n");
  EXPECT_EQ(t.record_kind, (std::vector<std::int64_t>{0}));
  EXPECT_EQ(t.record_columns[0], (std::vector<std::int64_t>{3}));
}

// ------------------------------------------------------------------ subjects and records

TEST_F(LoadTest, DuplicateSubjectIdNamesBothLines) {
  std::string e = load_error(kTwoSubjects + "s3,price,micro,1,0,2020-01-01,true\ns1,price,micro,1,0,2020-01-01,true\n",
                             kRecordsHeader);
  EXPECT_EQ(e, sp() + ":5: field 'id': duplicate id 's1' (first at line 2)\n1 error in the data");
}

TEST_F(LoadTest, EmptySubjectIdIsAnError) {
  std::string e = load_error(kTwoSubjects + ",price,micro,1,0,2020-01-01,true\n", kRecordsHeader);
  EXPECT_EQ(e, sp() + ":4: field 'id': empty id\n1 error in the data");
}

TEST_F(LoadTest, RecordForUnknownSubject) {
  std::string e = load_error(kTwoSubjects, std::string(kRecordsHeader) + "s1,award,,1,\nx9,award,,1,\n");
  EXPECT_EQ(e, rp() + ":3: field 'subject_id': unknown subject id 'x9'\n1 error in the data");
}

TEST_F(LoadTest, UngroupedRecordsAreGroupedKeepingFileOrder) {
  std::string subjects = std::string(kSubjectsHeader);
  for (const char* id : {"a", "b", "c", "d"}) subjects += std::string(id) + ",price,micro,1,0,2020-01-01,true\n";
  SubjectTable t = load(subjects, std::string(kRecordsHeader) +
                                      "c,award,,1,\n"   // 2
                                      "a,award,,2,\n"   // 3
                                      "c,award,,3,\n"   // 4
                                      "d,award,,4,\n"   // 5
                                      "a,award,,5,\n"   // 6
                                      "c,award,,6,\n");  // 7
  EXPECT_EQ(t.record_offsets, (std::vector<std::int64_t>{0, 2, 2, 5, 6}));
  EXPECT_EQ(t.record_line, (std::vector<std::uint32_t>{3, 6, 2, 4, 7, 5}));
  EXPECT_EQ(t.record_columns[1], (std::vector<std::int64_t>{2 * M, 5 * M, 1 * M, 3 * M, 6 * M, 4 * M}));
  EXPECT_NO_THROW(t.validate(schema));
}

// ------------------------------------------------------------------ error lists and rejects

TEST_F(LoadTest, ErrorListIsCappedButCountsEverything) {
  std::string records = std::string(kRecordsHeader);
  for (int i = 0; i < 10; ++i) records += "s1,award,,x" + std::to_string(i) + ",\n";
  LoadOptions o;
  o.max_errors = 3;
  std::string e = load_error(kTwoSubjects, records, o);
  EXPECT_EQ(e, rp() + ":2: field 'age_days': not a number (value 'x0')\n" + rp() +
                   ":3: field 'age_days': not a number (value 'x1')\n" + rp() +
                   ":4: field 'age_days': not a number (value 'x2')\n"
                   "... and 7 more\n"
                   "10 errors in the data");
}

TEST_F(LoadTest, ErrorsOfBothFilesAreListedAndReported) {
  LoadReport report;
  try {
    load(kTwoSubjects + "s3,prize,micro,1,0,2020-01-01,true\n",
         std::string(kRecordsHeader) + "s1,award,,-,\ns3,award,,1,\n", {}, &report);
    FAIL() << "no error";
  } catch (const DataError& e) {
    // the records of a subject that failed are not reported again
    EXPECT_EQ(std::string(e.what()), sp() + ":4: field 'sector': unknown Sector 'prize' (did you mean 'price'?)\n" +
                                         rp() + ":2: field 'age_days': not a number (value '-')\n2 errors in the data");
  }
  EXPECT_EQ(report.errors.size(), 2u);
  EXPECT_EQ(report.subjects, 2u);
  EXPECT_EQ(report.records, 0u);
}

TEST_F(LoadTest, RejectFileQuarantinesBadRows) {
  LoadOptions o;
  o.reject_path = dir.path("rejects.csv");
  LoadReport report;
  SubjectTable t = load(kTwoSubjects +
                            "s3,prize,micro,1,0,2020-01-01,true\n"  // 4: bad sector
                            "s1,price,micro,1,0,2020-01-01,true\n"  // 5: duplicate
                            "s4,price,micro,1\n",                   // 6: short row
                        std::string(kRecordsHeader) +
                            "s1,award,,1,\n"           // 2
                            "s3,award,,2,\n"           // 3: subject rejected
                            "s1,violation,9,3,4\n"     // 4: bad severity
                            "\"s,2\",award,,4,\n"      // 5: unknown subject
                            "s2,award,,5,\n"           // 6
                            "s4,award,,6,\n",          // 7: subject rejected
                        o, &report);
  EXPECT_EQ(t.ids, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(t.record_line, (std::vector<std::uint32_t>{2, 6}));
  EXPECT_EQ(report.subjects, 2u);
  EXPECT_EQ(report.rejected_subjects, 3u);
  EXPECT_EQ(report.records, 2u);
  EXPECT_EQ(report.rejected_records, 4u);
  EXPECT_EQ(report.subjects + report.rejected_subjects, 5u);  // rows in the subjects file
  EXPECT_EQ(report.records + report.rejected_records, 6u);    // rows in the records file
  EXPECT_EQ(report.errors.size(), 7u);

  const std::string s = sp(), r = rp();
  EXPECT_EQ(test::read_file(o.reject_path),
            "file,line,field,reason,row\n" +
                s + ",4,sector,unknown Sector 'prize' (did you mean 'price'?),\"s3,prize,micro,1,0,2020-01-01,true\"\n" +
                s + ",5,id,duplicate id 's1' (first at line 2),\"s1,price,micro,1,0,2020-01-01,true\"\n" +
                s + ",6,,\"expected 7 fields, found 4\",\"s4,price,micro,1\"\n" +
                r + ",3,subject_id,subject rejected,\"s3,award,,2,\"\n" +
                r + ",4,severity,unknown Severity '9',\"s1,violation,9,3,4\"\n" +
                r + ",5,subject_id,\"unknown subject id 's,2'\",\"\"\"s,2\"\",award,,4,\"\n" +
                r + ",7,subject_id,subject rejected,\"s4,award,,6,\"\n");
}

TEST_F(LoadTest, RejectFileIsWrittenEvenWhenEverythingLoads) {
  LoadOptions o;
  o.reject_path = dir.path("rejects.csv");
  dir.write("rejects.csv", "stale\n");
  load(kTwoSubjects, kRecordsHeader, o);
  EXPECT_EQ(test::read_file(o.reject_path), "file,line,field,reason,row\n");
}

TEST_F(LoadTest, UnwritableRejectFileIsAnIoError) {
  LoadOptions o;
  o.reject_path = dir.path("no/such/dir/rejects.csv");
  EXPECT_THROW(load(kTwoSubjects, kRecordsHeader, o), IoError);
}

// ------------------------------------------------------------------ parse_value

TEST(ParseValue, EveryType) {
  Schema s = test::test_schema();
  std::int64_t v = -1;
  EXPECT_TRUE(parse_value(s, Type::of(TypeKind::integer), "42", v));
  EXPECT_EQ(v, 42 * M);
  EXPECT_FALSE(parse_value(s, Type::of(TypeKind::integer), "4.2", v));
  EXPECT_TRUE(parse_value(s, Type::of(TypeKind::money), "-0.01", v));
  EXPECT_EQ(v, -10'000);
  EXPECT_FALSE(parse_value(s, Type::of(TypeKind::days), "1e2", v));
  EXPECT_TRUE(parse_value(s, Type::of(TypeKind::boolean), "true", v));
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(parse_value(s, Type::of(TypeKind::date), "1970-01-02", v));
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(parse_value(s, Type::enumeration_of(2), "4", v));
  EXPECT_EQ(v, 3);
  EXPECT_TRUE(parse_value(s, Type::enumeration_of(2), "minor", v));
  EXPECT_EQ(v, 0);
  EXPECT_FALSE(parse_value(s, Type::enumeration_of(2), "Minor", v));
  EXPECT_FALSE(parse_value(s, Type::enumeration_of(9), "minor", v));
  EXPECT_TRUE(parse_value(s, Type::of(TypeKind::kind), "award", v));
  EXPECT_EQ(v, 1);
  EXPECT_FALSE(parse_value(s, Type::of(TypeKind::string), "x", v));
  EXPECT_EQ(v, 1);  // unchanged by failures
}

}  // namespace
}  // namespace gradus
