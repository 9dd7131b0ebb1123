// Folded aggregations (src/eval/fold.hpp): the same outcomes as the plan's
// own instructions, on random data, at the int64 boundaries and on bad data.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <set>

#include "gradus/gradus.hpp"
#include "../../src/eval/fold.hpp"

namespace gradus {
namespace {

constexpr const char* kSchema = R"(rulebook "t"
enum Sector: s1, s2, s3
scale Sev: low < mid < high
subjects
  id: key
  sector: Sector
  listed: bool
  n: integer
  since: date
records
  sid: subject
  kind: kind of v, w, x
  sev: Sev for v
  flag: bool for w, x
  amount: money for v
  age: days
  on: date
table pts(s: Sev) -> integer
  low -> 2
  mid -> 5
  high -> 12
table decay(a: days) -> decimal
  [0, 365) -> 1
  [365, 730) -> 0.5
  [730, 1095) -> 0.25
  otherwise -> 0
table weight_of(s: Sector) -> decimal
  s1 -> 1.5
  s2 -> 1.2
  otherwise -> 1
let weight = weight_of[sector]
)";

constexpr const char* kLadder = R"(
tiers
  A [90, inf)
  B [75, 90)
  C (-inf, 75)
)";

std::int64_t day(const char* text) { return *date::parse(text); }

std::shared_ptr<const Plan> compile_text(const std::string& body) {
  Compilation c = compile_source(Source("t.gradus", std::string(kSchema) + body));
  EXPECT_TRUE(c.ok()) << c.render();
  return c.plan;
}

EvalOptions options(bool fold, unsigned threads = 1, std::size_t chunk = 256) {
  EvalOptions o;
  o.as_of = day("2025-01-01");
  o.threads = threads;
  o.chunk_size = chunk;
  o.fold = fold;
  return o;
}

/// Lanes folded for an evaluation on the options' date.
std::size_t folded(const Plan& plan) {
  detail::Program p = detail::fold(plan, options(true).as_of);
  std::size_t lanes = 0;
  for (const auto& f : p.folds) {
    lanes += f.lanes.size();
    // every field read has more than one code here: a feature of one code would be a
    // number taken for a code (and every chunk would fall back to the instructions)
    for (const auto& feature : f.features) EXPECT_TRUE(feature.column < 0 || feature.size > 1) << feature.column;
  }
  return lanes;
}

struct Shape {
  std::size_t subjects = 2000;
  int max_records = 12;       // records per subject: uniform 0..max_records
  int heavy_every = 97;       // every so many subjects has heavy_records records
  int heavy_records = 1500;
  std::int64_t amount_max = 100000;  // yuan
};

SubjectTable random_table(const Plan& plan, std::uint64_t seed, const Shape& shape = {}) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::int64_t n) { return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n)); };
  SubjectTableBuilder b(plan.schema);
  for (std::size_t i = 0; i < shape.subjects; ++i) {
    std::size_t s = b.add_subject(std::to_string(i), {pick(3), pick(2), pick(6) * decimal::kScale,
                                                      day("2015-01-01") + pick(4000)});
    const int nrec = i % static_cast<std::size_t>(shape.heavy_every) == 5 ? shape.heavy_records
                                                                           : static_cast<int>(pick(shape.max_records + 1));
    for (int k = 0; k < nrec; ++k) {
      // ages on and around the decay bands' bounds, and anywhere
      static constexpr std::int64_t kEdges[] = {0, 1, 364, 365, 366, 729, 730, 1094, 1095, 1096, 3000};
      const std::int64_t age = pick(3) == 0 ? kEdges[pick(11)] : pick(2000);
      b.add_record(s, pick(3),
                   {pick(3), pick(2), pick(shape.amount_max) * decimal::kScale, age * decimal::kScale,
                    day("2025-01-01") - age});
    }
  }
  return b.build();
}

