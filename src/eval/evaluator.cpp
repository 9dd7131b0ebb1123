#include "gradus/eval/evaluator.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <mutex>
#include <thread>

#include <Eigen/Core>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/core/error.hpp"
#include "../core/memory.hpp"
#include "fold.hpp"
#include "runner.hpp"

namespace gradus {
namespace detail {

namespace {

using Vector = Eigen::Array<std::int64_t, Eigen::Dynamic, 1>;
using In = Eigen::Map<const Vector>;
using Out = Eigen::Map<Vector>;

// The keys of folded aggregations come from a pass per feature over a chunk's
// int64 columns. The passes are compiled twice: for the baseline processor, and
// with AVX2 where the processor has it (its 64-bit comparisons let the compiler
// vectorise the thresholds). Both compute the same integers.
#if defined(__GNUC__) && defined(__x86_64__)
#define GRADUS_AVX2_KERNELS 1
bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

/// Adds code * stride to key[i] for each value; the result's top bit is set
/// when some value lies outside 0..size-1.
[[gnu::always_inline]] inline std::uint64_t codes_body(const std::int64_t* v, std::size_t n, std::uint64_t size,
                                                       std::uint32_t stride, std::uint32_t* key) {
  std::uint64_t outside = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto code = static_cast<std::uint64_t>(v[i]);
    outside |= code | ~(code - size);  // top bit clear only when 0 <= code < size
    key[i] += static_cast<std::uint32_t>(code) * stride;
  }
  return outside;
}

/// Adds segment * stride to key[i] for each value, the segment being how many
/// of the N ascending thresholds the value reaches.
template <std::size_t N>
[[gnu::always_inline]] inline void segments_body(const std::int64_t* v, std::size_t n, const std::int64_t* th,
                                                 std::uint32_t stride, std::uint32_t* key) {
  std::int64_t t[N > 0 ? N : 1] = {};
  for (std::size_t j = 0; j < N; ++j) t[j] = th[j];
  for (std::size_t i = 0; i < n; ++i) key[i] += reached<N>(t, v[i]) * stride;
}

std::uint64_t codes_base(const std::int64_t* v, std::size_t n, std::uint64_t size, std::uint32_t stride,
                         std::uint32_t* key) {
  return codes_body(v, n, size, stride, key);
}
template <std::size_t N>
void segments_base(const std::int64_t* v, std::size_t n, const std::int64_t* th, std::uint32_t stride,
                   std::uint32_t* key) {
  segments_body<N>(v, n, th, stride, key);
}
#ifdef GRADUS_AVX2_KERNELS
[[gnu::target("avx2")]] std::uint64_t codes_avx2(const std::int64_t* v, std::size_t n, std::uint64_t size,
                                                 std::uint32_t stride, std::uint32_t* key) {
  return codes_body(v, n, size, stride, key);
}
template <std::size_t N>
[[gnu::target("avx2")]] void segments_avx2(const std::int64_t* v, std::size_t n, const std::int64_t* th,
                                           std::uint32_t stride, std::uint32_t* key) {
  segments_body<N>(v, n, th, stride, key);
}
#endif

/// Adds feature f's code times its stride to key[0..n) for the values v[0..n); the
/// result's top bit is set when some value lies outside the feature's codes.
std::uint64_t add_feature(const FoldFeature& f, const std::int64_t* v, std::size_t n, std::uint32_t* key) {
  const std::uint32_t stride = f.stride;
  if (f.thresholds.empty()) {
#ifdef GRADUS_AVX2_KERNELS
    if (has_avx2()) return codes_avx2(v, n, f.size, stride, key);
#endif
    return codes_base(v, n, f.size, stride, key);
  }
  if (f.first != 0 || f.last + 1 != f.size) {  // some values make an instruction on the way fail
    const std::uint32_t first = f.first, span = f.last - f.first;
    std::uint64_t outside = 0;
    with_segments(f.thresholds.data(), f.thresholds.size(), [&](auto segment) {
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t k = segment(v[i]);
        outside |= std::uint64_t{k - first > span} << 63;
        key[i] += k * stride;
      }
    });
    return outside;
  }
  const bool fixed = with_count(f.thresholds.size(), [&](auto count) {
    constexpr std::size_t N = decltype(count)::value;
#ifdef GRADUS_AVX2_KERNELS
    if (has_avx2()) return segments_avx2<N>(v, n, f.thresholds.data(), stride, key);
#endif
    segments_base<N>(v, n, f.thresholds.data(), stride, key);
  });
  if (!fixed)
    with_segments(f.thresholds.data(), f.thresholds.size(), [&](auto segment) {
      for (std::size_t i = 0; i < n; ++i) key[i] += segment(v[i]) * stride;
    });
  return 0;
}

/// Calls f(i) for every position: all of 0..n, or those listed in sel.
template <class F>
inline void each(const std::int32_t* sel, std::size_t sel_n, bool all, std::size_t n, F&& f) {
  if (all) {
    for (std::size_t i = 0; i < n; ++i) f(i);
  } else {
    for (std::size_t k = 0; k < sel_n; ++k) f(static_cast<std::size_t>(sel[k]));
  }
}

}  // namespace

