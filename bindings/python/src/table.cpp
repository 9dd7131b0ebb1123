#include "table.hpp"

#include <datetime.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>

#include "core/memory.hpp"  // huge pages for fresh buffers, as the CSV loader does

namespace gradus::python {
namespace {

constexpr std::int64_t kScale = decimal::kScale;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);
constexpr std::size_t kJobRows = std::size_t{1} << 20;  // rows per conversion job

// ---------------------------------------------------------------- targets

/// What a column converts to: a field's type, or the record kind.
struct Target {
  const Schema* schema = nullptr;
  Type type;
  std::string type_name;                  // for messages
  std::vector<std::string> names;         // enumerations and kinds: what data may say
  std::vector<std::int32_t> small_codes;  // enumerations and kinds: code of the integer v at v + 1 (-1..255), or -1
  bool small_ints = true;                 // enumerations and kinds: small_codes covers every integer that names a member

  Target(const Schema& s, Type t) : schema(&s), type(t), type_name(t.kind == TypeKind::kind ? "kind" : s.type_name(t)) {
    if (t.kind == TypeKind::enumeration) {
      const EnumType& e = s.enums.at(static_cast<std::size_t>(t.enum_index));
      names = e.members;
      for (const auto& l : e.labels)
        if (!l.empty()) names.push_back(l);
    } else if (t.kind == TypeKind::kind) {
      names = s.kinds;
    }
    if (is_enum()) {
      for (int v = -1; v <= 255; ++v) {
        std::int64_t code;
        small_codes.push_back(parse_value(s, t, std::to_string(v), code) ? static_cast<std::int32_t>(code) : -1);
      }
      for (const auto& name : names) {  // an integer beyond small_codes that names a member?
        std::int64_t v;
        const auto r = std::from_chars(name.data(), name.data() + name.size(), v);
        if (r.ec == std::errc() && r.ptr == name.data() + name.size() && std::to_string(v) == name && (v < -1 || v > 255))
          small_ints = false;
      }
    }
  }
  bool is_enum() const { return type.kind == TypeKind::enumeration || type.kind == TypeKind::kind; }
  bool is_number() const { return type.is_numeric(); }
};

using Why = std::string;  // filled only when a conversion fails

bool from_text(const Target& t, std::string_view s, std::int64_t& out, Why& why) {
  if (parse_value(*t.schema, t.type, s, out)) return true;
  switch (t.type.kind) {
    case TypeKind::enumeration:
    case TypeKind::kind: {
      why = fmt::format("unknown {} '{}'", t.type_name, s);
      const std::string best = did_you_mean(s, t.names);
      if (!best.empty()) why += fmt::format(" (did you mean '{}'?)", best);
      return false;
    }
    case TypeKind::boolean: why = fmt::format("not a bool (true, false, 1 or 0): '{}'", s); return false;
    case TypeKind::date: why = fmt::format("not a date (YYYY-MM-DD): '{}'", s); return false;
    case TypeKind::integer: why = fmt::format("not a whole number: '{}'", s); return false;
    default: why = fmt::format("not a number with at most 6 decimals: '{}'", s); return false;
  }
}

bool from_int(const Target& t, std::int64_t v, std::int64_t& out, Why& why) {
  if (t.is_number()) {
    if (__builtin_mul_overflow(v, kScale, &out)) {
      why = fmt::format("out of range: {}", v);
      return false;
    }
    return true;
  }
  if (t.type.kind == TypeKind::boolean) {
    if (v == 0 || v == 1) {
      out = v;
      return true;
    }
    why = fmt::format("not a bool (0 or 1): {}", v);
    return false;
  }
  if (t.is_enum()) {
    if (v >= -1 && v <= 255 && t.small_codes[static_cast<std::size_t>(v + 1)] >= 0) {
      out = t.small_codes[static_cast<std::size_t>(v + 1)];
      return true;
    }
    return from_text(t, std::to_string(v), out, why);
  }
  why = fmt::format("an integer where a {} is expected: {}", t.type_name, v);
  return false;
}

bool from_uint(const Target& t, std::uint64_t v, std::int64_t& out, Why& why) {
  if (v > static_cast<std::uint64_t>(INT64_MAX)) {
    why = fmt::format("out of range: {}", v);
    return false;
  }
  return from_int(t, static_cast<std::int64_t>(v), out, why);
}

/// x rounded half away from zero to 6 decimals, x read as the shortest decimal
/// that round-trips to it (what Python's repr prints): 0.1234565 -> 0.123457.
bool round_double(double x, std::int64_t& out) {
  const double y = x * 1e6;
  if (std::fabs(y) < 0x1p50) {
    // x*1e6 is within a few units in the last place of the decimal's exact
    // millionths; away from a half the rounding is already settled.
    const double f = std::floor(y), frac = y - f;
    const double margin = 8 * std::ldexp(1.0, std::ilogb(y == 0 ? 1.0 : y) - 52);
    if (std::fabs(frac - 0.5) > margin) {
      out = static_cast<std::int64_t>(f) + (frac > 0.5 ? 1 : 0);
      return true;
    }
  }
  // Near a half or very large: round the shortest decimal exactly.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf - 1, x);
  if (ec != std::errc()) return false;
  *end = '\0';  // for atoi below
  const char* p = buf;
  const bool negative = *p == '-';
  if (negative) ++p;
  decimal::int128 digits = 0;
  int exponent = 0;  // value = digits * 10^exponent
  bool fraction = false;
  for (; p < end && *p != 'e'; ++p) {
    if (*p == '.') {
      fraction = true;
      continue;
    }
    digits = digits * 10 + (*p - '0');
    if (fraction) --exponent;
  }
  if (p < end) exponent += std::atoi(p + 1);
  exponent += decimal::kDigits;  // now in millionths
  if (exponent >= 0) {
    for (int k = 0; k < exponent; ++k) {
      digits *= 10;
      if (digits > INT64_MAX) return false;
    }
  } else if (exponent < -18) {
    digits = 0;  // fewer than 18 significant digits: far below half a millionth
  } else {
    decimal::int128 div = 1;
    for (int k = 0; k < -exponent; ++k) div *= 10;
    const decimal::int128 q = digits / div, r = digits % div;
    digits = q + (2 * r >= div ? 1 : 0);
  }
  if (digits > INT64_MAX) return false;
  out = negative ? -static_cast<std::int64_t>(digits) : static_cast<std::int64_t>(digits);
  return true;
}

bool from_double(const Target& t, double x, std::int64_t& out, Why& why) {
  if (std::isnan(x)) {
    why = "NaN";
    return false;
  }
  if (std::isinf(x)) {
    why = "infinite value";
    return false;
  }
  const bool whole = x == std::trunc(x);
  if (t.is_number() && t.type.kind != TypeKind::integer) {
    if (round_double(x, out)) return true;
    why = fmt::format("out of range: {}", x);
    return false;
  }
  if (t.type.kind == TypeKind::integer || t.is_enum()) {
    if (!whole) {
      why = t.is_enum() ? fmt::format("unknown {} '{}'", t.type_name, x) : fmt::format("not a whole number: {}", x);
      return false;
    }
    if (std::fabs(x) >= 0x1p62) {
      why = fmt::format("out of range: {}", x);
      return false;
    }
    return from_int(t, static_cast<std::int64_t>(x), out, why);
  }
  why = fmt::format("a float where a {} is expected: {}", t.type_name, x);
  return false;
}

bool from_bool(const Target& t, bool b, std::int64_t& out, Why& why) {
  if (t.type.kind == TypeKind::boolean) {
    out = b ? 1 : 0;
    return true;
  }
  why = fmt::format("a bool where a {} is expected", t.type_name);
  return false;
}

std::int64_t first_day() { return date::from_civil(1, 1, 1); }
std::int64_t last_day() { return date::from_civil(9999, 12, 31); }

bool from_day(std::int64_t days, std::int64_t& out, Why& why) {
  static const std::int64_t lo = first_day(), hi = last_day();
  if (days < lo || days > hi) {
    why = fmt::format("date out of range (0001-01-01 to 9999-12-31): day {} after 1970-01-01", days);
    return false;
  }
  out = days;
  return true;
}

/// A datetime64 count in units of 1/per_day day.
bool from_datetime(std::int64_t count, std::int64_t per_day, std::int64_t& out, Why& why) {
  if (count == INT64_MIN) {
    why = "missing value (NaT)";
    return false;
  }
  std::int64_t day = count / per_day, rest = count % per_day;
  if (rest < 0) --day, rest += per_day;
  if (rest != 0) {
    why = fmt::format("has a time of day (day {} and {}/{} of a day)", date::format(day), rest, per_day);
    return false;
  }
  return from_day(day, out, why);
}

std::string type_of(py::handle o) { return py::str(py::type::handle_of(o).attr("__name__")); }

void import_datetime() {
  if (!PyDateTimeAPI) PyDateTime_IMPORT;
  if (!PyDateTimeAPI) throw py::error_already_set();
}

/// One Python value; the GIL must be held.
bool from_object(const Target& t, py::handle o, std::int64_t& out, Why& why) {
  if (o.is_none()) {
    why = "missing value (None)";
    return false;
  }
  const std::string tn = type_of(o);
  if (tn == "NAType" || tn == "NaTType") {
    why = fmt::format("missing value ({})", tn == "NAType" ? "pd.NA" : "NaT");
    return false;
  }
  if (PyBool_Check(o.ptr()) || tn == "bool_") return from_bool(t, py::cast<bool>(o), out, why);
  if (PyUnicode_Check(o.ptr())) {
    Py_ssize_t size = 0;
    const char* s = PyUnicode_AsUTF8AndSize(o.ptr(), &size);
    if (!s) throw py::error_already_set();
    return from_text(t, std::string_view(s, static_cast<std::size_t>(size)), out, why);
  }
  if (PyFloat_Check(o.ptr())) return from_double(t, PyFloat_AS_DOUBLE(o.ptr()), out, why);
  if (PyIndex_Check(o.ptr())) {
    py::int_ i = py::reinterpret_steal<py::int_>(PyNumber_Index(o.ptr()));
    if (!i) throw py::error_already_set();
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
    if (overflow) {
      why = fmt::format("out of range: {}", std::string(py::str(i)));
      return false;
    }
    return from_int(t, v, out, why);
  }
  import_datetime();
  if (PyDate_Check(o.ptr())) {
    if (t.type.kind != TypeKind::date) {
      why = fmt::format("a {} where a {} is expected", tn, t.type_name);
      return false;
    }
    if (PyDateTime_Check(o.ptr()) &&
        (PyDateTime_DATE_GET_HOUR(o.ptr()) || PyDateTime_DATE_GET_MINUTE(o.ptr()) ||
         PyDateTime_DATE_GET_SECOND(o.ptr()) || PyDateTime_DATE_GET_MICROSECOND(o.ptr()))) {
      why = fmt::format("has a time of day: {}", std::string(py::str(o)));
      return false;
    }
    return from_day(date::from_civil(PyDateTime_GET_YEAR(o.ptr()), static_cast<unsigned>(PyDateTime_GET_MONTH(o.ptr())),
                                     static_cast<unsigned>(PyDateTime_GET_DAY(o.ptr()))),
                    out, why);
  }
  if (tn == "Decimal") {
    if (!py::cast<bool>(o.attr("is_finite")())) {
      why = fmt::format("not a finite number: {}", std::string(py::str(o)));
      return false;
    }
    return from_text(t, std::string(py::str(py::module_::import("builtins").attr("format")(o, "f"))), out, why);
  }
  if (PyFloat_Check(o.ptr()) || PyNumber_Check(o.ptr())) {
    const double x = PyFloat_AsDouble(o.ptr());
    if (x == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    return from_double(t, x, out, why);
  }
  why = fmt::format("a value of type {} where a {} is expected", tn, t.type_name);
  return false;
}

// ---------------------------------------------------------------- sources

/// Keeps a Python object alive from C++ (released with the GIL, wherever the last owner goes).
std::shared_ptr<const void> keeper(py::object o) {
  return std::shared_ptr<const void>(new py::object(std::move(o)), [](const void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<const py::object*>(p);
  });
}

/// A column ready to be read without the GIL.
struct Source {
  std::string name;          // column name
  const char* side = "";     // "subjects" or "records"
  char kind = 0;             // numpy kind ('i', 'u', 'f', 'b', 'M'), 'O' objects, 'C' categorical codes
  std::size_t itemsize = 0;
  const char* data = nullptr;
  std::ptrdiff_t stride = 0;
  std::size_t size = 0;
  std::int64_t per_day = 1;  // 'M': counts per day
  // 'O': one converted value per row; 'C': one per category. Converted with the GIL held.
  std::vector<std::int64_t> values;
  std::vector<std::uint8_t> bad;           // parallel to values: 1 when it could not be converted
  std::map<std::size_t, std::string> why;  // the reasons of the bad ones
  std::shared_ptr<const void> owner;       // the array read, for a table that reads it in place

  template <class T>
  T at(std::size_t i) const {
    T v;
    std::memcpy(&v, data + static_cast<std::ptrdiff_t>(i) * stride, sizeof(T));
    return v;
  }
  std::string where(std::size_t row) const { return fmt::format("{} row {}, column '{}'", side, row, name); }
};

std::int64_t per_day_of(const py::dtype& dt, const std::string& what) {
  const std::string s = py::str(static_cast<const py::handle&>(dt));  // e.g. datetime64[ns]
  const auto open = s.find('['), close = s.find(']');
  const std::string unit = open == std::string::npos ? "" : s.substr(open + 1, close - open - 1);
  if (unit == "D") return 1;
  if (unit == "h") return 24;
  if (unit == "m") return 24 * 60;
  if (unit == "s") return 86'400;
  if (unit == "ms") return 86'400'000;
  if (unit == "us") return 86'400'000'000;
  if (unit == "ns") return 86'400'000'000'000;
  throw py::type_error(fmt::format("{}: dtype {} is not supported for dates (use days, seconds, ms, us or ns)", what, s));
}

/// Which numpy kinds a target takes, and how to say so.
bool accepts(const Target& t, char kind) {
  switch (kind) {
    case 'i':
    case 'u': return t.type.kind != TypeKind::date;
    case 'f': return t.is_number() || t.is_enum();
    case 'b': return t.type.kind == TypeKind::boolean;
    case 'M': return t.type.kind == TypeKind::date;
    default: return false;
  }
}

std::string accepted(const Target& t) {
  switch (t.type.kind) {
    case TypeKind::boolean: return "bool, integers 0 and 1, or objects (bool, 'true', 'false')";
    case TypeKind::date: return "datetime64, or objects ('YYYY-MM-DD', datetime.date, pandas.Timestamp)";
    case TypeKind::enumeration:
    case TypeKind::kind: return "strings (object dtype), pandas categoricals, or integers matched as text";
    default: return "integers, floats, or objects (int, float, str, decimal.Decimal)";
  }
}

/// A one-dimensional numpy array, or the Python object for messages.
py::array as_array(const py::handle& o, const std::string& what) {
  if (!py::isinstance<py::array>(o))
    throw py::type_error(fmt::format("{}: expected a numpy array, got {}", what, type_of(o)));
  py::array a = py::reinterpret_borrow<py::array>(o);
  if (a.ndim() != 1) throw py::type_error(fmt::format("{}: expected a one-dimensional array, got {} dimensions", what, a.ndim()));
  if (!a.dtype().attr("isnative").cast<bool>())  // bytes in the other order: read a native copy
    a = a.attr("astype")(a.dtype().attr("newbyteorder")("="));
  return a;
}

void view(Source& s, const py::array& a) {
  s.itemsize = static_cast<std::size_t>(a.itemsize());
  s.data = static_cast<const char*>(a.data());
  s.stride = a.strides(0);
  s.size = static_cast<std::size_t>(a.shape(0));
}

/// Converts every element of an object array (or a small typed one) with the GIL held.
void convert_objects(Source& s, const py::array& a, const Target& t) {
  const std::size_t n = static_cast<std::size_t>(a.shape(0));
  s.values.assign(n, 0);
  s.bad.assign(n, 0);
  py::list items = a.attr("tolist")();
  for (std::size_t i = 0; i < n; ++i) {
    Why why;
    if (!from_object(t, items[i], s.values[i], why)) {
      s.bad[i] = 1;
      s.why.emplace(i, std::move(why));
    }
  }
}

/// Prepares a column (GIL held): typed arrays are viewed, objects and categories converted.
Source make_source(const char* side, const std::string& name, const py::handle& column, const Target& t) {
  Source s;
  s.side = side;
  s.name = name;
  const std::string what = fmt::format("{} column '{}'", side, name);
  if (py::isinstance<py::tuple>(column)) {
    py::tuple tup = py::reinterpret_borrow<py::tuple>(column);
    if (tup.size() != 3 || py::str(tup[0]).cast<std::string>() != "categorical")
      throw py::type_error(fmt::format("{}: expected an array or ('categorical', codes, categories)", what));
    py::array codes = as_array(tup[1], what + " codes");
    if (codes.dtype().kind() != 'i') throw py::type_error(fmt::format("{}: categorical codes must be signed integers", what));
    view(s, codes);
    s.owner = keeper(codes);
    s.kind = 'C';
    Source cats;
    convert_objects(cats, as_array(tup[2], what + " categories"), t);
    s.values = std::move(cats.values);
    s.bad = std::move(cats.bad);
    s.why = std::move(cats.why);
    return s;
  }
  py::array a = as_array(column, what);
  s.owner = keeper(a);  // the array read (a native copy of one in the other byte order)
  const char kind = a.dtype().kind();
  if (kind == 'O') {
    s.kind = 'O';
    s.size = static_cast<std::size_t>(a.shape(0));
    convert_objects(s, a, t);
    return s;
  }
  if (kind == 'U' || kind == 'S') {
    s.kind = 'O';
    s.size = static_cast<std::size_t>(a.shape(0));
    convert_objects(s, a.attr("astype")("object"), t);
    return s;
  }
  if (!accepts(t, kind))
    throw py::type_error(fmt::format("{}: dtype {} cannot hold a {} (accepted: {})", what,
                                     std::string(py::str(static_cast<py::handle>(a.dtype()))), t.type_name, accepted(t)));
  s.kind = kind;
  if (kind == 'M') s.per_day = per_day_of(a.dtype(), what);
  view(s, a);
  return s;
}

// ---------------------------------------------------------------- conversion

/// Where converted values go.
struct Sink {
  std::int64_t* out = nullptr;
  const std::uint32_t* dest = nullptr;  // table position of each input row; null = the same
  const std::int64_t* kind = nullptr;   // record kind at each table position (record fields only)
  std::uint64_t kinds = ~0ull;          // kinds that have the field
  bool non_negative = false;            // a negative value is a problem (breach inputs)
};

/// The first bad value a job met.
struct Problem {
  std::size_t row = kNone;
  std::string why;
};

template <class Fn>
void run_rows(const Sink& sink, std::size_t lo, std::size_t hi, Problem& p, Fn&& convert) {
  for (std::size_t i = lo; i < hi; ++i) {
    const std::size_t at = sink.dest ? sink.dest[i] : i;
    if (sink.kind && !((sink.kinds >> sink.kind[at]) & 1)) {
      sink.out[at] = 0;  // the record's kind has no such field: not read
      continue;
    }
    Why why;
    if (!convert(i, sink.out[at], why)) {
      p = {i, std::move(why)};
      return;
    }
    if (sink.non_negative && sink.out[at] < 0) {
      p = {i, fmt::format("negative value {}; breach inputs are amounts and counts", decimal::format(sink.out[at]))};
      return;
    }
  }
}

template <class T>
bool convert_value(const Target& t, T v, std::int64_t& out, Why& why) {
  if constexpr (std::is_same_v<T, bool>) return from_bool(t, v, out, why);
  else if constexpr (std::is_floating_point_v<T>) return from_double(t, static_cast<double>(v), out, why);
  else if constexpr (std::is_signed_v<T>) return from_int(t, static_cast<std::int64_t>(v), out, why);
  else return from_uint(t, static_cast<std::uint64_t>(v), out, why);
}

/// Calls f(T{}) with T the C++ type of a typed source's elements.
template <class F>
void with_type(char kind, std::size_t itemsize, F&& f) {
  switch (kind) {
    case 'b': return f(bool{});
    case 'f':
      if (itemsize == 4) return f(float{});
      if (itemsize == 8) return f(double{});
      break;
    case 'u':
      if (itemsize == 1) return f(std::uint8_t{});
      if (itemsize == 2) return f(std::uint16_t{});
      if (itemsize == 4) return f(std::uint32_t{});
      if (itemsize == 8) return f(std::uint64_t{});
      break;
    case 'i':
    case 'C':
    case 'M':
      if (itemsize == 1) return f(std::int8_t{});
      if (itemsize == 2) return f(std::int16_t{});
      if (itemsize == 4) return f(std::int32_t{});
      if (itemsize == 8) return f(std::int64_t{});
      break;
  }
  throw py::type_error(fmt::format("unsupported dtype kind '{}' of {} bytes", kind, itemsize));
}

void convert_rows(const Source& s, const Target& t, const Sink& sink, std::size_t lo, std::size_t hi, Problem& p) {
  if (s.kind == 'O') {
    return run_rows(sink, lo, hi, p, [&](std::size_t i, std::int64_t& out, Why& why) {
      if (s.bad[i]) {
        why = s.why.at(i);
        return false;
      }
      out = s.values[i];
      return true;
    });
  }
  with_type(s.kind, s.itemsize, [&](auto zero) {
    using T = decltype(zero);
    if (s.kind == 'M') {
      if constexpr (std::is_same_v<T, std::int64_t>)
        run_rows(sink, lo, hi, p, [&](std::size_t i, std::int64_t& out, Why& why) {
          return from_datetime(s.at<std::int64_t>(i), s.per_day, out, why);
        });
    } else if (s.kind == 'C') {
      if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
        run_rows(sink, lo, hi, p, [&](std::size_t i, std::int64_t& out, Why& why) {
          const auto c = static_cast<std::int64_t>(s.at<T>(i));
          if (c < 0 || static_cast<std::size_t>(c) >= s.values.size()) {
            why = c < 0 ? "missing value (NaN)" : fmt::format("categorical code {} out of range", c);
            return false;
          }
          if (s.bad[static_cast<std::size_t>(c)]) {
            why = s.why.at(static_cast<std::size_t>(c));
            return false;
          }
          out = s.values[static_cast<std::size_t>(c)];
          return true;
        });
    } else {
      run_rows(sink, lo, hi, p, [&](std::size_t i, std::int64_t& out, Why& why) {
        return convert_value(t, s.at<T>(i), out, why);
      });
    }
  });
}

/// Runs jobs 0..n-1 on up to `threads` threads (0 = one per hardware thread).
template <class F>
void parallel_for(std::size_t n, unsigned threads, F&& f) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t workers = std::min<std::size_t>(threads, n);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t j; (j = next.fetch_add(1)) < n;) f(j);
  };
  std::vector<std::thread> pool;
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

