// Columns read in place (Column::borrow): decoding of every width and
// encoding, values that cannot be read, record offsets from ids, and
// evaluation over borrowed tables.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <sstream>
#include <vector>

#include "gradus/gradus.hpp"

namespace gradus {
namespace {

constexpr std::int64_t M = decimal::kScale;
constexpr std::int64_t kNo = Column::kNoValue;

Column::Encoding lookup(Column::Width width, std::int64_t low, std::vector<std::int64_t> table) {
  Column::Encoding e;
  e.width = width;
  e.low = low;
  e.lookup = std::move(table);
  return e;
}

Column::Encoding scaled(Column::Width width, std::int64_t scale = M) {
  Column::Encoding e;
  e.width = width;
  e.scale = scale;
  return e;
}

std::vector<std::int64_t> all(const Column& c) {
  std::vector<std::int64_t> out(c.size());
  c.decode(0, c.size(), out.data());
  return out;
}

TEST(Column, OneByteCodesGoThroughTheirLookup) {
  const std::vector<std::int8_t> codes{-1, 0, 1, 2, 3, 100};
  // raw -1 (a missing categorical) and raw 2 cannot be read; 3 and beyond lie outside the table
  const Column c = Column::borrow(codes.data(), codes.size(), lookup(Column::Width::i8, -1, {kNo, 7, 8, kNo}), nullptr);
  EXPECT_FALSE(c.owned());
  EXPECT_EQ(all(c), (std::vector<std::int64_t>{0, 7, 8, 0, 0, 0}));
  EXPECT_EQ((std::vector<bool>{c.readable(0), c.readable(1), c.readable(2), c.readable(3), c.readable(4), c.readable(5)}),
            (std::vector<bool>{false, true, true, false, false, false}));
  EXPECT_EQ(c.raw(5), 100);
  EXPECT_EQ(c[1], 7);
  EXPECT_FALSE(c.always_readable());
  std::vector<std::int64_t> out(2);
  EXPECT_TRUE(c.decode(1, 2, out.data()));
  EXPECT_EQ(out, (std::vector<std::int64_t>{7, 8}));
  EXPECT_FALSE(c.decode(2, 2, out.data()));
}

TEST(Column, WiderCodesAreLookedUpWithinTheirRange) {
  const std::vector<std::int64_t> raw{1, 4, 0, 5, INT64_MIN, INT64_MAX};
  const Column c = Column::borrow(raw.data(), raw.size(), lookup(Column::Width::i64, 1, {10, 20, 30, 40}), nullptr);
  EXPECT_EQ(all(c), (std::vector<std::int64_t>{10, 40, 0, 0, 0, 0}));
  for (std::size_t i : {2u, 3u, 4u, 5u}) EXPECT_FALSE(c.readable(i)) << i;
  const std::vector<std::uint16_t> wide{0, 65535};
  const Column u = Column::borrow(wide.data(), wide.size(), lookup(Column::Width::u16, 0, {5}), nullptr);
  EXPECT_EQ(all(u), (std::vector<std::int64_t>{5, 0}));
  EXPECT_FALSE(u.readable(1));
}

TEST(Column, NumbersScaleAndStayInRange) {
  const std::vector<std::int16_t> small{-32768, -1, 0, 32767};
  const Column s = Column::borrow(small.data(), small.size(), scaled(Column::Width::i16), nullptr);
  EXPECT_EQ(all(s), (std::vector<std::int64_t>{-32768 * M, -M, 0, 32767 * M}));
  EXPECT_TRUE(s.always_readable());  // every int16 fits once scaled

  const std::int64_t top = INT64_MAX / M;
  const std::vector<std::int64_t> big{top, top + 1, -top, -top - 1, 3};
  const Column b = Column::borrow(big.data(), big.size(), scaled(Column::Width::i64), nullptr);
  EXPECT_EQ(all(b), (std::vector<std::int64_t>{top * M, 0, -top * M, 0, 3 * M}));
  EXPECT_FALSE(b.readable(1));
  EXPECT_FALSE(b.readable(3));
  EXPECT_FALSE(b.always_readable());

  // int64 values as they are: every one can be read
  const std::vector<std::int64_t> extremes{INT64_MIN, INT64_MAX};
  const Column as_is = Column::borrow(extremes.data(), extremes.size(), {}, nullptr);
  EXPECT_EQ(all(as_is), extremes);
  EXPECT_TRUE(as_is.always_readable());

  const std::vector<std::uint32_t> amounts{0, 4'000'000'000u};
  const Column a = Column::borrow(amounts.data(), amounts.size(), scaled(Column::Width::u32), nullptr);
  EXPECT_EQ(all(a), (std::vector<std::int64_t>{0, 4'000'000'000 * M}));

  // dates: days as they are, within a range
  Column::Encoding days = scaled(Column::Width::i32, 1);
  days.low = 0;
  days.high = 100;
  const std::vector<std::int32_t> d{-1, 0, 100, 101};
  const Column dc = Column::borrow(d.data(), d.size(), days, nullptr);
  EXPECT_EQ(all(dc), (std::vector<std::int64_t>{0, 0, 100, 0}));
  EXPECT_EQ((std::vector<bool>{dc.readable(0), dc.readable(1), dc.readable(2), dc.readable(3)}),
            (std::vector<bool>{false, true, true, false}));
}

TEST(Column, ARecordWhoseKindLacksTheFieldReadsZero) {
  const std::vector<std::uint8_t> sev{1, 9, 2, 9};
  const Column c = Column::borrow(sev.data(), sev.size(), lookup(Column::Width::u8, 1, {0, 1}), nullptr);
  const std::vector<std::int64_t> kind{0, 1, 0, 1};  // kind 1 has no severity: its 9s are not read
  std::vector<std::int64_t> out(4, -5);
  EXPECT_TRUE(c.decode(0, 4, out.data(), kind.data(), 0b01));
  EXPECT_EQ(out, (std::vector<std::int64_t>{0, 0, 1, 0}));
  EXPECT_FALSE(c.decode(0, 4, out.data(), kind.data(), 0b11));  // both kinds have it: the 9s are bad

  const Column owned(std::vector<std::int64_t>{4, 5, 6, 7});
  EXPECT_TRUE(owned.decode(0, 4, out.data(), kind.data(), 0b10));
  EXPECT_EQ(out, (std::vector<std::int64_t>{0, 5, 0, 7}));
}

TEST(Column, BorrowRefusesWhatCannotWorkAndOwnershipIsKept) {
  EXPECT_THROW(Column::borrow(nullptr, 3, {}, nullptr), UsageError);
  EXPECT_THROW(Column::borrow(nullptr, 0, scaled(Column::Width::i8, 0), nullptr), UsageError);
  Column::Encoding inverted;
  inverted.low = 5;
  inverted.high = 4;
  EXPECT_THROW(Column::borrow(nullptr, 0, inverted, nullptr), UsageError);

  auto data = std::make_shared<std::vector<std::int64_t>>(std::vector<std::int64_t>{1, 2});
  Column c = Column::borrow(data->data(), 2, {}, data);
  std::weak_ptr<std::vector<std::int64_t>> alive = data;
  data.reset();
  EXPECT_FALSE(alive.expired());  // the column keeps its memory
  EXPECT_THROW(c.values(), UsageError);
  EXPECT_THROW(static_cast<void>(c.data()), UsageError);
  EXPECT_EQ(c, Column(std::vector<std::int64_t>{1, 2}));
  EXPECT_FALSE(c == Column(std::vector<std::int64_t>{1, 3}));
  c = Column();
  EXPECT_TRUE(alive.expired());
}

TEST(OffsetsById, MergesAscendingIdsWithRecordsInTheirOrder) {
  const std::vector<std::int64_t> subjects{3, 5, 8, 13, 21};
  // 5 and 21 have no records
  EXPECT_EQ(offsets_by_id(subjects, std::vector<std::int64_t>{3, 3, 8, 13, 13, 13}),
            (std::vector<std::int64_t>{0, 2, 2, 3, 6, 6}));
  EXPECT_EQ(offsets_by_id(subjects, std::vector<std::int64_t>{}), (std::vector<std::int64_t>{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(offsets_by_id(subjects, std::vector<std::int64_t>{21}), (std::vector<std::int64_t>{0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(offsets_by_id(std::vector<std::int64_t>{}, std::vector<std::int64_t>{}), (std::vector<std::int64_t>{0}));
}

TEST(OffsetsById, AnythingElseIsLeftToTheCaller) {
  const std::vector<std::int64_t> subjects{3, 5, 8};
  EXPECT_FALSE(offsets_by_id(subjects, std::vector<std::int64_t>{3, 4, 5}));   // 4 is no subject
  EXPECT_FALSE(offsets_by_id(subjects, std::vector<std::int64_t>{3, 9}));      // beyond the last
  EXPECT_FALSE(offsets_by_id(subjects, std::vector<std::int64_t>{1, 3}));      // before the first
  EXPECT_FALSE(offsets_by_id(subjects, std::vector<std::int64_t>{5, 3}));      // out of order
  EXPECT_FALSE(offsets_by_id(std::vector<std::int64_t>{3, 3, 8}, std::vector<std::int64_t>{3}));  // duplicate
  EXPECT_FALSE(offsets_by_id(std::vector<std::int64_t>{8, 3}, std::vector<std::int64_t>{}));     // descending
  EXPECT_FALSE(offsets_by_id(std::vector<std::int64_t>{}, std::vector<std::int64_t>{1}));
}

constexpr const char* kRules = R"(rulebook "t"
enum Sector: s1, s2
scale Sev: low < mid < high
subjects
  id: key
  sector: Sector
records
  sid: subject
  kind: kind of v, w
  sev: Sev for v
  age: days
table pts(s: Sev) -> integer
  low -> 2
  mid -> 5
  high -> 12
score
  start at 100
  deduct v: sum(pts[sev] over v where age < 365)
  deduct w: 3 * count(w)
tiers
  A [90, inf)
  B (-inf, 90)
)";

struct Fixture {
  std::shared_ptr<const Plan> plan;
  SubjectTable owned;
  std::vector<std::uint8_t> sev;  // the severity column, read in place: raw 1..3 are low..high
  Fixture() {
    Compilation c = compile_source(Source("t.gradus", kRules));
    EXPECT_TRUE(c.ok()) << c.render();
    plan = c.plan;
    SubjectTableBuilder b(plan->schema);
    for (int i = 0; i < 40; ++i) {
      const std::size_t s = b.add_subject(std::to_string(100 + i), {i % 2});
      for (int k = 0; k < i % 5; ++k) {
        const std::int64_t kind = (i + k) % 2;
        b.add_record(s, kind, {kind == 0 ? (i + k) % 3 : 0, ((i * 37 + k * 101) % 500) * M});
      }
    }
    owned = b.build();
    for (std::size_t r = 0; r < owned.record_count(); ++r)
      sev.push_back(owned.record_kind[r] == 0 ? static_cast<std::uint8_t>(owned.record_columns[0][r] + 1) : 0);
  }
  SubjectTable borrowed() const {
    SubjectTable t = owned;
    t.record_columns[0] = Column::borrow(sev.data(), sev.size(), lookup(Column::Width::u8, 1, {0, 1, 2}), nullptr);
    return t;
  }
  EvalOptions options(unsigned threads, bool fold, std::size_t chunk = 7) const {
    EvalOptions o;
    o.as_of = *date::parse("2025-01-01");
    o.threads = threads;
    o.fold = fold;
    o.chunk_size = chunk;
    return o;
  }
};

TEST(BorrowedTable, EvaluatesAsTheOwnedTable) {
  const Fixture f;
  const SubjectTable t = f.borrowed();
  EXPECT_NO_THROW(t.validate(f.plan->schema));
  for (bool fold : {true, false}) {
    const Outcomes a = evaluate(*f.plan, f.owned, f.options(1, fold)), b = evaluate(*f.plan, t, f.options(2, fold));
    EXPECT_EQ(a.score, b.score);
    EXPECT_EQ(a.tier, b.tier);
    EXPECT_TRUE(b.errors.empty());
  }
}

TEST(BorrowedTable, AValueThatCannotBeReadFailsItsSubjectAlone) {
  Fixture f;
  // the first violation of subject 103 (records of kind w are not read: their 0 is fine)
  std::size_t bad = 0;
  while (!(f.owned.record_kind[bad] == 0 && bad >= static_cast<std::size_t>(f.owned.record_offsets[3]))) ++bad;
  f.sev[bad] = 9;
  const SubjectTable t = f.borrowed();
  const std::string message = "record " + std::to_string(bad) + ": field 'sev' holds 9, which is not a Sev value";
  try {
    t.validate(f.plan->schema);
    ADD_FAILURE() << "validate accepted an unreadable value";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "subject table: " + message);
  }
  const Outcomes owned = evaluate(*f.plan, f.owned, f.options(1, true));
  for (bool fold : {true, false})
    for (unsigned threads : {1u, 2u})
      for (std::size_t chunk : {1u, 7u, 64u}) {
        const Outcomes o = evaluate(*f.plan, t, f.options(threads, fold, chunk));
        ASSERT_EQ(o.errors.size(), 1u);
        EXPECT_EQ(o.errors[0].subject, 3u);
        EXPECT_EQ(o.errors[0].message, message);
        EXPECT_EQ(o.tier[3], -1);
        for (std::size_t i = 0; i < o.size(); ++i) {
          if (i != 3) {
            EXPECT_EQ(o.score[i], owned.score[i]) << i;
          }
        }
      }
  const Explanation x = explain(*f.plan, t, 3, f.options(1, true));
  EXPECT_TRUE(x.failed);
  EXPECT_EQ(x.error, message);
  EXPECT_EQ(x.subject, "103");
}

TEST(BorrowedTable, AKindOutsideTheSchemaIsRefusedBeforeAnythingIsRead) {
  const Fixture f;
  SubjectTable t = f.borrowed();
  std::vector<std::uint8_t> kinds(t.record_count(), 0);
  kinds.back() = 1;
  // a lookup that gives kind 2 of a schema with two kinds, and a kind 64 beyond any mask
  for (std::int64_t wrong : {2, 64}) {
    t.record_kind = Column::borrow(kinds.data(), kinds.size(), lookup(Column::Width::u8, 0, {0, wrong}), nullptr);
    EXPECT_THROW(t.validate(f.plan->schema), UsageError);
    for (bool fold : {true, false}) EXPECT_THROW(evaluate(*f.plan, t, f.options(2, fold)), UsageError) << wrong;
  }
}

TEST(BorrowedTable, NumericIdsAreWrittenAsNumbers) {
  const Fixture f;
  SubjectTable t = f.borrowed();
  std::vector<std::int64_t> ids;
  for (const std::string& id : t.ids) ids.push_back(std::stoll(id));
  t.ids.clear();
  t.id_numbers = Column::borrow(ids.data(), ids.size(), {}, nullptr);
  ASSERT_NO_THROW(t.validate(f.plan->schema));
  const Outcomes o = evaluate(*f.plan, t, f.options(1, true));
  std::ostringstream a, b;
  write_outcomes(a, *f.plan, t, o, OutputFormat::csv);
  write_outcomes(b, *f.plan, f.owned, evaluate(*f.plan, f.owned, f.options(1, true)), OutputFormat::csv);
  EXPECT_EQ(a.str(), b.str());
  EXPECT_EQ(t.id(0), "100");
  t.ids = {"x"};
  EXPECT_THROW(t.validate(f.plan->schema, true), UsageError);  // ids both ways
}

}  // namespace
}  // namespace gradus