Runner::Runner(const Plan& plan, const SubjectTable& table, std::int64_t as_of, const Program* program)
    : plan_(plan), table_(table), as_of_(as_of), program_(program) {
  bufs_.resize(plan.register_level.size());
  regs_.assign(plan.register_level.size(), nullptr);
  sel_bufs_.resize(plan.selection_level.size());
  sel_ptr_.assign(plan.selection_level.size(), nullptr);
  sel_size_.assign(plan.selection_level.size(), 0);
  kind_size_.assign(plan.schema.kinds.size(), 0);
  for (const PlanBandTable& t : plan.band_tables) band_thresholds_.push_back(band_thresholds(t));
  if (program_) fold_state_.resize(program_->folds.size());
  // the columns the plan reads (folds read a subset of the loads)
  subject_used_ = plan.reads(Level::subject);
  record_used_ = plan.reads(Level::record);
  subject_values_.assign(table.subject_columns.size(), nullptr);
  record_values_.assign(table.record_columns.size(), nullptr);
  decoded_.resize(table.subject_columns.size() + table.record_columns.size() + 1);
}

void Runner::load_columns() {
  const std::size_t ns = subject_values_.size();
  auto decode = [&](const Column& c, std::size_t slot, std::size_t first, std::size_t n, Level level,
                    std::int32_t column, const std::int64_t* kind, std::uint64_t kinds) -> const std::int64_t* {
    if (c.owned()) return c.data() + first;
    auto& buf = decoded_[slot];
    if (buf.size() < n) buf.resize(n);
    if (!c.decode(first, n, buf.data(), kind, kinds))
      for (std::size_t i : c.unreadable(first, n, kind, kinds))
        errors_.push_back({level, static_cast<std::int32_t>(i), column, Fault::unreadable});
    return buf.data();
  };
  kind_ = decode(table_.record_kind, decoded_.size() - 1, r0_, nr_, Level::record, -1, nullptr, 0);
  // a kind outside the schema's is a table that does not fit: checked before a kind selects anything
  const auto nk = static_cast<std::uint64_t>(std::max<std::size_t>(plan_.schema.kinds.size(), 1));
  bool outside = false;
  for (std::size_t i = 0; i < nr_; ++i) outside |= static_cast<std::uint64_t>(kind_[i]) >= nk;
  if (outside)
    for (std::size_t i = 0; i < nr_; ++i)
      if (static_cast<std::uint64_t>(kind_[i]) >= nk) bad_kind(i);
  for (std::size_t k = 0; k < ns; ++k)
    if (subject_used_[k])
      subject_values_[k] = decode(table_.subject_columns[k], k, s0_, ns_, Level::subject, static_cast<std::int32_t>(k),
                                  nullptr, 0);
  for (std::size_t k = 0; k < record_values_.size(); ++k)
    if (record_used_[k])
      record_values_[k] = decode(table_.record_columns[k], ns + k, r0_, nr_, Level::record,
                                 static_cast<std::int32_t>(k), kind_, plan_.schema.record_fields[k].kinds);
}

std::int64_t* Runner::out(std::int32_t r) {
  auto& b = bufs_[static_cast<std::size_t>(r)];
  std::size_t need = plan_.register_level[static_cast<std::size_t>(r)] == Level::subject ? ns_ : nr_;
  if (b.size() < need) b.resize(need);
  regs_[static_cast<std::size_t>(r)] = b.data();
  return b.data();
}

const std::int32_t* Runner::record_subjects() {
  if (!rec_subject_ready_) {
    // mark where each subject's records start, then a running sum numbers them;
    // no branch depends on how many records a subject has
    if (rec_subject_.size() < nr_ + 1) rec_subject_.resize(nr_ + 1);
    std::int32_t* rs = rec_subject_.data();
    std::fill(rs, rs + nr_ + 1, 0);
    const std::int64_t* off = table_.record_offsets.data() + s0_;
    for (std::size_t s = 1; s < ns_; ++s) ++rs[off[s] - static_cast<std::int64_t>(r0_)];
    std::int32_t running = 0;
    for (std::size_t i = 0; i < nr_; ++i) rs[i] = running += rs[i];
    rec_subject_ready_ = true;
  }
  return rec_subject_.data();
}

std::size_t Runner::subject_of_record(std::size_t position) const {
  const auto* off = table_.record_offsets.data() + s0_;
  const auto r = static_cast<std::int64_t>(r0_ + position);
  return static_cast<std::size_t>(std::upper_bound(off, off + ns_ + 1, r) - off) - 1;
}

template <class F>
void Runner::for_runs(const std::int32_t* sel, std::size_t n, F&& f) const {
  // a selection is ascending and a subject's records are contiguous, so the
  // selected records of one subject form one run [k, e) of the selection
  const std::int64_t* off = table_.record_offsets.data() + s0_;
  const auto r0 = static_cast<std::int64_t>(r0_);
  std::size_t s = 0, k = 0;
  while (k < n) {
    while (off[s + 1] - r0 <= sel[k]) ++s;
    const std::int64_t end = off[s + 1] - r0;
    std::size_t e = k + 1;
    while (e < n && sel[e] < end) ++e;
    f(s, k, e);
    k = e;
  }
}