/// One column to convert into the table.
struct Task {
  const Source* source;
  const Target* target;
  Sink sink;
};

/// A bad value, with the column it is in.
using Problems = std::vector<std::pair<const Source*, Problem>>;

/// Converts the tasks (GIL released by the caller), adding the first problem of each to `problems`.
void convert_all(const std::vector<Task>& tasks, unsigned threads, Problems& problems) {
  struct Job {
    std::size_t task, lo, hi;
  };
  std::vector<Job> jobs;
  for (std::size_t k = 0; k < tasks.size(); ++k)
    for (std::size_t lo = 0; lo < tasks[k].source->size; lo += kJobRows)
      jobs.push_back({k, lo, std::min(tasks[k].source->size, lo + kJobRows)});
  std::vector<Problem> found(jobs.size());
  parallel_for(jobs.size(), threads, [&](std::size_t j) {
    const Task& t = tasks[jobs[j].task];
    convert_rows(*t.source, *t.target, t.sink, jobs[j].lo, jobs[j].hi, found[j]);
  });
  std::vector<Problem> first(tasks.size());
  for (std::size_t j = 0; j < jobs.size(); ++j)
    if (found[j].row < first[jobs[j].task].row) first[jobs[j].task] = std::move(found[j]);
  for (std::size_t k = 0; k < tasks.size(); ++k)
    if (first[k].row != kNone) problems.emplace_back(tasks[k].source, std::move(first[k]));
}