void expect_same(const Outcomes& a, const Outcomes& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  EXPECT_EQ(a.score, b.score) << what;
  EXPECT_EQ(a.tier, b.tier) << what;
  EXPECT_EQ(a.overrides, b.overrides) << what;
  ASSERT_EQ(a.errors.size(), b.errors.size()) << what;
  for (std::size_t k = 0; k < a.errors.size(); ++k) {
    EXPECT_EQ(a.errors[k].subject, b.errors[k].subject) << what;
    EXPECT_EQ(a.errors[k].message, b.errors[k].message) << what;
  }
}

/// Folded and unfolded evaluations agree, for several thread counts and chunk sizes.
void expect_fold_agrees(const Plan& plan, const SubjectTable& t, const std::string& what) {
  const Outcomes ref = evaluate(plan, t, options(false));
  for (auto [threads, chunk] : std::vector<std::pair<unsigned, std::size_t>>{{1, 256}, {2, 1}, {2, 77}, {1, 4096}}) {
    expect_same(evaluate(plan, t, options(true, threads, chunk)), ref,
                what + ", " + std::to_string(threads) + " threads, chunk " + std::to_string(chunk));
  }
}

struct Case {
  const char* name;
  const char* rules;
  std::size_t lanes;  // aggregations expected to fold
};

const Case kCases[] = {
    {"w1_like", R"(
score
  start at 100
  deduct v: sum(pts[sev] * weight * decay[age] over v)
  deduct w: 8 * sum(decay[age] over w)
  add x in b: 3 * count(x where flag)
  add y in b: if all(w where age < 100 days) then 1 else 0
  cap b at 10
  clamp 0 to 110
overrides
  grave: at most C
    when any(v where sev = high and age < 1095 days)
    because "grave"
)", 5},
    {"constants_on_either_side_and_subject_thresholds", R"(
score
  start at 100
  deduct a: count(v where 30 days > age)
  deduct b: sum(if flag then 2 else 0.5 over w, x)
  deduct c: count(v where sev >= mid and n >= 3)
  deduct d: count(records where age = 365 days or age != 0 days)
  deduct e: sum(if listed then 1 else 2 over x)
  deduct f: count(w where since < 2020-06-01)
)", 6},
    {"dates_relative_to_the_evaluation_date", R"(
score
  start at 100
  deduct a: 2 * count(v where on within 1 year)
  deduct b: count(v where on within 90 days and sev != low)
)", 2},
    {"subject_arithmetic_computed_for_record_owners", R"(
let w2 = weight * 1.5
score
  start at 100
  deduct a: sum(pts[sev] * w2 over v)
)", 1},
    {"a_number_whose_uses_never_change", R"(
table flat(a: days) -> decimal
  otherwise -> 0.5
score
  start at 100
  deduct a: sum(flat[age] over w)
)", 1},
    {"values_that_do_not_fold_beside_those_that_do", R"(
score
  start at 100
  deduct a: sum(amount over v) / (100000 yuan)
  deduct b: max(age over v otherwise 0 days) / (100 days)
  deduct c: sum(decay[age] over v)
  deduct d: if n > 2 then count(w) else 0
  deduct e: sum(age * 2 over x where flag) / (1000 days)
)", 1},
};

TEST(Fold, FoldedAggregationsEqualTheInstructionsOnRandomData) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto plan = compile_text(std::string(c.rules) + kLadder);
    ASSERT_TRUE(plan);
    EXPECT_EQ(folded(*plan), c.lanes);
    for (std::uint64_t seed : {1u, 2u, 3u}) expect_fold_agrees(*plan, random_table(*plan, seed), c.name);
  }
}