void Runner::ensure_by_kind() {
  if (by_kind_ready_) return;
  // one pass: each record's index goes to its kind's list
  const std::size_t nk = plan_.schema.kinds.size();
  if (by_kind_.size() < nk * nr_) by_kind_.resize(nk * nr_);
  std::int32_t* tail[64] = {};
  for (std::size_t k = 0; k < nk; ++k) tail[k] = by_kind_.data() + k * nr_;
  for (std::size_t i = 0; i < nr_; ++i) *tail[kind_[i]]++ = static_cast<std::int32_t>(i);  // kinds checked by load_columns
  for (std::size_t k = 0; k < nk; ++k) kind_size_[k] = static_cast<std::size_t>(tail[k] - (by_kind_.data() + k * nr_));
  by_kind_ready_ = true;
}

void Runner::run(std::size_t first, std::size_t count) {
  s0_ = first;
  ns_ = count;
  r0_ = static_cast<std::size_t>(table_.record_offsets[first]);
  nr_ = static_cast<std::size_t>(table_.record_offsets[first + count]) - r0_;
  by_kind_ready_ = false;
  rec_subject_ready_ = false;
  errors_.clear();
  load_columns();
  const auto& code = plan_.code;
  if (program_) {
    bool ready = true;
    for (std::size_t f = 0; f < program_->folds.size() && ready; ++f)
      ready = prepare(program_->folds[f], fold_state_[f]);
    if (ready) {
      for (const Program::Step& step : program_->steps) {
        if (step.fold < 0) {
          exec(code[static_cast<std::size_t>(step.instr)], step.instr);
        } else {
          const auto f = static_cast<std::size_t>(step.fold);
          exec_fold(program_->folds[f], step.lane, fold_state_[f], step.instr);
        }
      }
      return;
    }
  }
  for (std::size_t k = 0; k < code.size(); ++k) exec(code[k], static_cast<std::int32_t>(k));
}

bool Runner::prepare(const Fold& fold, FoldState& st) {
  // each record's key (the record features) and each subject's (the subject features)
  const std::size_t ns = ns_, nr = nr_;  // locals: the stores cannot change them
  st.subject_key.assign(ns, 0);
  st.record_key.assign(nr, 0);
  std::uint64_t outside = 0;  // top bit set: a code outside its feature's
  for (const FoldFeature& f : fold.features) {
    const bool record = f.level == Level::record;
    const auto column = static_cast<std::size_t>(f.column);
    const std::int64_t* v = record ? (f.column < 0 ? kind_ : record_values_.at(column)) : subject_values_.at(column);
    outside |= add_feature(f, v, record ? nr : ns, record ? st.record_key.data() : st.subject_key.data());
  }
  if (outside >> 63) return false;

  // the subject's part of the key, as a change at its first record; subjects
  // with more records than the lanes hold are summed one by one
  const std::int64_t* off = table_.record_offsets.data() + s0_;
  const auto r0 = static_cast<std::int64_t>(r0_);
  st.delta.assign(nr + 1, 0);
  st.heavy.clear();
  std::uint32_t previous = 0;
  for (std::size_t s = 0; s < ns; ++s) {
    st.delta[static_cast<std::size_t>(off[s] - r0)] += st.subject_key[s] - previous;
    previous = st.subject_key[s];
    if (off[s + 1] - off[s] > fold.max_records) st.heavy.push_back(static_cast<std::int32_t>(s));
  }

  // running sums of the packed words (modulo 2^64), then each subject's as a difference
  const auto words = static_cast<std::size_t>(fold.words);
  st.prefix.resize(nr + 1);
  st.sums.resize(words * ns);
  const std::uint32_t* delta = st.delta.data();
  const std::uint32_t* rkey = st.record_key.data();
  std::uint64_t* prefix = st.prefix.data();
  for (std::size_t w = 0; w < words; ++w) {
    const std::uint64_t* packed = fold.packed.data() + w;
    auto running = [&](auto stride) {  // stride: the words per key (a constant 1 for most folds)
      std::uint32_t subject_key = 0;
      std::uint64_t acc = 0;
      prefix[0] = 0;
      for (std::size_t r = 0; r < nr; ++r) {
        subject_key += delta[r];
        acc += packed[static_cast<std::size_t>(subject_key + rkey[r]) * stride];
        prefix[r + 1] = acc;
      }
    };
    if (words == 1) running(std::integral_constant<std::size_t, 1>{});
    else running(words);
    std::uint64_t* sums = st.sums.data() + w * ns;
    for (std::size_t s = 0; s < ns; ++s) sums[s] = prefix[off[s + 1] - r0] - prefix[off[s] - r0];
  }
  return true;
}