// ---------------------------------------------------------------- in place

/// How a source is read in place for target t (Column::borrow), or nothing
/// when it must be converted: the decoding gives exactly what conversion would.
std::optional<Column::Encoding> in_place(const Source& s, const Target& t) {
  if (s.kind == 'O' || s.kind == 'f' || s.itemsize == 0 || s.stride != static_cast<std::ptrdiff_t>(s.itemsize) ||
      reinterpret_cast<std::uintptr_t>(s.data) % s.itemsize != 0)
    return std::nullopt;
  Column::Encoding e;
  const bool is_unsigned = s.kind == 'u' || s.kind == 'b';
  switch (s.itemsize) {
    case 1: e.width = is_unsigned ? Column::Width::u8 : Column::Width::i8; break;
    case 2: e.width = is_unsigned ? Column::Width::u16 : Column::Width::i16; break;
    case 4: e.width = is_unsigned ? Column::Width::u32 : Column::Width::i32; break;
    case 8:
      if (is_unsigned) return std::nullopt;  // uint64 beyond int64 must be refused by value
      e.width = Column::Width::i64;
      break;
    default: return std::nullopt;
  }
  auto codes = [&](std::size_t count, auto code_of) {  // lookup of raw -1 .. count - 2
    e.low = -1;
    e.lookup.resize(count);
    for (std::size_t k = 0; k < count; ++k) {
      const std::int64_t c = code_of(k);
      e.lookup[k] = c < 0 ? Column::kNoValue : c;
    }
  };
  switch (s.kind) {
    case 'C': {  // code -1 (missing) and bad categories cannot be read
      for (std::size_t k = 0; k < s.values.size(); ++k)  // a value the lookup could not tell from "no value"
        if (!s.bad[k] && s.values[k] == Column::kNoValue) return std::nullopt;
      codes(s.values.size() + 1, [&](std::size_t k) {
        return k == 0 || s.bad[k - 1] ? std::int64_t{-1} : s.values[k - 1];
      });
      return e;
    }
    case 'M':
      if (s.per_day != 1) return std::nullopt;
      e.low = first_day();
      e.high = last_day();
      return e;
    case 'b':
      e.low = 0;
      e.high = 1;
      return e;
    default: break;
  }
  if (t.is_number()) {
    e.scale = kScale;
    return e;
  }
  if (t.type.kind == TypeKind::boolean) {
    e.low = 0;
    e.high = 1;
    return e;
  }
  if (t.is_enum() && t.small_ints) {
    codes(t.small_codes.size(), [&](std::size_t k) { return std::int64_t{t.small_codes[k]}; });
    return e;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- ids

/// Subject ids, or the subject ids of records: integers when the column is
/// of an integer dtype, text otherwise.
struct Ids {
  const char* side = "";
  std::string name;
  bool integer = false;
  std::size_t count = 0;
  // integers: read in place from an int64 array, or from `owned`
  const char* data = nullptr;
  std::ptrdiff_t stride = 0;
  std::vector<std::int64_t> owned;
  std::vector<std::string> texts;
  py::object keep;
  std::shared_ptr<const void> owner;  // keep, for a table that reads it in place

  std::size_t size() const { return count; }
  std::int64_t at(std::size_t i) const {
    std::int64_t v;
    std::memcpy(&v, data + static_cast<std::ptrdiff_t>(i) * stride, sizeof v);
    return v;
  }
  std::string text(std::size_t i) const { return integer ? std::to_string(at(i)) : texts[i]; }
};

[[noreturn]] void bad_id(const Ids& ids, std::size_t row, const std::string& why) {
  throw DataProblem(fmt::format("{} row {}, column '{}': {}", ids.side, row, ids.name, why));
}

/// Reads an id column (GIL held).
Ids read_ids(const char* side, const std::string& name, const py::handle& column) {
  Ids ids;
  ids.side = side;
  ids.name = name;
  const std::string what = fmt::format("{} column '{}'", side, name);
  auto text_of = [&](py::handle o, std::size_t row) -> std::string {
    if (PyUnicode_Check(o.ptr())) return py::cast<std::string>(o);
    if (!PyBool_Check(o.ptr()) && type_of(o) != "bool_" && PyIndex_Check(o.ptr()))
      return py::str(py::reinterpret_steal<py::object>(PyNumber_Index(o.ptr())));
    const std::string tn = type_of(o);
    if (o.is_none() || tn == "NAType" || tn == "NaTType" || (PyFloat_Check(o.ptr()) && std::isnan(PyFloat_AS_DOUBLE(o.ptr()))))
      bad_id(ids, row, "missing id");
    bad_id(ids, row, fmt::format("an id must be an integer or a string, not {} ({})", tn, std::string(py::repr(o))));
  };
  if (py::isinstance<py::tuple>(column)) {  // categorical
    py::tuple tup = py::reinterpret_borrow<py::tuple>(column);
    if (tup.size() != 3) throw py::type_error(fmt::format("{}: expected an array or ('categorical', codes, categories)", what));
    py::array codes = as_array(tup[1], what + " codes");
    py::list cats = as_array(tup[2], what + " categories").attr("tolist")();
    std::vector<std::string> names;
    for (std::size_t c = 0; c < cats.size(); ++c) names.push_back(text_of(cats[c], 0));
    py::list cs = codes.attr("tolist")();
    for (std::size_t i = 0; i < cs.size(); ++i) {
      const auto c = py::cast<std::int64_t>(cs[i]);
      if (c < 0 || static_cast<std::size_t>(c) >= names.size()) bad_id(ids, i, "missing id");
      ids.texts.push_back(names[static_cast<std::size_t>(c)]);
    }
    ids.count = ids.texts.size();
    return ids;
  }
  py::array a = as_array(column, what);
  const char kind = a.dtype().kind();
  if (kind == 'i' || kind == 'u') {
    Source s;
    view(s, a);
    ids.integer = true;
    ids.count = s.size;
    ids.keep = a;
    if (kind == 'i' && s.itemsize == 8) {
      ids.data = s.data;
      ids.stride = s.stride;
      ids.owner = keeper(ids.keep);
      return ids;
    }
    memory::size_huge(ids.owned, s.size);
    ids.data = reinterpret_cast<const char*>(ids.owned.data());
    ids.stride = sizeof(std::int64_t);
    py::gil_scoped_release unlocked;
    with_type(kind, s.itemsize, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
        for (std::size_t i = 0; i < s.size; ++i) {
          const T v = s.at<T>(i);
          if constexpr (std::is_unsigned_v<T>)
            if (static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(INT64_MAX)) {
              bad_id(ids, i, fmt::format("id out of range: {}", v));
            }
          ids.owned[i] = static_cast<std::int64_t>(v);
        }
    });
    return ids;
  }
  if (kind == 'O' || kind == 'U' || kind == 'S') {
    py::list items = (kind == 'O' ? a : py::array(a.attr("astype")("object"))).attr("tolist")();
    ids.texts.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) ids.texts.push_back(text_of(items[i], i));
    ids.count = ids.texts.size();
    return ids;
  }
  throw py::type_error(fmt::format("{}: dtype {} cannot hold ids (use integers or strings)", what,
                                   std::string(py::str(static_cast<py::handle>(a.dtype())))));
}