/// Random data for any schema: codes in range, dates around the evaluation date,
/// numbers on and next to the plan's constants and band bounds, or anywhere.
SubjectTable random_table_for(const Plan& plan, std::uint64_t seed, std::int64_t as_of) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::int64_t n) { return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n)); };
  std::vector<std::int64_t> numbers{0, decimal::kScale, -decimal::kScale};
  for (const Instr& in : plan.code)
    if ((in.op == Op::sel_cmp || (in.op >= Op::eq && in.op <= Op::ge && in.b < 0)) && in.imm > INT64_MIN + 1 &&
        in.imm < INT64_MAX - 1)
      numbers.insert(numbers.end(), {in.imm - 1, in.imm, in.imm + 1});
  for (const PlanBandTable& t : plan.band_tables)
    for (std::int64_t b : t.bounds)
      if (b > INT64_MIN + 1 && b < INT64_MAX - 1) numbers.insert(numbers.end(), {b - 1, b, b + 1});
  auto value = [&](const FieldDef& f) -> std::int64_t {
    if (!f.allowed.empty()) return f.allowed[static_cast<std::size_t>(pick(static_cast<std::int64_t>(f.allowed.size())))];
    switch (f.type.kind) {
      case TypeKind::enumeration:
        return pick(static_cast<std::int64_t>(plan.schema.enums[static_cast<std::size_t>(f.type.enum_index)].members.size()));
      case TypeKind::boolean: return pick(2);
      case TypeKind::date: {
        static constexpr std::int64_t kBack[] = {-3, 0, 1, 2, 89, 90, 91, 364, 365, 366, 729, 730, 731, 1094, 1095, 1096};
        return as_of - (pick(2) ? kBack[pick(16)] : pick(5000));
      }
      default:
        return pick(2) ? numbers[static_cast<std::size_t>(pick(static_cast<std::int64_t>(numbers.size())))]
                       : pick(2'000'000) * 1000 - 500'000'000;
    }
  };
  SubjectTableBuilder b(plan.schema);
  const auto kinds = static_cast<std::int64_t>(std::max<std::size_t>(plan.schema.kinds.size(), 1));
  for (int i = 0; i < 1500; ++i) {
    std::vector<std::int64_t> sv;
    for (const FieldDef& f : plan.schema.subject_fields) sv.push_back(value(f));
    std::size_t s = b.add_subject(std::to_string(i), sv);
    const std::int64_t nrec = i % 101 == 7 ? 1200 : pick(13);
    for (std::int64_t k = 0; k < nrec; ++k) {
      std::vector<std::int64_t> rv;
      for (const FieldDef& f : plan.schema.record_fields) rv.push_back(value(f));
      b.add_record(s, pick(kinds), rv);
    }
  }
  return b.build();
}

TEST(Fold, EveryRulebookInRulesGivesTheSameOutcomesFolded) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(GRADUS_SOURCE_DIR) / "rules"))
    if (e.path().extension() == ".gradus") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 3u);
  std::size_t lanes = 0;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    Compilation c = compile_file(file.string());
    ASSERT_TRUE(c.ok()) << c.render();
    lanes += folded(*c.plan);
    for (std::uint64_t seed : {11u, 12u})
      expect_fold_agrees(*c.plan, random_table_for(*c.plan, seed, options(true).as_of), file.filename().string());
  }
  EXPECT_GT(lanes, files.size());  // most rulebooks fold something
}

/// A column read in place from its own copy, in the narrowest encoding its
/// values allow: bytes through a lookup, whole numbers as int16 scaled, or int64.
Column narrowed(const Column& c) {
  const std::vector<std::int64_t>& v = c.values();
  const bool bytes = std::all_of(v.begin(), v.end(), [](std::int64_t x) { return x >= 0 && x < 200; });
  const bool whole = std::all_of(v.begin(), v.end(), [](std::int64_t x) {
    return x % decimal::kScale == 0 && x / decimal::kScale >= INT16_MIN && x / decimal::kScale <= INT16_MAX;
  });
  Column::Encoding e;
  if (bytes) {
    auto copy = std::make_shared<std::vector<std::uint8_t>>(v.begin(), v.end());
    e.width = Column::Width::u8;
    e.low = 0;
    for (std::int64_t k = 0; k < 200; ++k) e.lookup.push_back(k);
    return Column::borrow(copy->data(), copy->size(), e, copy);
  }
  if (whole) {
    auto copy = std::make_shared<std::vector<std::int16_t>>();
    for (std::int64_t x : v) copy->push_back(static_cast<std::int16_t>(x / decimal::kScale));
    e.width = Column::Width::i16;
    e.scale = decimal::kScale;
    return Column::borrow(copy->data(), copy->size(), e, copy);
  }
  auto copy = std::make_shared<std::vector<std::int64_t>>(v);
  return Column::borrow(copy->data(), copy->size(), e, copy);
}