void Runner::exec_fold(const Fold& fold, std::int32_t index, const FoldState& st, std::int32_t instr) {
  const FoldLane& lane = fold.lanes[static_cast<std::size_t>(index)];
  std::int64_t* d = out(lane.dst);
  const std::size_t ns = ns_;  // a local: the stores cannot change it
  const std::uint64_t* sums = st.sums.data() + static_cast<std::size_t>(lane.word) * ns_;
  const std::int64_t* off = table_.record_offsets.data() + s0_;
  const auto step = static_cast<std::uint64_t>(lane.step), low = static_cast<std::uint64_t>(lane.low);
  const std::uint64_t mask = lane.mask;
  const int shift = lane.shift;
  // entry = low + step * lane value, so a sum is step * (lane sum) + records * low; it fits
  // in int64, so the arithmetic modulo 2^64 is exact
  if (low != 0) {
    for (std::size_t s = 0; s < ns; ++s) {
      const std::uint64_t t = (sums[s] >> shift & mask) * step + static_cast<std::uint64_t>(off[s + 1] - off[s]) * low;
      d[s] = lane.op == Op::agg_any ? t != 0 : static_cast<std::int64_t>(t);
    }
  } else if (lane.op == Op::agg_any) {  // entries 0 or 1: any record added 1
    for (std::size_t s = 0; s < ns; ++s) {
      const std::uint64_t t = sums[s] >> shift & mask;
      d[s] = static_cast<std::int64_t>((t | (0 - t)) >> 63);  // 1 when t != 0
    }
  } else if (mask <= UINT32_MAX && step <= UINT32_MAX) {  // a 32 x 32-bit product (vectorises)
    const auto step32 = static_cast<std::uint32_t>(step);
    for (std::size_t s = 0; s < ns; ++s)
      d[s] = static_cast<std::int64_t>(std::uint64_t{static_cast<std::uint32_t>(sums[s] >> shift & mask)} * step32);
  } else {
    for (std::size_t s = 0; s < ns; ++s) d[s] = static_cast<std::int64_t>((sums[s] >> shift & mask) * step);
  }
  const auto r0 = static_cast<std::int64_t>(r0_);
  for (const std::int32_t s : st.heavy) {
    const auto si = static_cast<std::size_t>(s);
    decimal::int128 t = 0;
    for (std::int64_t r = off[si] - r0; r < off[si + 1] - r0; ++r)
      t += lane.entries[st.subject_key[si] + st.record_key[static_cast<std::size_t>(r)]];
    if (lane.op == Op::agg_any) {
      d[si] = t != 0;
    } else if (t > INT64_MAX || t < INT64_MIN) {
      errors_.push_back({Level::subject, s, instr, Fault::overflow});
      d[si] = 0;
    } else {
      d[si] = static_cast<std::int64_t>(t);
    }
  }
}

void Runner::bad_kind(std::size_t position) const {
  throw UsageError(fmt::format("evaluate: record {} has kind {}, outside the schema's {} kinds", r0_ + position,
                               kind_[position], plan_.schema.kinds.size()));
}

std::string Runner::describe(const PositionError& e) const {
  if (e.fault == Fault::unreadable) {
    const bool record = e.level == Level::record;
    return table_.describe_unreadable(plan_.schema, record, e.instr,
                                      (record ? r0_ : s0_) + static_cast<std::size_t>(e.position));
  }
  const Instr& in = plan_.code[static_cast<std::size_t>(e.instr)];
  std::string where;
  std::string text;
  if (plan_.source) {
    Location loc = plan_.source->location(in.span.begin);
    where = fmt::format("{}:{}:{}", plan_.source->name(), loc.line, loc.column);
    text = std::string(plan_.source->slice(in.span));
    if (text.size() > 80) text = text.substr(0, 77) + "...";
  }
  const char* what = e.fault == Fault::division_by_zero ? "division by zero"
                     : e.fault == Fault::bad_code       ? "a value outside its enumeration"
                                                        : "arithmetic overflow";
  return fmt::format("{} in `{}` at {}", what, text, where);
}