void to_text(Ids& ids) {
  if (!ids.integer) return;
  ids.texts.reserve(ids.count);
  for (std::size_t i = 0; i < ids.count; ++i) ids.texts.push_back(std::to_string(ids.at(i)));
  ids.owned = {};
  ids.integer = false;
}

/// Subject index of each id: an open-addressing hash for integers, a
/// std::unordered_map for text.
class IdIndex {
 public:
  explicit IdIndex(const Ids& keys) : keys_(keys) {
    const std::size_t n = keys.size();
    if (keys.integer) {
      std::size_t cap = 16;
      while (cap < 2 * n) cap *= 2;
      memory::size_huge(slots_, cap);
      std::fill(slots_.begin(), slots_.end(), kEmpty);
      mask_ = cap - 1;
      for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t v = keys.at(i);
        std::size_t h = hash(v);
        for (; slots_[h] != kEmpty; h = (h + 1) & mask_)
          if (keys.at(slots_[h]) == v) duplicate(i, slots_[h]);
        slots_[h] = static_cast<std::uint32_t>(i);
      }
    } else {
      texts_.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        auto [it, fresh] = texts_.try_emplace(keys.texts[i], static_cast<std::uint32_t>(i));
        if (!fresh) duplicate(i, it->second);
      }
    }
  }

  /// Subject index of record id i of `links` (same representation as the keys), or -1.
  std::int64_t find(const Ids& links, std::size_t i) const {
    if (keys_.integer) {
      const std::int64_t v = links.at(i);
      for (std::size_t h = hash(v); slots_[h] != kEmpty; h = (h + 1) & mask_)
        if (keys_.at(slots_[h]) == v) return slots_[h];
      return -1;
    }
    auto it = texts_.find(links.texts[i]);
    return it == texts_.end() ? -1 : it->second;
  }

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;
  const Ids& keys_;
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0;
  std::unordered_map<std::string_view, std::uint32_t> texts_;

  std::size_t hash(std::int64_t v) const {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(v) * 0x9E3779B97F4A7C15ull) >> 20) & mask_;
  }
  [[noreturn]] void duplicate(std::size_t row, std::size_t first) const {
    bad_id(keys_, row, fmt::format("duplicate id '{}' (first at row {})", keys_.text(row), first));
  }
};

