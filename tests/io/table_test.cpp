// Schema lookups, SubjectTableBuilder and SubjectTable::validate.
#include <gtest/gtest.h>

#include "gradus/core/error.hpp"
#include "gradus/eval/subject_table.hpp"
#include "io_test_util.hpp"

namespace gradus {
namespace {

constexpr std::int64_t M = 1'000'000;

// ------------------------------------------------------------------ schema

TEST(Schema, EnumCodeOfNameOrLabel) {
  Schema s = test::test_schema();
  const EnumType& size = s.enums[1];  // micro small medium large, labels XS - M L
  EXPECT_EQ(size.code_of("micro"), 0);
  EXPECT_EQ(size.code_of("XS"), 0);
  EXPECT_EQ(size.code_of("small"), 1);
  EXPECT_EQ(size.code_of(""), std::nullopt);  // the empty label of "small" is no label
  EXPECT_EQ(size.code_of("L"), 3);
  EXPECT_EQ(size.code_of("Large"), std::nullopt);
  EXPECT_EQ(size.code_of("micro "), std::nullopt);

  EnumType tricky;  // a label that spells another member's name: the name wins
  tricky.members = {"a", "b"};
  tricky.labels = {"b", "x"};
  EXPECT_EQ(tricky.code_of("b"), 1);
  EXPECT_EQ(tricky.code_of("x"), 1);
}

TEST(Schema, TypeNames) {
  Schema s = test::test_schema();
  EXPECT_EQ(s.type_name(Type::of(TypeKind::integer)), "integer");
  EXPECT_EQ(s.type_name(Type::of(TypeKind::decimal)), "decimal");
  EXPECT_EQ(s.type_name(Type::of(TypeKind::money)), "money");
  EXPECT_EQ(s.type_name(Type::of(TypeKind::days)), "days");
  EXPECT_EQ(s.type_name(Type::of(TypeKind::period)), "period");
  EXPECT_EQ(s.type_name(Type::of(TypeKind::boolean)), "bool");
  EXPECT_EQ(s.type_name(Type::of(TypeKind::date)), "date");
  EXPECT_EQ(s.type_name(Type::of(TypeKind::string)), "string");
  EXPECT_EQ(s.type_name(Type::of(TypeKind::kind)), "kind");
  EXPECT_EQ(s.type_name(Type::of(TypeKind::error)), "error");
  EXPECT_EQ(s.type_name(Type::enumeration_of(2)), "Severity");
  EXPECT_EQ(s.type_name(Type::enumeration_of(7)), "enumeration");
}

TEST(Schema, FieldAndKindLookups) {
  Schema s = test::test_schema();
  EXPECT_EQ(s.subject_field("sector"), 0);
  EXPECT_EQ(s.subject_field("listed"), 5);
  EXPECT_EQ(s.subject_field("id"), -1);  // the key is not a field
  EXPECT_EQ(s.record_field("amount"), 2);
  EXPECT_EQ(s.record_field("sector"), -1);
  EXPECT_EQ(s.kind_index("inspection"), 2);
  EXPECT_EQ(s.kind_index("Award"), -1);
}

// ------------------------------------------------------------------ builder

std::vector<std::int64_t> subject_values(std::int64_t sector) { return {sector, 0, 1 * M, 0, 0, 1}; }

TEST(SubjectTableBuilder, GroupsRecordsBySubjectKeepingTheirOrder) {
  Schema s = test::test_schema();
  SubjectTableBuilder b(s);
  EXPECT_EQ(b.add_subject("a", subject_values(0)), 0u);
  EXPECT_EQ(b.add_subject("b", subject_values(1)), 1u);
  EXPECT_EQ(b.add_subject("c", subject_values(2)), 2u);
  b.add_record(2, 1, {0, 1 * M, 0}, 10);
  b.add_record(0, 0, {3, 2 * M, 5 * M}, 11);
  b.add_record(2, 2, {0, 3 * M, 0}, 12);
  b.add_record(0, 1, {0, 4 * M, 0}, 13);
  SubjectTable t = b.build();
  EXPECT_EQ(t.ids, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(t.subject_columns[0], (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(t.record_offsets, (std::vector<std::int64_t>{0, 2, 2, 4}));
  EXPECT_EQ(t.record_kind, (std::vector<std::int64_t>{0, 1, 1, 2}));
  EXPECT_EQ(t.record_columns[1], (std::vector<std::int64_t>{2 * M, 4 * M, 1 * M, 3 * M}));
  EXPECT_EQ(t.record_line, (std::vector<std::uint32_t>{11, 13, 10, 12}));
  EXPECT_TRUE(t.records_source.empty());

  // the builder starts over after build()
  b.add_subject("z", subject_values(3));
  SubjectTable u = b.build();
  EXPECT_EQ(u.ids, (std::vector<std::string>{"z"}));
  EXPECT_EQ(u.record_offsets, (std::vector<std::int64_t>{0, 0}));
}

TEST(SubjectTableBuilder, FieldsTheKindDoesNotHaveHoldZero) {
  Schema s = test::test_schema();
  SubjectTableBuilder b(s);
  b.add_subject("a", subject_values(0));
  b.add_record(0, 1, {3, 7 * M, 9 * M});  // an award has no severity or amount
  SubjectTable t = b.build();
  EXPECT_EQ(t.record_columns[0], (std::vector<std::int64_t>{0}));
  EXPECT_EQ(t.record_columns[1], (std::vector<std::int64_t>{7 * M}));
  EXPECT_EQ(t.record_columns[2], (std::vector<std::int64_t>{0}));
}

TEST(SubjectTableBuilder, RejectsBadArguments) {
  Schema s = test::test_schema();
  SubjectTableBuilder b(s);
  EXPECT_THROW(b.add_subject("a", {1, 2}), UsageError);
  b.add_subject("a", subject_values(0));
  EXPECT_THROW(b.add_record(1, 0, {0, 0, 0}), UsageError);     // no subject 1
  EXPECT_THROW(b.add_record(0, 3, {0, 0, 0}), UsageError);     // 3 kinds
  EXPECT_THROW(b.add_record(0, -1, {0, 0, 0}), UsageError);
  EXPECT_THROW(b.add_record(0, 0, {0, 0}), UsageError);        // 3 record fields
  b.add_record(0, 0, {4, 0, 0});                               // Severity has codes 0..3
  EXPECT_THROW(b.build(), UsageError);
}

// ------------------------------------------------------------------ validate

SubjectTable valid_table(const Schema& s) {
  SubjectTableBuilder b(s);
  b.add_subject("a", subject_values(0));
  b.add_subject("b", subject_values(3));
  b.add_record(0, 0, {3, 1, 2});
  b.add_record(1, 1, {0, 1, 0});
  return b.build();
}

TEST(SubjectTableValidate, AcceptsAWellFormedTable) {
  Schema s = test::test_schema();
  EXPECT_NO_THROW(valid_table(s).validate(s));
  SubjectTable t = valid_table(s);
  t.record_line.clear();  // lines are optional
  EXPECT_NO_THROW(t.validate(s));
}

TEST(SubjectTableValidate, RejectsShapeAndCodeErrors) {
  Schema s = test::test_schema();
  auto expect_bad = [&](auto change, const char* what) {
    SubjectTable t = valid_table(s);
    change(t);
    EXPECT_THROW(t.validate(s), UsageError) << what;
  };
  expect_bad([](SubjectTable& t) { t.subject_columns.pop_back(); }, "subject column count");
  expect_bad([](SubjectTable& t) { t.subject_columns[2].values().push_back(0); }, "subject column length");
  expect_bad([](SubjectTable& t) { t.record_columns.pop_back(); }, "record column count");
  expect_bad([](SubjectTable& t) { t.record_columns[1].values().pop_back(); }, "record column length");
  expect_bad([](SubjectTable& t) { t.record_offsets = {0, 2, 1}; }, "descending offsets");
  expect_bad([](SubjectTable& t) { t.record_offsets = {0, 1}; }, "offset count");
  expect_bad([](SubjectTable& t) { t.record_offsets = {1, 1, 2}; }, "offsets not from 0");
  expect_bad([](SubjectTable& t) { t.record_offsets = {0, 1, 1}; }, "offsets not ending at the record count");
  expect_bad([](SubjectTable& t) { t.record_kind.values()[0] = 3; }, "kind out of range");
  expect_bad([](SubjectTable& t) { t.record_line.push_back(1); }, "line count");
  expect_bad([](SubjectTable& t) { t.subject_columns[0].values()[1] = 4; }, "Sector code 4");
  expect_bad([](SubjectTable& t) { t.subject_columns[1].values()[0] = -1; }, "Size code -1");
  expect_bad([](SubjectTable& t) { t.subject_columns[5].values()[0] = 2; }, "bool 2");
  expect_bad([](SubjectTable& t) { t.record_columns[0].values()[0] = 4; }, "Severity code 4");
  expect_bad([](SubjectTable& t) { t.record_columns[2].values()[1] = 5; }, "amount on an award");
}

TEST(SubjectTableValidate, ShapeOnlySkipsTheValues) {
  Schema s = test::test_schema();
  SubjectTable t = valid_table(s);
  t.record_columns[0].values()[0] = 9;  // no such Severity
  EXPECT_NO_THROW(t.validate(s, true));
  EXPECT_THROW(t.validate(s), UsageError);
  t.record_offsets = {0, 2, 1};
  EXPECT_THROW(t.validate(s, true), UsageError);
}

}  // namespace
}  // namespace gradus