void Runner::exec(const Instr& in, std::int32_t index) {
  const bool all = in.sel < 0;
  const std::int32_t* sel = all ? nullptr : sel_ptr_[static_cast<std::size_t>(in.sel)];
  const std::size_t sel_n = all ? 0 : sel_size_[static_cast<std::size_t>(in.sel)];
  const std::size_t n = in.level == Level::subject ? ns_ : nr_;
  auto A = [&] { return regs_[static_cast<std::size_t>(in.a)]; };
  auto B = [&] { return regs_[static_cast<std::size_t>(in.b)]; };
  auto fail = [&](std::size_t i, Fault why) {
    errors_.push_back({in.level, static_cast<std::int32_t>(i), index, why});
  };
  // an operation that can fail: f(x, y, out) -> ok
  auto checked = [&](auto f, bool division_on_fail) {
    std::int64_t* d = out(in.dst);
    const std::int64_t* a = A();
    if (in.b < 0) {
      const std::int64_t k = in.imm;
      each(sel, sel_n, all, n, [&](std::size_t i) {
        if (!f(a[i], k, d[i])) { d[i] = 0; fail(i, division_on_fail && k == 0 ? Fault::division_by_zero : Fault::overflow); }
      });
    } else {
      const std::int64_t* b = B();
      each(sel, sel_n, all, n, [&](std::size_t i) {
        if (!f(a[i], b[i], d[i])) { d[i] = 0; fail(i, division_on_fail && b[i] == 0 ? Fault::division_by_zero : Fault::overflow); }
      });
    }
  };
  // add, sub and whole-number products over every position: a branch-free pass that notes
  // whether anything overflowed (wrapped(x, y, out) -> top bit set on overflow), then the
  // checked pass only if something did
  auto checked_dense = [&](auto f, auto wrapped) {
    if (all && in.dst != in.a && in.dst != in.b) {
      std::int64_t* d = out(in.dst);
      const std::int64_t* a = A();
      const std::size_t len = n;  // a local: the stores cannot change it
      std::uint64_t over = 0;
      if (in.b < 0) {
        const std::int64_t k = in.imm;
        for (std::size_t i = 0; i < len; ++i) over |= wrapped(a[i], k, d[i]);
      } else {
        const std::int64_t* b = B();
        for (std::size_t i = 0; i < len; ++i) over |= wrapped(a[i], b[i], d[i]);
      }
      if (!(over >> 63)) return;
    }
    checked(f, false);
  };
  // a total operation: f(x, y) -> value; dense runs go through Eigen
  auto total = [&](auto f, auto dense) {
    const std::int64_t* a = A();
    if (all && in.dst != in.a) {
      const auto len = static_cast<Eigen::Index>(n);
      Out d(out(in.dst), len);
      if (in.b < 0) dense(d, In(a, len), in.imm);
      else dense(d, In(a, len), In(B(), len));
      return;
    }
    std::int64_t* d = out(in.dst);
    a = A();  // dst may be a itself (tier updates in place)
    if (in.b < 0) {
      const std::int64_t k = in.imm;
      each(sel, sel_n, all, n, [&](std::size_t i) { d[i] = f(a[i], k); });
    } else {
      const std::int64_t* b = B();
      each(sel, sel_n, all, n, [&](std::size_t i) { d[i] = f(a[i], b[i]); });
    }
  };
  auto make_sel = [&](std::int32_t slot) -> std::vector<std::int32_t>& {
    return sel_bufs_[static_cast<std::size_t>(slot)];
  };
  auto publish = [&](std::int32_t slot, std::size_t size) {
    sel_ptr_[static_cast<std::size_t>(slot)] = sel_bufs_[static_cast<std::size_t>(slot)].data();
    sel_size_[static_cast<std::size_t>(slot)] = size;
  };

  switch (in.op) {
    case Op::constant: {
      std::int64_t* d = out(in.dst);
      const std::int64_t k = in.imm;
      each(sel, sel_n, all, n, [&](std::size_t i) { d[i] = k; });
      break;
    }
    case Op::as_of_offset:
    case Op::as_of_months: {
      std::int64_t* d = out(in.dst);
      const std::int64_t k = in.op == Op::as_of_offset ? as_of_ + in.imm : date::add_months(as_of_, in.imm);
      each(sel, sel_n, all, n, [&](std::size_t i) { d[i] = k; });
      break;
    }
    case Op::load_subject:
      regs_[static_cast<std::size_t>(in.dst)] = subject_values_[static_cast<std::size_t>(in.a)];
      break;
    case Op::load_record:
      regs_[static_cast<std::size_t>(in.dst)] =
          in.a < 0 ? kind_ : record_values_[static_cast<std::size_t>(in.a)];
      break;
    case Op::broadcast: {
      std::int64_t* d = out(in.dst);
      const std::int64_t* a = A();
      if (all) {
        const std::int64_t* off = table_.record_offsets.data() + s0_;
        for (std::size_t s = 0; s < ns_; ++s)
          std::fill(d + (off[s] - static_cast<std::int64_t>(r0_)), d + (off[s + 1] - static_cast<std::int64_t>(r0_)), a[s]);
      } else {
        const std::int32_t* rs = record_subjects();
        for (std::size_t k = 0; k < sel_n; ++k) d[sel[k]] = a[rs[sel[k]]];
      }
      break;
    }
    case Op::copy: {
      std::int64_t* d = out(in.dst);
      const std::int64_t* a = A();
      each(sel, sel_n, all, n, [&](std::size_t i) { d[i] = a[i]; });
      break;
    }
    case Op::add:
      checked_dense([](std::int64_t x, std::int64_t y, std::int64_t& r) { return decimal::add(x, y, r); },
                    [](std::int64_t x, std::int64_t y, std::int64_t& r) {
                      const std::uint64_t u = static_cast<std::uint64_t>(x) + static_cast<std::uint64_t>(y);
                      r = static_cast<std::int64_t>(u);
                      return (static_cast<std::uint64_t>(x) ^ u) & (static_cast<std::uint64_t>(y) ^ u);
                    });
      break;
    case Op::sub:
      checked_dense([](std::int64_t x, std::int64_t y, std::int64_t& r) { return decimal::sub(x, y, r); },
                    [](std::int64_t x, std::int64_t y, std::int64_t& r) {
                      const std::uint64_t u = static_cast<std::uint64_t>(x) - static_cast<std::uint64_t>(y);
                      r = static_cast<std::int64_t>(u);
                      return (static_cast<std::uint64_t>(x) ^ static_cast<std::uint64_t>(y)) & (static_cast<std::uint64_t>(x) ^ u);
                    });
      break;
    case Op::mul: checked([](std::int64_t x, std::int64_t y, std::int64_t& r) { return decimal::mul(x, y, r); }, false); break;
    case Op::mul_int:
      checked_dense([](std::int64_t x, std::int64_t y, std::int64_t& r) { return !__builtin_mul_overflow(x, y, &r); },
                    [](std::int64_t x, std::int64_t y, std::int64_t& r) {
                      return static_cast<std::uint64_t>(__builtin_mul_overflow(x, y, &r)) << 63;
                    });
      break;
    case Op::div: checked([](std::int64_t x, std::int64_t y, std::int64_t& r) { return decimal::div(x, y, r); }, true); break;
    case Op::neg:
      checked([](std::int64_t x, std::int64_t, std::int64_t& r) { return !__builtin_sub_overflow(std::int64_t{0}, x, &r); }, false);
      break;
    case Op::abs:
      checked([](std::int64_t x, std::int64_t, std::int64_t& r) {
        if (x == INT64_MIN) return false;
        r = x < 0 ? -x : x;
        return true;
      }, false);
      break;
    case Op::scale_int:
      checked([](std::int64_t x, std::int64_t, std::int64_t& r) { return decimal::from_int(x, r); }, false);
      break;
    case Op::year_of:  // a date far outside the calendar (from date arithmetic) fails its subject
      checked([](std::int64_t x, std::int64_t, std::int64_t& r) { return year_value(x, r); }, false);
      break;
    case Op::min:
      total([](std::int64_t x, std::int64_t y) { return x < y ? x : y; },
            [](Out& d, const In& a, const auto& b) { d = a.min(b); });
      break;
    case Op::max:
      total([](std::int64_t x, std::int64_t y) { return x > y ? x : y; },
            [](Out& d, const In& a, const auto& b) { d = a.max(b); });
      break;
#define GRADUS_CMP(OPNAME, SYM)                                                   \
  case Op::OPNAME:                                                                \
    total([](std::int64_t x, std::int64_t y) -> std::int64_t { return x SYM y; }, \
          [](Out& d, const In& a, const auto& b) { d = (a SYM b).template cast<std::int64_t>(); }); \
    break;
      GRADUS_CMP(eq, ==)
      GRADUS_CMP(ne, !=)
      GRADUS_CMP(lt, <)
      GRADUS_CMP(le, <=)
      GRADUS_CMP(gt, >)
      GRADUS_CMP(ge, >=)
#undef GRADUS_CMP
    case Op::logical_not: {
      std::int64_t* d = out(in.dst);
      const std::int64_t* a = A();
      each(sel, sel_n, all, n, [&](std::size_t i) { d[i] = a[i] == 0; });
      break;
    }
    case Op::band: {
      const std::vector<std::int64_t>& th = band_thresholds_[static_cast<std::size_t>(in.imm)];
      const std::int64_t* vals = plan_.band_tables[static_cast<std::size_t>(in.imm)].segment_values.data();
      std::int64_t* d = out(in.dst);
      const std::int64_t* a = A();
      with_segments(th.data(), th.size(), [&](auto segment) {
        each(sel, sel_n, all, n, [&](std::size_t i) { d[i] = vals[segment(a[i])]; });
      });
      break;
    }
    case Op::lookup: {
      const auto& table = plan_.lookup_tables[static_cast<std::size_t>(in.imm)].values;
      const std::int64_t* vals = table.data();
      const auto size = static_cast<std::uint64_t>(table.size());
      std::int64_t* d = out(in.dst);
      const std::int64_t* a = A();
      // codes come from the data: one outside the enumeration fails its subject, never reads out of bounds
      std::uint64_t bad = 0;
      each(sel, sel_n, all, n, [&](std::size_t i) {
        const auto code = static_cast<std::uint64_t>(a[i]);
        const bool ok = code < size;
        bad |= !ok;
        d[i] = vals[ok ? code : 0];
      });
      if (bad)
        each(sel, sel_n, all, n, [&](std::size_t i) {
          if (static_cast<std::uint64_t>(a[i]) >= size) {
            d[i] = 0;
            fail(i, Fault::bad_code);
          }
        });
      break;
    }
    case Op::sel_true:
    case Op::sel_false: {
      auto& s = make_sel(in.dst);
      if (s.size() < n) s.resize(n);
      const std::int64_t* a = A();
      std::size_t m = 0;
      std::int32_t* o = s.data();
      if (in.op == Op::sel_true) {
        each(sel, sel_n, all, n, [&](std::size_t i) { o[m] = static_cast<std::int32_t>(i); m += a[i] != 0; });
      } else {
        each(sel, sel_n, all, n, [&](std::size_t i) { o[m] = static_cast<std::int32_t>(i); m += a[i] == 0; });
      }
      publish(in.dst, m);
      break;
    }
    case Op::sel_cmp: {
      auto& s = make_sel(in.dst);
      if (s.size() < n) s.resize(n);
      const std::int64_t* a = A();
      const std::int64_t k = in.imm;
      std::size_t m = 0;
      std::int32_t* o = s.data();
      auto select = [&](auto test) {
        each(sel, sel_n, all, n, [&](std::size_t i) { o[m] = static_cast<std::int32_t>(i); m += test(a[i]); });
      };
      switch (static_cast<Op>(in.b)) {
        case Op::eq: select([k](std::int64_t x) { return x == k; }); break;
        case Op::ne: select([k](std::int64_t x) { return x != k; }); break;
        case Op::lt: select([k](std::int64_t x) { return x < k; }); break;
        case Op::le: select([k](std::int64_t x) { return x <= k; }); break;
        case Op::gt: select([k](std::int64_t x) { return x > k; }); break;
        case Op::ge: select([k](std::int64_t x) { return x >= k; }); break;
        default: throw UsageError("internal: sel_cmp with a non-comparison");
      }
      publish(in.dst, m);
      break;
    }
    case Op::sel_owners: {
      auto& s = make_sel(in.dst);
      if (s.size() < ns_ + 1) s.resize(ns_ + 1);  // one past the last subject: the loop writes ahead
      const std::int32_t* rsel = sel_ptr_[static_cast<std::size_t>(in.a)];
      const std::size_t rn = sel_size_[static_cast<std::size_t>(in.a)];
      const std::int32_t* rs = record_subjects();
      std::size_t m = 0;
      std::int32_t* o = s.data();
      std::int32_t last = -1;
      for (std::size_t k = 0; k < rn; ++k) {  // ascending records: their subjects ascend too
        const std::int32_t subject = rs[rsel[k]];
        o[m] = subject;
        m += subject != last;
        last = subject;
      }
      publish(in.dst, m);
      break;
    }
    case Op::sel_minus: {
      auto& s = make_sel(in.dst);
      if (s.size() < n) s.resize(n);
      const std::int32_t* drop = sel_ptr_[static_cast<std::size_t>(in.a)];
      const std::size_t drop_n = sel_size_[static_cast<std::size_t>(in.a)];
      std::size_t m = 0, j = 0;
      std::int32_t* o = s.data();
      each(sel, sel_n, all, n, [&](std::size_t i) {
        while (j < drop_n && static_cast<std::size_t>(drop[j]) < i) ++j;
        if (j < drop_n && static_cast<std::size_t>(drop[j]) == i) return;
        o[m++] = static_cast<std::int32_t>(i);
      });
      publish(in.dst, m);
      break;
    }
    case Op::sel_kinds: {
      const std::uint64_t mask = static_cast<std::uint64_t>(in.imm);
      const std::int64_t* kind = kind_;
      if (all && std::popcount(mask) == 1) {
        ensure_by_kind();
        auto k = static_cast<std::size_t>(std::countr_zero(mask));
        if (k < plan_.schema.kinds.size()) {
          sel_ptr_[static_cast<std::size_t>(in.dst)] = by_kind_.data() + k * nr_;
          sel_size_[static_cast<std::size_t>(in.dst)] = kind_size_[k];
        } else {
          sel_size_[static_cast<std::size_t>(in.dst)] = 0;
        }
        break;
      }
      auto& s = make_sel(in.dst);
      if (s.size() < nr_) s.resize(nr_);
      std::int32_t* o = s.data();
      std::size_t m = 0;
      auto scan = [&](std::size_t b, std::size_t e) {  // kinds checked by load_columns
        for (std::size_t i = b; i < e; ++i) {
          o[m] = static_cast<std::int32_t>(i);
          m += (mask >> kind[i]) & 1;
        }
      };
      if (all) {
        scan(0, nr_);
      } else {
        const auto& off = table_.record_offsets;
        for (std::size_t k = 0; k < sel_n; ++k) {
          std::size_t sj = s0_ + static_cast<std::size_t>(sel[k]);
          scan(static_cast<std::size_t>(off[sj]) - r0_, static_cast<std::size_t>(off[sj + 1]) - r0_);
        }
      }
      publish(in.dst, m);
      break;
    }
    case Op::agg_sum:
    case Op::agg_count:
    case Op::agg_any: {
      std::int64_t* d = out(in.dst);
      std::fill(d, d + ns_, 0);
      const std::int32_t* rsel = sel_ptr_[static_cast<std::size_t>(in.b)];
      const std::size_t rn = sel_size_[static_cast<std::size_t>(in.b)];
      const std::int32_t* rs = record_subjects();
      if (in.op != Op::agg_any) {
        // a running total that restarts at each new subject (a select, not a branch); the
        // last store per subject holds its total. count adds one per record.
        const std::int64_t* a = in.op == Op::agg_sum ? A() : nullptr;
        std::int64_t acc = 0;
        std::int32_t prev = -1;
        bool overflow = false;
        for (std::size_t k = 0; k < rn; ++k) {
          const std::int32_t i = rsel[k], s = rs[i];
          const std::int64_t base = s == prev ? acc : 0;
          overflow |= __builtin_add_overflow(base, a ? a[i] : decimal::kScale, &acc);
          d[s] = acc;
          prev = s;
        }
        if (overflow) {
          // a running total left the range: add those subjects again in 128 bits, so only
          // a sum that itself does not fit fails, whatever the order of the records
          for_runs(rsel, rn, [&](std::size_t s, std::size_t k, std::size_t e) {
            decimal::int128 t = 0;
            for (std::size_t j = k; j < e; ++j) t += a ? a[rsel[j]] : decimal::kScale;
            if (t > INT64_MAX || t < INT64_MIN) {
              errors_.push_back({Level::subject, static_cast<std::int32_t>(s), index, Fault::overflow});
              d[s] = 0;
            } else {
              d[s] = static_cast<std::int64_t>(t);
            }
          });
        }
      } else {
        for (std::size_t k = 0; k < rn; ++k) d[rs[rsel[k]]] = 1;
      }
      break;
    }
    case Op::agg_min:
    case Op::agg_max: {
      // subjects without records keep the `otherwise` value already in dst
      std::int64_t* d = out(in.dst);
      const std::int32_t* rsel = sel_ptr_[static_cast<std::size_t>(in.b)];
      const std::size_t rn = sel_size_[static_cast<std::size_t>(in.b)];
      const std::int64_t* a = A();
      const bool is_min = in.op == Op::agg_min;
      for_runs(rsel, rn, [&](std::size_t s, std::size_t k, std::size_t e) {
        std::int64_t v = a[rsel[k]];
        for (std::size_t j = k + 1; j < e; ++j) v = is_min ? std::min(v, a[rsel[j]]) : std::max(v, a[rsel[j]]);
        d[s] = v;
      });
      break;
    }
  }
}

}  // namespace detail