/// The subject index of each record (GIL released by the caller).
std::vector<std::uint32_t> link_records(const Ids& keys, const IdIndex& index, const Ids& links) {
  const std::size_t n = keys.size(), m = links.size();
  std::vector<std::uint32_t> subject;
  memory::size_huge(subject, m);
  auto same = [&](std::size_t s, std::size_t r) {
    return keys.integer ? keys.at(s) == links.at(r) : keys.texts[s] == links.texts[r];
  };
  std::size_t prev = kNone;
  for (std::size_t r = 0; r < m; ++r) {
    std::size_t s;
    // records usually come in subject order: try the last subject and the next two first
    if (prev < n && same(prev, r)) s = prev;
    else if (prev + 1 < n && same(prev + 1, r)) s = prev + 1;
    else if (prev + 2 < n && same(prev + 2, r)) s = prev + 2;
    else {
      const std::int64_t f = index.find(links, r);
      if (f < 0) bad_id(links, r, fmt::format("unknown subject id '{}'", links.text(r)));
      s = static_cast<std::size_t>(f);
    }
    subject[r] = static_cast<std::uint32_t>(s);
    prev = s;
  }
  return subject;
}

// ---------------------------------------------------------------- columns

std::size_t column_size(const py::handle& column) {
  if (py::isinstance<py::tuple>(column)) return py::len(py::reinterpret_borrow<py::tuple>(column)[1]);
  return py::len(column);
}

