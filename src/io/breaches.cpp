// load_breaches(): a breaches CSV (rules/PENALTIES.md, "Breach inputs").
#include <unordered_map>

#include <fmt/format.h>

#include "csv_reader.hpp"
#include "gradus/core/date.hpp"
#include "gradus/core/diagnostic.hpp"
#include "gradus/core/error.hpp"
#include "gradus/io/csv.hpp"

namespace gradus {

BreachTable load_breaches(const CheckedRulebook& checked, const std::string& path, std::size_t max_errors) {
  const Schema& schema = checked.schema;
  csv::FileBuffer file = csv::FileBuffer::read(path, 1);
  csv::CsvText text = csv::open_csv(file, path);
  // columns: the fixed ones, then every breach input, in any order
  std::vector<std::string> wanted = {"id", "party", "date", "penalty"};
  for (const auto& f : schema.breach_fields) wanted.push_back(f.name);
  std::vector<int> column(wanted.size(), -1);
  for (std::size_t c = 0; c < text.header.size(); ++c) {
    auto it = std::find(wanted.begin(), wanted.end(), text.header[c]);
    if (it == wanted.end())
      throw DataError(fmt::format("{}:1: column '{}' is not a breach column{}", path, text.header[c],
                                  did_you_mean(text.header[c], wanted)));
    if (column[it - wanted.begin()] >= 0)
      throw DataError(fmt::format("{}:1: column '{}' appears twice", path, text.header[c]));
    column[it - wanted.begin()] = static_cast<int>(c);
  }
  for (std::size_t w = 0; w < wanted.size(); ++w)
    if (column[w] < 0) throw DataError(fmt::format("{}:1: missing column '{}'", path, wanted[w]));

  std::unordered_map<std::string, std::int32_t> rules;
  std::vector<std::string> rule_names;
  for (std::size_t p = 0; p < checked.ast->penalties.size(); ++p) {
    rules.emplace(checked.ast->penalties[p].name.text, static_cast<std::int32_t>(p));
    rule_names.push_back(checked.ast->penalties[p].name.text);
  }
  BreachTable t;
  t.inputs.resize(schema.breach_fields.size());
  std::unordered_map<std::string, std::uint64_t> seen;
  std::vector<std::string> errors;
  auto bad = [&](std::uint64_t line, const std::string& field, const std::string& why) {
    errors.push_back(fmt::format("{}:{}: field '{}': {}", path, line, field, why));
  };
  csv::RowReader rows(text.begin, text.end, text.header.size(), text.first_line);
  while (rows.next() && errors.size() < max_errors) {
    std::uint64_t line = rows.line();
    if (rows.status() == csv::RowStatus::empty_line) continue;
    if (rows.status() == csv::RowStatus::bad_quote) {
      errors.push_back(fmt::format("{}:{}: {}", path, line, rows.quote_problem()));
      continue;
    }
    if (rows.status() == csv::RowStatus::field_count) {
      errors.push_back(fmt::format("{}:{}: {} fields, the header has {}", path, line, rows.found(), text.header.size()));
      continue;
    }
    auto field = [&](std::size_t w) { return rows.field(static_cast<std::size_t>(column[w])); };
    std::string id(field(0)), party(field(1));
    std::size_t before = errors.size();
    if (id.empty()) bad(line, "id", "empty");
    else if (auto [it, fresh] = seen.emplace(id, line); !fresh)
      bad(line, "id", fmt::format("'{}' is already the id of line {}", id, it->second));
    if (party.empty()) bad(line, "party", "empty");
    auto d = date::parse(field(2));
    if (!d) bad(line, "date", fmt::format("'{}' is not a date (YYYY-MM-DD)", field(2)));
    auto rule = rules.find(std::string(field(3)));
    if (rule == rules.end())
      bad(line, "penalty", fmt::format("'{}' is not a penalty rule of this rulebook{}", field(3),
                                       did_you_mean(std::string(field(3)), rule_names)));
    std::vector<std::int64_t> values(schema.breach_fields.size());
    for (std::size_t f = 0; f < schema.breach_fields.size(); ++f) {
      const FieldDef& fd = schema.breach_fields[f];
      std::string_view v = field(4 + f);
      if (!parse_value(schema, fd.type, v, values[f])) {
        bad(line, fd.name, fmt::format("'{}' is not a valid {}", v, schema.type_name(fd.type)));
      } else if (fd.type.is_numeric() && values[f] < 0) {
        bad(line, fd.name, fmt::format("'{}' is negative; breach inputs are amounts and counts", v));
      }
    }
    if (errors.size() != before) continue;
    t.ids.push_back(std::move(id));
    t.parties.push_back(std::move(party));
    t.dates.push_back(static_cast<std::int32_t>(*d));
    t.penalties.push_back(rule->second);
    for (std::size_t f = 0; f < values.size(); ++f) t.inputs[f].push_back(values[f]);
    t.lines.push_back(static_cast<std::uint32_t>(line));
  }
  if (!errors.empty()) {
    std::string msg = fmt::format("{} bad breach row{}:", errors.size() >= max_errors ? "at least" : "",
                                  errors.size() == 1 ? "" : "s");
    if (errors.size() < max_errors) msg = msg.substr(1);
    for (const auto& e : errors) msg += fmt::format("\n  {}", e);
    throw DataError(msg);
  }
  return t;
}

}  // namespace gradus