Outcomes evaluate(const Plan& plan, const SubjectTable& table, const EvalOptions& options) {
  Outcomes out;
  evaluate(plan, table, options, out);
  return out;
}

void evaluate(const Plan& plan, const SubjectTable& table, const EvalOptions& options, Outcomes& out) {
  // the shape is checked up front; codes where they are used (kinds per chunk, enum codes in lookups)
  table.validate(plan.schema, true);
  if (options.chunk_size == 0) throw UsageError("evaluate: chunk_size must be at least 1");
  if (plan.score_reg < 0 || plan.tier_reg < 0) throw UsageError("evaluate: the plan computes no score or tier");
  const std::size_t n = table.subject_count();
  // every element is written below, so growing without clearing is enough; fresh
  // buffers go to huge pages (first touches of fresh memory are costly)
  if (out.score.capacity() < n) {
    memory::size_huge(out.score, n);
    memory::size_huge(out.tier, n);
    memory::size_huge(out.overrides, n);
  }
  out.score.resize(n);
  out.tier.resize(n);
  out.overrides.resize(n);
  out.conditionals.assign(plan.conditionals.empty() ? 0 : n, 0);
  out.errors.clear();
  const std::size_t chunk = options.chunk_size;
  const std::size_t chunks = (n + chunk - 1) / chunk;
  unsigned threads = options.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : options.threads;
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(chunks, 1)));

  // aggregations over small domains become table lookups for this evaluation date
  const detail::Program program = options.fold ? detail::fold(plan, options.as_of) : detail::Program{};

  std::atomic<std::size_t> next{0}, done{0};
  std::mutex errors_mutex;
  std::vector<Outcomes::SubjectError> errors;
  std::exception_ptr failure;

  auto work = [&] {
    try {
      detail::Runner runner(plan, table, options.as_of, program.empty() ? nullptr : &program);
      std::vector<Outcomes::SubjectError> local;
      for (;;) {
        std::size_t c = next.fetch_add(1);
        if (c >= chunks) break;
        std::size_t first = c * chunk, count = std::min(chunk, n - first);
        runner.run(first, count);
        const std::int64_t* score = runner.reg(plan.score_reg);
        const std::int64_t* tier = runner.reg(plan.tier_reg);
        std::copy(score, score + count, out.score.data() + first);
        std::int32_t* tier_out = out.tier.data() + first;
        for (std::size_t i = 0; i < count; ++i) tier_out[i] = static_cast<std::int32_t>(tier[i]);
        std::uint64_t* fired = out.overrides.data() + first;
        std::fill(fired, fired + count, 0);
        for (std::size_t k = 0; k < plan.overrides.size(); ++k) {
          const std::int64_t* when = runner.reg(plan.overrides[k].when_reg);
          for (std::size_t i = 0; i < count; ++i) {
            const auto w = static_cast<std::uint64_t>(when[i]);
            fired[i] |= ((w | (0 - w)) >> 63) << k;  // 1 when w != 0
          }
        }
        for (std::size_t k = 0; k < plan.conditionals.size(); ++k) {  // measures with a condition
          const std::int64_t* when = runner.reg(plan.conditionals[k].when_reg);
          std::uint64_t* held = out.conditionals.data() + first;
          for (std::size_t i = 0; i < count; ++i) held[i] |= static_cast<std::uint64_t>(when[i] != 0) << k;
        }
        for (const auto& e : runner.errors()) {
          std::size_t s = e.level == Level::subject
                              ? static_cast<std::size_t>(e.position)
                              : runner.subject_of_record(static_cast<std::size_t>(e.position));
          local.push_back({first + s, runner.describe(e)});
        }
        std::size_t d = done.fetch_add(count) + count;
        if (options.progress && (c % 8 == 0 || d == n)) options.progress(d, n);
      }
      std::lock_guard<std::mutex> lock(errors_mutex);
      errors.insert(errors.end(), std::make_move_iterator(local.begin()), std::make_move_iterator(local.end()));
    } catch (...) {
      std::lock_guard<std::mutex> lock(errors_mutex);
      if (!failure) failure = std::current_exception();
    }
  };

  if (threads <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work);
    for (auto& t : pool) t.join();
  }
  if (failure) std::rethrow_exception(failure);

  // the first error of each subject, in subject order: the same whatever the threads
  std::stable_sort(errors.begin(), errors.end(),
                   [](const auto& a, const auto& b) { return a.subject < b.subject; });
  for (const auto& e : errors) {
    if (!out.errors.empty() && out.errors.back().subject == e.subject) continue;
    out.errors.push_back(e);
    out.tier[e.subject] = -1;
    out.score[e.subject] = 0;
  }
  spdlog::debug("gradus: evaluated {} subjects in {} chunks on {} threads, {} failed", n, chunks, threads,
                out.errors.size());
}

}  // namespace gradus