/// The needed columns of one side, in order; throws listing every missing one.
std::vector<py::object> find_columns(const char* side, const py::dict& given, const std::vector<std::string>& names,
                                     const std::vector<std::string>& available) {
  std::vector<py::object> out;
  std::string missing;
  for (const auto& name : names) {
    if (given.contains(name)) {
      out.push_back(given[py::str(name)]);
      continue;
    }
    if (!missing.empty()) missing += '\n';
    missing += fmt::format("{}: missing column '{}'", side, name);
    const std::string best = did_you_mean(name, available);
    if (!best.empty()) missing += fmt::format(" (did you mean '{}'?)", best);
  }
  if (!missing.empty()) throw DataProblem(missing);
  std::size_t size = kNone;
  std::string first;
  for (std::size_t k = 0; k < out.size(); ++k) {
    const std::size_t n = column_size(out[k]);
    if (size == kNone) {
      size = n;
      first = names[k];
    } else if (n != size) {
      throw DataProblem(fmt::format("{}: column '{}' has {} values but column '{}' has {}", side, names[k], n, first, size));
    }
  }
  return out;
}

/// Throws the problems found, by side and row.
[[noreturn]] void fail(Problems& problems) {
  std::stable_sort(problems.begin(), problems.end(), [](const auto& a, const auto& b) {
    return std::strcmp(a.first->side, b.first->side) > 0 ||
           (std::strcmp(a.first->side, b.first->side) == 0 && a.second.row < b.second.row);
  });
  std::string out;
  constexpr std::size_t kMax = 20;
  for (std::size_t k = 0; k < problems.size() && k < kMax; ++k) {
    if (k) out += '\n';
    out += problems[k].first->where(problems[k].second.row) + ": " + problems[k].second.why;
  }
  if (problems.size() > kMax) out += fmt::format("\n... and {} more columns with bad values", problems.size() - kMax);
  throw DataProblem(out);
}

/// Whether integer ids can be read in place as int64 (contiguous and aligned).
bool in_place(const Ids& ids) {
  return ids.integer && ids.stride == sizeof(std::int64_t) &&
         reinterpret_cast<std::uintptr_t>(ids.data) % alignof(std::int64_t) == 0;
}

/// Record offsets by merging (offsets_by_id), when both id columns are contiguous integers.
bool merge_link(const Ids& keys, const Ids& links, std::size_t m, std::vector<std::int64_t>& offsets) {
  auto span = [](const Ids& ids) {
    return std::span<const std::int64_t>(reinterpret_cast<const std::int64_t*>(ids.data), ids.size());
  };
  if (!in_place(keys) || (m > 0 && !in_place(links))) return false;
  auto found = offsets_by_id(span(keys), m > 0 ? span(links) : std::span<const std::int64_t>{});
  if (!found) return false;
  offsets = std::move(*found);
  return true;
}

}  // namespace

/// A column the table reads in place, and what names its values in messages.
struct Borrowed {
  Source source;
  Target target;
  const Column* column;
  std::uint64_t kinds;  // records: the kinds that have the field
  bool record;
  bool read;            // the rulebook reads it
};

std::vector<std::string> borrowed_columns(const Table& table) {
  std::vector<std::string> out;
  const Schema& schema = table.plan->schema;
  if (table.data.ids.empty() && !table.data.id_numbers.owned()) out.push_back("subjects." + schema.key_field);
  for (const auto& b : table.borrowed) out.push_back(fmt::format("{}.{}", b->source.side, b->source.name));
  return out;
}