/// `t` with every column (and numeric ids) read in place.
SubjectTable borrowed(const SubjectTable& t) {
  SubjectTable b = t;
  auto ids = std::make_shared<std::vector<std::int64_t>>();
  for (const std::string& id : t.ids) ids->push_back(std::stoll(id));
  b.ids.clear();
  b.id_numbers = Column::borrow(ids->data(), ids->size(), {}, ids);
  for (Column& c : b.subject_columns) c = narrowed(c);
  for (Column& c : b.record_columns) c = narrowed(c);
  b.record_kind = narrowed(b.record_kind);
  return b;
}

TEST(Fold, EveryRulebookGivesTheSameOutcomesOnBorrowedColumns) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(GRADUS_SOURCE_DIR) / "rules"))
    if (e.path().extension() == ".gradus") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::set<Column::Width> widths;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    Compilation c = compile_file(file.string());
    ASSERT_TRUE(c.ok()) << c.render();
    const SubjectTable owned = random_table_for(*c.plan, 13, options(true).as_of);
    const SubjectTable b = borrowed(owned);
    ASSERT_NO_THROW(b.validate(c.plan->schema));
    for (const Column& col : b.record_columns) widths.insert(col.encoding().width);
    for (const Column& col : b.subject_columns) widths.insert(col.encoding().width);
    for (bool fold : {true, false})
      for (unsigned threads : {1u, 2u})
        expect_same(evaluate(*c.plan, b, options(fold, threads, 100)), evaluate(*c.plan, owned, options(fold)),
                    file.filename().string() + (fold ? " folded" : "") + ", threads " + std::to_string(threads));
  }
  // every encoding is exercised: byte lookups, scaled int16, int64
  EXPECT_EQ(widths, (std::set<Column::Width>{Column::Width::u8, Column::Width::i16, Column::Width::i64}));
}

// Rulebooks the evaluation fuzzer found faults with (a lane of one constant value packed at the
// end of a full word shifted by 64): folded and unfolded agree, and under the sanitizers nothing
// undefined happens on the way.
TEST(Fold, RulebooksFromFuzzingGiveTheSameOutcomesFolded) {
  const auto dir = std::filesystem::path(GRADUS_SOURCE_DIR) / "tests" / "fuzz" / "regressions" / "fuzz_eval";
  std::size_t compiled = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(e.path().filename().string());
    std::ifstream in(e.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Compilation c = compile_source(Source(e.path().filename().string(), text));
    if (!c.plan || !c.plan->categories.empty()) continue;
    ++compiled;
    for (std::uint64_t seed : {21u, 22u})
      expect_fold_agrees(*c.plan, random_table_for(*c.plan, seed, options(true).as_of), e.path().filename().string());
  }
  EXPECT_GE(compiled, 1u);
}

TEST(Fold, SubjectsWithoutRecordsAndEmptyTables) {
  auto plan = compile_text(std::string(kCases[0].rules) + kLadder);
  ASSERT_TRUE(plan);
  Shape none;
  none.max_records = 0;
  none.heavy_every = 1'000'000;
  expect_fold_agrees(*plan, random_table(*plan, 4, none), "no records");
  none.subjects = 0;
  expect_fold_agrees(*plan, random_table(*plan, 4, none), "no subjects");
}