void check_borrowed(const Table& table, unsigned threads, bool all) {
  std::vector<const Borrowed*> check;  // all, or those evaluation never reads and that could hold bad values
  bool records = false;
  for (const auto& b : table.borrowed)
    if (all || (!b->read && !b->column->always_readable())) {
      check.push_back(b.get());
      records = records || b->record;
    }
  if (check.empty()) return;
  const SubjectTable& t = table.data;
  Problems problems;
  {
    py::gil_scoped_release unlocked;
    // record fields are read for the kinds that have them; bad kinds are reported alone
    std::vector<std::int64_t> kinds(records ? t.record_count() : 0);
    if (records && !t.record_kind.decode(0, kinds.size(), kinds.data()))
      for (const Borrowed* b : check)
        if (b->column == &t.record_kind)
          convert_all({Task{&b->source, &b->target, Sink{kinds.data()}}}, threads, problems);
    // the values are converted again as conversion reads them, which names each bad one
    std::vector<std::vector<std::int64_t>> scratch(check.size());
    std::vector<Task> tasks;
    for (std::size_t k = 0; k < check.size() && problems.empty(); ++k) {
      const Borrowed& b = *check[k];
      scratch[k].resize(b.column->size());
      const std::int64_t* kind = b.record ? kinds.data() : nullptr;
      if (b.column->decode(0, scratch[k].size(), scratch[k].data(), kind, b.kinds)) continue;
      tasks.push_back({&b.source, &b.target, Sink{scratch[k].data(), nullptr, kind, b.kinds}});
    }
    convert_all(tasks, threads, problems);
  }
  if (!problems.empty()) fail(problems);
}

std::shared_ptr<Table> build_table(std::shared_ptr<const Plan> plan, const py::dict& subjects,
                                   const std::vector<std::string>& subjects_available, const py::object& records,
                                   const std::vector<std::string>& records_available, unsigned threads) {
  const Schema& schema = plan->schema;
  auto table = std::make_shared<Table>();
  table->plan = plan;
  SubjectTable& t = table->data;

  // Columns, their sizes, and the targets they convert to.
  std::vector<std::string> subject_names{schema.key_field};
  for (const auto& f : schema.subject_fields) subject_names.push_back(f.name);
  std::vector<py::object> subject_cols = find_columns("subjects", subjects, subject_names, subjects_available);
  const bool has_records = !records.is_none();
  const bool has_kind = !schema.kind_field.empty();
  std::vector<std::string> record_names{schema.link_field};
  if (has_kind) record_names.push_back(schema.kind_field);
  for (const auto& f : schema.record_fields) record_names.push_back(f.name);
  std::vector<py::object> record_cols;
  if (has_records) {
    if (!py::isinstance<py::dict>(records)) throw py::type_error("records: expected a dict of columns");
    record_cols = find_columns("records", py::reinterpret_borrow<py::dict>(records), record_names, records_available);
  }

  std::vector<Target> subject_targets, record_targets;
  for (const auto& f : schema.subject_fields) subject_targets.emplace_back(schema, f.type);
  for (const auto& f : schema.record_fields) record_targets.emplace_back(schema, f.type);
  const Target kind_target(schema, Type::of(TypeKind::kind));

  // Ids, and which subject each record belongs to.
  Ids keys = read_ids("subjects", schema.key_field, subject_cols[0]);
  Ids links;
  if (has_records) {
    links = read_ids("records", schema.link_field, record_cols[0]);
    if (keys.integer != links.integer) {
      to_text(keys);
      to_text(links);
    }
  }
  const std::size_t n = keys.size(), m = has_records ? links.size() : 0;
  if (n >= UINT32_MAX || m >= UINT32_MAX) throw DataProblem("more than 4294967294 subjects or records");

  // Objects and categories are converted now, with the GIL.
  std::vector<Source> subject_sources, record_sources;
  subject_sources.reserve(schema.subject_fields.size());
  for (std::size_t k = 0; k < schema.subject_fields.size(); ++k)
    subject_sources.push_back(make_source("subjects", subject_names[k + 1], subject_cols[k + 1], subject_targets[k]));
  const std::size_t first_field = has_kind ? 2 : 1;
  Source kind_source;
  if (has_records) {
    if (has_kind) kind_source = make_source("records", schema.kind_field, record_cols[1], kind_target);
    record_sources.reserve(schema.record_fields.size());
    for (std::size_t k = 0; k < schema.record_fields.size(); ++k)
      record_sources.push_back(
          make_source("records", record_names[k + first_field], record_cols[k + first_field], record_targets[k]));
  }

  Problems problems;
  std::vector<Task> tasks;
  const std::vector<bool> subject_read = plan->reads(Level::subject), record_read = plan->reads(Level::record);
  {
    py::gil_scoped_release unlocked;
    if (!keys.integer) {
      t.ids = keys.texts;
    } else if (keys.owned.empty() && in_place(keys)) {
      t.id_numbers = Column::borrow(keys.data, n, {}, keys.owner);
    } else if (keys.owned.empty()) {
      t.id_numbers = Column(std::vector<std::int64_t>(n));
      for (std::size_t i = 0; i < n; ++i) t.id_numbers.values()[i] = keys.at(i);
    } else {
      t.id_numbers = Column(std::move(keys.owned));
      keys.data = reinterpret_cast<const char*>(t.id_numbers.data());
    }
    // Offsets: ascending integer ids with records in their order merge in one pass;
    // otherwise each record is looked up, and records out of subject order are
    // grouped by a stable counting sort.
    std::vector<std::uint32_t> dest;
    if (!merge_link(keys, links, has_records ? m : 0, t.record_offsets)) {
      IdIndex index(keys);
      std::vector<std::uint32_t> subject = has_records ? link_records(keys, index, links) : std::vector<std::uint32_t>{};
      memory::size_huge(t.record_offsets, n + 1);
      bool grouped = true;
      for (std::size_t r = 0; r < m; ++r) {
        ++t.record_offsets[subject[r] + 1];
        grouped = grouped && (r == 0 || subject[r - 1] <= subject[r]);
      }
      for (std::size_t i = 0; i < n; ++i) t.record_offsets[i + 1] += t.record_offsets[i];
      if (!grouped) {
        memory::size_huge(dest, m);
        memory::size_huge(table->record_row, m);
        std::vector<std::int64_t> next(t.record_offsets.begin(), t.record_offsets.end() - 1);
        for (std::size_t r = 0; r < m; ++r) {
          dest[r] = static_cast<std::uint32_t>(next[subject[r]]++);
          table->record_row[dest[r]] = static_cast<std::uint32_t>(r);
        }
      }
    }

    // Each column is borrowed when it can be read in place, converted otherwise; record
    // columns only when the records need no regrouping.
    const std::uint32_t* to = dest.empty() ? nullptr : dest.data();
    auto encoding = [&](const Source& source, const Target& target, bool record) {
      return record && to ? std::nullopt : in_place(source, target);
    };
    // `record`: a record column; a record field is read only for the kinds in sink.kinds
    auto place = [&](Column& column, const Source& source, const Target& target,
                     const std::optional<Column::Encoding>& encoded, std::size_t size, Sink sink, bool read,
                     bool record) {
      if (encoded) {
        column = Column::borrow(source.data, size, *encoded, source.owner);
        table->borrowed.push_back(
            std::make_shared<Borrowed>(Borrowed{source, target, &column, sink.kinds, record, read}));
        return;
      }
      memory::size_huge(column.values(), size);
      sink.out = column.values().data();
      if (size > 0) tasks.push_back({&source, &target, sink});
    };
    // The kind first: record fields are read only for the kinds that have them.
    std::vector<std::int64_t> kinds;  // every record's kind, when a borrowed kind column meets converted fields
    const std::int64_t* kind = nullptr;
    std::vector<std::optional<Column::Encoding>> record_encodings;
    for (std::size_t k = 0; k < record_sources.size(); ++k)
      record_encodings.push_back(encoding(record_sources[k], record_targets[k], true));
    if (has_kind && has_records) {
      place(t.record_kind, kind_source, kind_target, encoding(kind_source, kind_target, true), m, Sink{nullptr, to},
            true, true);  // selections read every kind
      convert_all(tasks, threads, problems);
      tasks.clear();
      const bool converted = std::any_of(record_encodings.begin(), record_encodings.end(),
                                         [](const auto& e) { return !e.has_value(); });
      if (t.record_kind.owned()) {
        kind = t.record_kind.data();
      } else if (converted && m > 0) {
        memory::size_huge(kinds, m);
        kind = kinds.data();
        if (!t.record_kind.decode(0, m, kinds.data()))  // bad kinds are reported alone, by conversion
          convert_all({Task{&kind_source, &kind_target, Sink{kinds.data()}}}, threads, problems);
      }
    } else {
      memory::size_huge(t.record_kind.values(), m);
      kind = t.record_kind.data();
    }
    if (problems.empty()) {
      t.subject_columns.resize(schema.subject_fields.size());
      for (std::size_t k = 0; k < subject_sources.size(); ++k)
        place(t.subject_columns[k], subject_sources[k], subject_targets[k],
              encoding(subject_sources[k], subject_targets[k], false), n, Sink{nullptr}, subject_read[k], false);
      t.record_columns.resize(schema.record_fields.size());
      for (std::size_t k = 0; k < schema.record_fields.size(); ++k) {
        if (!has_records) {
          t.record_columns[k] = std::vector<std::int64_t>{};
          continue;
        }
        place(t.record_columns[k], record_sources[k], record_targets[k], record_encodings[k], m,
              Sink{nullptr, to, kind, schema.record_fields[k].kinds}, record_read[k], true);
      }
      convert_all(tasks, threads, problems);
    }
  }
  if (!problems.empty()) fail(problems);
  t.validate(schema, true);
  check_borrowed(*table, threads, false);  // what evaluation never reads is checked now
  return table;
}

BreachTable build_breaches(const CheckedRulebook& checked, const py::dict& breaches,
                           const std::vector<std::string>& available, unsigned threads) {
  const Schema& schema = checked.schema;
  std::vector<std::string> names{"id", "party", "date", "penalty"};
  for (const auto& f : schema.breach_fields) names.push_back(f.name);
  std::vector<py::object> cols = find_columns("breaches", breaches, names, available);

  // The date, the rule (read as an enumeration of the rule names), the inputs.
  Schema rules;
  EnumType& rule_names = rules.enums.emplace_back();
  rule_names.name = "penalty rule";
  for (const auto& p : checked.ast->penalties) rule_names.members.push_back(p.name.text);
  std::vector<Target> targets{Target(schema, Type::of(TypeKind::date)), Target(rules, Type::enumeration_of(0))};
  for (const auto& f : schema.breach_fields) targets.emplace_back(schema, f.type);

  BreachTable t;
  for (std::size_t k = 0; k < 2; ++k) {
    Ids ids = read_ids("breaches", names[k], cols[k]);
    to_text(ids);
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids.texts[i].empty()) bad_id(ids, i, k == 0 ? "empty id" : "empty party");
    if (k == 0) {
      const IdIndex unique(ids);  // throws for a duplicate id
    }
    (k == 0 ? t.ids : t.parties) = std::move(ids.texts);
  }
  const std::size_t n = t.ids.size();
  if (n >= UINT32_MAX) throw DataProblem("more than 4294967294 breaches");

  std::vector<Source> sources;
  sources.reserve(targets.size());
  for (std::size_t k = 0; k < targets.size(); ++k)
    sources.push_back(make_source("breaches", names[k + 2], cols[k + 2], targets[k]));
  std::vector<std::vector<std::int64_t>> values(targets.size(), std::vector<std::int64_t>(n));
  std::vector<Task> tasks;
  for (std::size_t k = 0; k < targets.size(); ++k) {
    Sink sink{values[k].data()};
    sink.non_negative = k >= 2 && targets[k].is_number();
    tasks.push_back({&sources[k], &targets[k], sink});
  }
  Problems problems;
  {
    py::gil_scoped_release unlocked;
    convert_all(tasks, threads, problems);
  }
  if (!problems.empty()) fail(problems);
  auto narrow = [](const std::vector<std::int64_t>& v) { return std::vector<std::int32_t>(v.begin(), v.end()); };
  t.dates = narrow(values[0]);
  t.penalties = narrow(values[1]);
  t.inputs.assign(std::make_move_iterator(values.begin() + 2), std::make_move_iterator(values.end()));
  t.validate(checked);
  return t;
}

std::int64_t date_of(const py::handle& value) {
  static const Schema no_schema;
  const Target target(no_schema, Type::of(TypeKind::date));
  py::object v = py::reinterpret_borrow<py::object>(value);
  if (type_of(value) == "datetime64") v = py::module_::import("numpy").attr("datetime_as_string")(value);
  std::int64_t out = 0;
  Why why;
  if (!from_object(target, v, out, why)) throw py::value_error("as_of: " + why);
  return out;
}

std::string schema_key(const Schema& s) {
  std::string k = fmt::format("key {}; link {}; kind {};", s.key_field, s.link_field, s.kind_field);
  for (const auto& e : s.enums) {
    k += fmt::format(" enum {}{}:", e.name, e.ordered ? " ordered" : "");
    for (std::size_t i = 0; i < e.members.size(); ++i)
      k += fmt::format(" {}/{}", e.members[i], i < e.labels.size() ? e.labels[i] : "");
  }
  k += " kinds:";
  for (const auto& kd : s.kinds) k += " " + kd;
  for (const auto& f : s.subject_fields) k += fmt::format("; subject {} {}", f.name, s.type_name(f.type));
  for (const auto& f : s.record_fields) k += fmt::format("; record {} {} {}", f.name, s.type_name(f.type), f.kinds);
  return k;
}

}  // namespace gradus::python