// Entries so large that a subject's sum leaves int64 after a few dozen records:
// the lanes hold fewer records, larger subjects are added one by one and fail
// exactly where the instructions fail.
TEST(Fold, SumsAtTheInt64BoundaryFailAsTheInstructionsDo) {
  // 2^63 / 40 = 230584300921369395.2 millionths: 40 entries of 230584300921.369395 fit, 41 do not
  auto plan = compile_text(std::string(R"(
table big(s: Sev) -> decimal
  low -> 230584300921.369395
  mid -> -230584300921.369395
  high -> 1
score
  start at 0
  add a: sum(big[sev] over v) / 1000000000000
  add b: count(v)
)") + kLadder);
  ASSERT_TRUE(plan);
  detail::Program p = detail::fold(*plan, options(true).as_of);
  ASSERT_EQ(p.folds.size(), 1u);
  std::int64_t max_records = 0;
  for (const auto& f : p.folds) max_records = f.max_records;
  EXPECT_EQ(max_records, 40);  // the big lane: 40 * 230584300921.369395 <= INT64_MAX < 41 * ...

  SubjectTableBuilder b(plan->schema);
  auto subject = [&](int low, int mid, int high) {
    std::size_t s = b.add_subject(std::to_string(low) + "/" + std::to_string(mid) + "/" + std::to_string(high),
                                  {0, 0, 0, 0});
    auto add = [&](int sev, int count) {
      for (int k = 0; k < count; ++k) b.add_record(s, 0, {sev, 0, 0, 0, 0});
    };
    add(0, low);
    add(1, mid);
    add(2, high);
  };
  subject(40, 0, 0);    // exactly fits, packed
  subject(41, 0, 0);    // leaves the range: fails
  subject(41, 1, 0);    // 42 records, one by one: the sum fits
  subject(0, 41, 0);    // below the range: fails
  subject(0, 40, 5);    // fits
  subject(100, 100, 7); // large, cancels out
  subject(0, 0, 0);
  SubjectTable t = b.build();
  const Outcomes ref = evaluate(*plan, t, options(false));
  ASSERT_EQ(ref.errors.size(), 2u);
  EXPECT_EQ(ref.errors[0].subject, 1u);
  EXPECT_EQ(ref.errors[1].subject, 3u);
  EXPECT_NE(ref.errors[0].message.find("overflow in `sum(big[sev] over v)`"), std::string::npos)
      << ref.errors[0].message;
  expect_fold_agrees(*plan, t, "int64 boundary");
}

// An entry too large to sum kMinRecords of is not folded; the rest is.
TEST(Fold, LanesTooWideForThePackingStayInstructions) {
  auto plan = compile_text(std::string(R"(
table huge(s: Sev) -> decimal
  low -> 9000000000000
  otherwise -> 1
score
  start at 0
  add a: sum(huge[sev] over v) / 1000000000000
  add b: count(v)
)") + kLadder);
  ASSERT_TRUE(plan);
  EXPECT_EQ(folded(*plan), 1u);
  Shape shape;
  shape.subjects = 300;
  expect_fold_agrees(*plan, random_table(*plan, 5, shape), "too wide");
}

// Numbers reached through monotone maps: age(date) is (as_of - date) scaled,
// year(date), a constant minus a number, a number times a negative constant.
// Values where a map fails (dates far outside the calendar, products out of
// range) lie outside the fold: their chunks run the instructions, which fail
// those subjects exactly as always.
TEST(Fold, MonotoneMapsOfNumbersFoldAndTheirFailuresStayInstructions) {
  auto plan = compile_text(std::string(R"(
score
  start at 100
  deduct a: sum(decay[age(on)] over v)
  deduct b: 2 * count(w where year(on) = year(as_of) - 1)
  deduct c: count(x where age * -2 < -730 days)
  deduct d: count(v where 1000 days - age > 0 days)
  deduct e: count(w where age(on) >= 10 days and -age < -3 days)
)") + kLadder);
  ASSERT_TRUE(plan);
  EXPECT_EQ(folded(*plan), 5u);
  detail::Program p = detail::fold(*plan, options(true).as_of);
  bool narrowed = false;  // some feature covers only the values its maps do not fail for
  for (const auto& f : p.folds)
    for (const auto& feature : f.features) narrowed |= feature.first > 0 || feature.last + 1 < feature.size;
  EXPECT_TRUE(narrowed);

  Shape shape;
  shape.subjects = 1500;
  SubjectTable t = random_table(*plan, 8, shape);
  expect_fold_agrees(*plan, t, "ordinary values");
  const auto on = static_cast<std::size_t>(plan->schema.record_field("on"));
  const auto age = static_cast<std::size_t>(plan->schema.record_field("age"));
  static constexpr std::int64_t kDays[] = {INT64_MIN, INT64_MIN + 1, -9'300'000'000'000, -3'000'000'000'001,
                                           -3'000'000'000'000, 3'000'000'000'000, 3'000'000'000'001, INT64_MAX};
  static constexpr std::int64_t kAges[] = {INT64_MIN, -4'611'686'018'427'387'905, -4'611'686'018'427'387'904,
                                           4'611'686'018'427'387'904, INT64_MAX};
  for (std::size_t r = 0, k = 0; r < t.record_count(); r += 911, ++k) {
    t.record_columns[on].values()[r] = kDays[k % 8];
    t.record_columns[age].values()[r + 1 < t.record_count() ? r + 1 : r] = kAges[k % 5];
  }
  const Outcomes ref = evaluate(*plan, t, options(false));
  EXPECT_FALSE(ref.errors.empty());
  expect_fold_agrees(*plan, t, "values where the maps fail");
}

// Codes outside their enumeration, in records the aggregation does not read or
// does: the chunk runs the instructions, which fail the subject or not as always.
TEST(Fold, CodesOutsideTheDomainRunTheInstructions) {
  auto plan = compile_text(std::string(kCases[0].rules) + kLadder);
  ASSERT_TRUE(plan);
  for (int bad_kind : {0, 1}) {  // a bad severity on a violation (looked up) or on a w record (never read)
    SubjectTable t = random_table(*plan, 6);
    const int sev = plan->schema.record_field("sev");
    for (std::size_t r = 0; r < t.record_count(); r += 997) {
      t.record_kind.values()[r] = bad_kind;
      t.record_columns[static_cast<std::size_t>(sev)].values()[r] = 7;
    }
    const Outcomes ref = evaluate(*plan, t, options(false));
    EXPECT_EQ(ref.errors.empty(), bad_kind == 1);
    expect_fold_agrees(*plan, t, "bad codes");
  }
  SubjectTable t = random_table(*plan, 7);
  t.record_kind.values()[t.record_count() / 2] = 3;  // no such kind: refused either way
  EXPECT_THROW(evaluate(*plan, t, options(false)), UsageError);
  EXPECT_THROW(evaluate(*plan, t, options(true)), UsageError);
}

// The band segments computed for keys are those of the band instruction.
TEST(Fold, SegmentsCountTheThresholdsReached) {
  const std::vector<std::int64_t> th{-5, 0, 0, 7, 10, 20, 30, 40, 50, 60, 70};
  for (std::size_t n : {0u, 1u, 3u, 8u, 11u}) {
    detail::with_segments(th.data(), n, [&](auto segment) {
      for (std::int64_t x : {INT64_MIN, std::int64_t{-6}, std::int64_t{-5}, std::int64_t{0}, std::int64_t{9},
                             std::int64_t{10}, std::int64_t{69}, std::int64_t{70}, INT64_MAX}) {
        std::uint32_t want = 0;
        for (std::size_t j = 0; j < n; ++j) want += x >= th[j];
        EXPECT_EQ(segment(x), want) << n << " thresholds, x = " << x;
      }
    });
  }
}

}  // namespace
}  // namespace gradus
