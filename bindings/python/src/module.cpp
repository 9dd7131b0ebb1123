// gradus._gradus: the compiled core of the Python package.
//
// Thin: it compiles rulebooks, builds tables and breaches (table.cpp),
// evaluates, explains and decides with the GIL released, and hands results
// back as numpy views of the C++ buffers. The Pythonic API (pandas,
// exceptions, docs) is gradus/__init__.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "table.hpp"

namespace gradus::python {
namespace {

/// A secondary position of a diagnostic.
struct Note {
  std::string file;
  std::uint32_t line = 0, column = 0;  // 0 when the note has no position
  std::string message;
};

/// One diagnostic, resolved to file, line and column.
struct PyDiagnostic {
  std::string severity, code, file, message, text;
  std::uint32_t line = 0, column = 0, end_line = 0, end_column = 0;
  std::vector<Note> notes;
};

/// A compiled rulebook: checked is null when the text has errors, plan when
/// it has errors or no score (penalty rules only).
struct Rulebook {
  std::shared_ptr<const Source> source;
  std::shared_ptr<const ast::Rulebook> ast;        // what `checked` annotates
  std::shared_ptr<const CheckedRulebook> checked;
  std::shared_ptr<const Plan> plan;
  ProofSummary proof;
  std::vector<PyDiagnostic> diagnostics;
  std::string rendered;  // every diagnostic as the CLI prints it
};

/// The decisions on one batch of breaches, with the breaches they decide.
struct Decisions {
  std::shared_ptr<const ast::Rulebook> ast;  // what `checked` annotates
  std::shared_ptr<const CheckedRulebook> checked;
  BreachTable breaches;
  std::vector<Decision> decisions;
};

/// The outcomes of one evaluation, with the table they belong to.
struct Scores {
  std::shared_ptr<const Plan> plan;    // the rulebook evaluated
  std::shared_ptr<const Table> table;  // built for it, or for a rulebook with the same schema
  Outcomes outcomes;
};

Rulebook make_rulebook(Compilation c) {
  Rulebook r;
  r.source = c.source;
  r.ast = c.rulebook;
  r.checked = c.checked;
  r.plan = c.plan;
  r.proof = c.proof;
  r.rendered = c.render();
  for (const Diagnostic& d : c.diagnostics.items()) {
    PyDiagnostic p;
    p.severity = std::string(to_string(d.severity));
    p.code = std::string(code_name(d.code));
    p.file = c.source->name();
    const Location a = c.source->location(d.span.begin), b = c.source->location(d.span.end);
    p.line = a.line, p.column = a.column, p.end_line = b.line, p.end_column = b.column;
    p.message = d.message;
    p.text = render(*c.source, d);
    for (const auto& n : d.notes) {
      Note note{c.source->name(), 0, 0, n.message};
      if (!n.span.empty()) {
        const Location l = c.source->location(n.span.begin);
        note.line = l.line, note.column = l.column;
      }
      p.notes.push_back(std::move(note));
    }
    r.diagnostics.push_back(std::move(p));
  }
  return r;
}

/// The AST of a rulebook without errors.
const ast::Rulebook& checked_ast(const Rulebook& r) {
  if (!r.checked) throw UsageError(fmt::format("{} has errors", r.source->name()));
  return *r.ast;
}

const Plan& plan_of(const Rulebook& r) {
  checked_ast(r);
  if (!r.plan)
    throw UsageError(fmt::format("{} has no score (only penalty rules): it cannot score subjects; "
                                 "decide breaches with Rulebook.decide()", r.source->name()));
  return *r.plan;
}

const CheckedRulebook& checked_of(const Rulebook& r) {
  if (checked_ast(r).penalties.empty())
    throw UsageError(fmt::format("{} has no penalty rules: it cannot decide breaches", r.source->name()));
  return *r.checked;
}

py::object decimal_of(std::int64_t v) {
  static py::object dec = py::module_::import("decimal").attr("Decimal");
  return dec(decimal::format(v));
}

py::dict supervision_dict(const PlanSupervision& s) {
  py::dict d;
  d["sampling"] = s.has_sampling ? decimal_of(s.sampling) : py::none();
  d["interval_days"] = s.has_interval ? py::object(py::int_(s.interval_days)) : py::none();
  d["incentives"] = s.incentives;
  d["measures"] = s.measures;
  return d;
}

/// A read-only numpy view of `v`, kept alive by `owner`.
template <class T>
py::array view_of(const std::vector<T>& v, py::handle owner) {
  py::array a(py::dtype::of<T>(), {static_cast<py::ssize_t>(v.size())}, {static_cast<py::ssize_t>(sizeof(T))},
              v.data(), owner);
  a.attr("flags").attr("writeable") = false;
  return a;
}

EvalOptions options(std::int64_t as_of, unsigned threads, std::size_t chunk_size) {
  if (chunk_size == 0) throw py::value_error("chunk_size must be at least 1");
  EvalOptions o;
  o.as_of = as_of;
  o.threads = threads;
  o.chunk_size = chunk_size;
  return o;
}

void check_table(const Plan& plan, const Table& table) {
  if (table.plan.get() != &plan && schema_key(table.plan->schema) != schema_key(plan.schema))
    throw py::value_error("the table was prepared for a rulebook whose data schema differs from this one's");
}

py::dict explanation_dict(const Explanation& x, const Table& table) {
  py::dict d;
  d["subject"] = x.subject;
  d["failed"] = x.failed;
  d["error"] = x.failed ? py::object(py::str(x.error)) : py::none();
  d["start"] = decimal_of(x.start);
  py::list contributions;
  for (const auto& c : x.contributions) {
    py::dict cd;
    cd["name"] = c.name;
    cd["rule"] = c.rule;
    cd["at"] = c.at;
    cd["points"] = decimal_of(c.points);
    cd["group"] = c.group.empty() ? py::none() : py::object(py::str(c.group));
    py::list records;
    for (const auto& r : c.records) {
      py::dict rd;
      rd["row"] = table.record_row.empty() ? r.index : table.record_row.at(r.index);
      rd["kind"] = r.kind;
      rd["value"] = decimal_of(r.value);
      records.append(rd);
    }
    cd["records"] = records;
    contributions.append(cd);
  }
  d["contributions"] = contributions;
  d["caps"] = x.caps;
  d["clamp"] = x.clamp.empty() ? py::none() : py::object(py::str(x.clamp));
  d["score"] = decimal_of(x.score);
  d["band_tier"] = x.band_tier;
  d["tier_steps"] = x.tier_steps;
  py::list overrides;
  for (const auto& o : x.overrides) {
    py::dict od;
    od["name"] = o.name;
    od["rule"] = o.rule;
    od["at"] = o.at;
    od["because"] = o.because;
    od["basis"] = o.basis;
    od["effect"] = o.effect;
    overrides.append(od);
  }
  d["overrides"] = overrides;
  d["tier"] = x.tier;
  d["supervision"] = supervision_dict(x.supervision);
  d["text"] = x.to_text();
  return d;
}

py::dict summary_dict(const Summary& s) {
  py::dict d;
  d["category_field"] = s.category_field.empty() ? py::none() : py::object(py::str(s.category_field));
  d["categories"] = s.categories;
  d["tiers"] = s.tiers;
  d["counts"] = s.counts;
  d["tier_totals"] = s.tier_totals;
  d["failed"] = s.failed;
  d["subjects"] = s.subjects;
  d["score_sum"] = s.score_sum_overflow ? py::none() : decimal_of(s.score_sum);
  d["text"] = format_summary(s);
  return d;
}

/// An amount of a measure in its unit (money and days: millionths; periods: months).
py::object amount_of(TypeKind unit, std::int64_t v) {
  return decimal_of(unit == TypeKind::period ? v * decimal::kScale : v);  // months: whole, far from overflow
}

/// The measures of a decision as dicts, the fields of `gradus penalty --format jsonl`.
py::list measure_dicts(const CheckedRulebook& c, std::int32_t penalty, const Decision& d) {
  py::list out;
  for (const ImposedMeasure& m : d.measures) {
    const SanctionDef& def = c.penalties.sanctions[static_cast<std::size_t>(m.sanction)];
    py::dict md;
    md["measure"] = def.name;
    md["label"] = def.label;
    for (const auto& [key, v] : {std::pair{"low", m.low}, std::pair{"high", m.high},
                                 std::pair{"statutory_low", m.statutory_low}, std::pair{"statutory_high", m.statutory_high}})
      md[key] = m.has_amount ? amount_of(def.unit, v) : py::none();
    md["unit"] = m.has_amount ? py::object(py::str(unit_name(def.unit))) : py::none();
    md["escalation"] = m.escalation;
    md["basis"] = measure_basis(c, penalty, m);
    out.append(md);
  }
  return out;
}

py::object date_object(std::int64_t days) {
  return py::module_::import("datetime").attr("date").attr("fromisoformat")(date::format(days));
}

OutputFormat format_of(const std::string& f) {
  if (f == "csv") return OutputFormat::csv;
  if (f == "jsonl") return OutputFormat::jsonl;
  throw py::value_error(fmt::format("format must be 'csv' or 'jsonl', not '{}'", f));
}

}  // namespace
}  // namespace gradus::python

PYBIND11_MODULE(_gradus, m) {
  using namespace gradus;
  using namespace gradus::python;
  m.doc() = "The compiled core of the gradus package; use the `gradus` module instead.";

  static py::exception<DataProblem> data_error(m, "DataError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const DataProblem& e) {
      PyErr_SetString(data_error.ptr(), e.what());
    } catch (const gradus::DataError& e) {
      PyErr_SetString(data_error.ptr(), e.what());
    } catch (const IoError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const gradus::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  py::class_<Note>(m, "Note", "A secondary position of a diagnostic (e.g. 'first defined here').")
      .def_readonly("file", &Note::file)
      .def_readonly("line", &Note::line, "1-based line; 0 when the note has no position")
      .def_readonly("column", &Note::column)
      .def_readonly("message", &Note::message)
      .def("__repr__", [](const Note& n) { return fmt::format("Note({}:{}:{}: {})", n.file, n.line, n.column, n.message); });

  py::class_<PyDiagnostic>(m, "Diagnostic", "One diagnostic of a rulebook, with its position and stable code.")
      .def_readonly("severity", &PyDiagnostic::severity, "'error', 'warning' or 'note'")
      .def_readonly("code", &PyDiagnostic::code, "stable catalogue code, e.g. 'E0203'")
      .def_readonly("file", &PyDiagnostic::file)
      .def_readonly("line", &PyDiagnostic::line, "1-based")
      .def_readonly("column", &PyDiagnostic::column, "1-based, in code points")
      .def_readonly("end_line", &PyDiagnostic::end_line)
      .def_readonly("end_column", &PyDiagnostic::end_column)
      .def_readonly("message", &PyDiagnostic::message)
      .def_readonly("notes", &PyDiagnostic::notes)
      .def("__str__", [](const PyDiagnostic& d) { return d.text; })
      .def("__repr__", [](const PyDiagnostic& d) {
        return fmt::format("Diagnostic({}:{}:{}: {}[{}]: {})", d.file, d.line, d.column, d.severity, d.code, d.message);
      });

  py::class_<Table, std::shared_ptr<Table>>(m, "Table", "Subjects and records converted for one rulebook's schema.")
      .def_property_readonly("subject_count", [](const Table& t) { return t.data.subject_count(); })
      .def_property_readonly("record_count", [](const Table& t) { return t.data.record_count(); })
      .def_property_readonly("schema_key", [](const Table& t) { return schema_key(t.plan->schema); })
      .def_property_readonly("borrowed", &borrowed_columns,
                             "Columns read in place from the given arrays, without a copy ('subjects.NAME', 'records.NAME').")
      .def("index_of", [](const Table& t, const std::string& id) -> py::ssize_t {
        const auto i = t.data.index_of(id);
        return i ? static_cast<py::ssize_t>(*i) : -1;
      }, "Position of the subject with this id, or -1.");

  py::class_<Scores, std::shared_ptr<Scores>>(m, "Scores", "The outcomes of one evaluation.")
      .def_property_readonly("score", [](py::object self) { return view_of(self.cast<Scores&>().outcomes.score, self); },
                             "int64 millionths, one per subject")
      .def_property_readonly("tier", [](py::object self) { return view_of(self.cast<Scores&>().outcomes.tier, self); },
                             "int32 tier index (best first), -1 when the subject failed")
      .def_property_readonly("overrides",
                             [](py::object self) {
                               Scores& s = self.cast<Scores&>();
                               if (s.outcomes.overrides.size() != s.outcomes.size())
                                 s.outcomes.overrides.assign(s.outcomes.size(), 0);
                               return view_of(s.outcomes.overrides, self);
                             },
                             "uint64: bit k set when override k's condition held")
      .def_property_readonly("errors", [](const Scores& s) {
        std::vector<std::pair<std::size_t, std::string>> e;
        for (const auto& x : s.outcomes.errors) e.emplace_back(x.subject, x.message);
        return e;
      }, "(subject index, message) of each subject that failed")
      .def("write", [](const Scores& s, const std::string& path, const std::string& format) {
        const OutputFormat f = format_of(format);
        py::gil_scoped_release unlocked;
        std::ofstream out(path, std::ios::binary);
        if (!out) throw IoError(path + ": cannot open for writing");
        write_outcomes(out, *s.plan, s.table->data, s.outcomes, f);
        out.close();
        if (!out) throw IoError(path + ": write failed");
      }, py::arg("path"), py::arg("format") = "csv")
      .def("text", [](const Scores& s, const std::string& format) {
        const OutputFormat f = format_of(format);
        std::ostringstream out;
        {
          py::gil_scoped_release unlocked;
          write_outcomes(out, *s.plan, s.table->data, s.outcomes, f);
        }
        return out.str();
      }, py::arg("format") = "csv")
      .def("summary", [](const Scores& s) {
        return summary_dict(summarize(*s.plan, s.table->data, s.outcomes));
      });

  py::class_<ProofSummary>(m, "Proof", "The proportionality proof of a rulebook's penalty rules (rules/PENALTIES.md).")
      .def_readonly("rules", &ProofSummary::rules, "penalty rules examined")
      .def_readonly("cases", &ProofSummary::cases, "input regions the proof enumerated")
      .def_readonly("proved", &ProofSummary::proved, "no counterexample (True for a rulebook without penalty rules)")
      .def("__repr__", [](const ProofSummary& p) {
        return fmt::format("Proof(rules={}, cases={}, proved={})", p.rules, p.cases, p.proved ? "True" : "False");
      });

  py::class_<Decisions, std::shared_ptr<Decisions>>(m, "Decisions", "The decisions on one batch of breaches.")
      .def("__len__", [](const Decisions& d) { return d.decisions.size(); })
      .def_property_readonly("level", [](const Decisions& d) {
        py::array_t<std::int32_t> out(static_cast<py::ssize_t>(d.decisions.size()));
        auto level = out.mutable_unchecked<1>();
        for (std::size_t i = 0; i < d.decisions.size(); ++i) level(static_cast<py::ssize_t>(i)) = d.decisions[i].level;
        return out;
      }, "int32 code of the discretion level (none..heavier), -1 when the breach failed")
      .def_property_readonly("penalty", [](py::object self) { return view_of(self.cast<Decisions&>().breaches.penalties, self); },
                             "int32 index of each breach's penalty rule")
      .def_property_readonly("date", [](py::object self) { return view_of(self.cast<Decisions&>().breaches.dates, self); },
                             "int32 days since 1970-01-01")
      .def_property_readonly("measures", [](const Decisions& d) {
        std::vector<std::string> out(d.decisions.size());
        {
          py::gil_scoped_release unlocked;
          for (std::size_t i = 0; i < out.size(); ++i) out[i] = format_measures(*d.checked, d.decisions[i]);
        }
        return out;
      }, "each decision's measures as format_measures writes them")
      .def("measure_dicts", [](const Decisions& d) {
        py::list out;
        for (std::size_t i = 0; i < d.decisions.size(); ++i)
          out.append(measure_dicts(*d.checked, d.breaches.penalties[i], d.decisions[i]));
        return out;
      }, "each decision's measures as lists of dicts")
      .def_property_readonly("errors", [](const Decisions& d) {
        std::vector<std::pair<std::size_t, std::string>> e;
        for (std::size_t i = 0; i < d.decisions.size(); ++i)
          if (!d.decisions[i].error.empty()) e.emplace_back(i, d.decisions[i].error);
        return e;
      }, "(row, message) of each breach that could not be decided")
      .def("index_of", [](const Decisions& d, const std::string& id) -> py::ssize_t {
        auto it = std::find(d.breaches.ids.begin(), d.breaches.ids.end(), id);
        return it == d.breaches.ids.end() ? -1 : it - d.breaches.ids.begin();
      }, "Row of the breach with this id, or -1.")
      .def("explain", [](const Decisions& d, std::size_t row) {
        if (row >= d.decisions.size()) throw py::index_error("no such breach");
        const Decision& x = d.decisions[row];
        std::string text;
        {
          py::gil_scoped_release unlocked;
          text = explain_decision(*d.checked, d.breaches, row, x);
        }
        const std::int32_t penalty = d.breaches.penalties[row];
        py::dict out;
        out["party"] = d.breaches.parties[row];
        out["date"] = date_object(d.breaches.dates[row]);
        out["penalty"] = d.ast->penalties[static_cast<std::size_t>(penalty)].name.text;
        out["level"] = x.level >= 0 ? py::object(py::str(kLevels[x.level])) : py::none();
        out["measures"] = measure_dicts(*d.checked, penalty, x);
        out["error"] = x.error.empty() ? py::none() : py::object(py::str(x.error));
        out["text"] = text;
        return out;
      });

  py::class_<Rulebook>(m, "Rulebook", "A compiled rulebook, or the diagnostics of one that failed.")
      .def_property_readonly("ok", [](const Rulebook& r) { return r.checked != nullptr; }, "no errors")
      .def_property_readonly("has_score", [](const Rulebook& r) { return r.plan != nullptr; })
      .def_readonly("proof", &Rulebook::proof)
      .def_readonly("diagnostics", &Rulebook::diagnostics)
      .def_readonly("rendered", &Rulebook::rendered)
      .def_property_readonly("name", [](const Rulebook& r) { return r.source->name(); })
      .def_property_readonly("text", [](const Rulebook& r) { return r.source->text(); })
      .def_property_readonly("title", [](const Rulebook& r) { return checked_ast(r).header.title; })
      .def_property_readonly("version", [](const Rulebook& r) { return checked_ast(r).header.version; })
      .def_property_readonly("penalty_rules", [](const Rulebook& r) {
        const ast::Rulebook& a = checked_ast(r);
        py::list out;
        for (std::size_t p = 0; p < a.penalties.size(); ++p) {
          py::dict d;
          d["name"] = a.penalties[p].name.text;
          d["label"] = a.penalties[p].label;
          d["basis"] = r.checked->penalties.basis[p];
          out.append(d);
        }
        return out;
      })
      .def_property_readonly("breach_fields", [](const Rulebook& r) {
        checked_ast(r);
        const Schema& s = r.checked->schema;
        std::vector<std::tuple<std::string, std::string, std::optional<std::string>>> out;
        for (std::size_t f = 0; f < s.breach_fields.size(); ++f) {
          const std::int8_t order = s.breach_order[f];
          out.emplace_back(s.breach_fields[f].name, s.type_name(s.breach_fields[f].type),
                           order > 0 ? std::optional<std::string>("increasing")
                           : order < 0 ? std::optional<std::string>("decreasing") : std::nullopt);
        }
        return out;
      })
      .def_property_readonly("key_field", [](const Rulebook& r) { return plan_of(r).schema.key_field; })
      .def_property_readonly("link_field", [](const Rulebook& r) { return plan_of(r).schema.link_field; })
      .def_property_readonly("kind_field", [](const Rulebook& r) { return plan_of(r).schema.kind_field; })
      .def_property_readonly("kinds", [](const Rulebook& r) { return plan_of(r).schema.kinds; })
      .def_property_readonly("subject_fields", [](const Rulebook& r) {
        const Schema& s = plan_of(r).schema;
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& f : s.subject_fields) out.emplace_back(f.name, s.type_name(f.type));
        return out;
      })
      .def_property_readonly("record_fields", [](const Rulebook& r) {
        const Schema& s = plan_of(r).schema;
        std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> out;
        for (const auto& f : s.record_fields) {
          std::vector<std::string> kinds;
          for (std::size_t k = 0; k < s.kinds.size(); ++k)
            if ((f.kinds >> k) & 1) kinds.push_back(s.kinds[k]);
          out.emplace_back(f.name, s.type_name(f.type), kinds);
        }
        return out;
      })
      .def_property_readonly("enums", [](const Rulebook& r) {
        py::dict d;
        for (const auto& e : plan_of(r).schema.enums) {
          py::dict ed;
          ed["ordered"] = e.ordered;
          ed["members"] = e.members;
          ed["labels"] = e.labels;
          d[py::str(e.name)] = ed;
        }
        return d;
      })
      .def_property_readonly("tiers", [](const Rulebook& r) {
        py::list out;
        for (const auto& t : plan_of(r).tiers) {
          py::dict d = supervision_dict(t.supervision);
          d["name"] = t.name;
          d["label"] = t.label;
          out.append(d);
        }
        return out;
      })
      .def_property_readonly("overrides", [](const Rulebook& r) {
        const Plan& p = plan_of(r);
        py::list out;
        for (const auto& o : p.overrides) {
          py::dict d;
          d["name"] = o.name;
          d["action"] = o.action == PlanOverride::Action::force     ? "force"
                        : o.action == PlanOverride::Action::at_most ? "at_most"
                                                                    : "at_least";
          d["tier"] = p.tiers.at(static_cast<std::size_t>(o.tier)).name;
          d["because"] = o.because;
          d["basis"] = o.basis;
          out.append(d);
        }
        return out;
      })
      .def_property_readonly("summary_field", [](const Rulebook& r) -> py::object {
        const Plan& p = plan_of(r);
        if (p.summary_field < 0) return py::none();
        return py::str(p.schema.subject_fields.at(static_cast<std::size_t>(p.summary_field)).name);
      })
      .def_property_readonly("schema_key", [](const Rulebook& r) { return schema_key(plan_of(r).schema); })
      .def("listing", [](const Rulebook& r) { return plan_of(r).dump(); })
      .def("prepare", [](const Rulebook& r, const py::dict& subjects, const std::vector<std::string>& subjects_available,
                         const py::object& records, const std::vector<std::string>& records_available, unsigned threads) {
        plan_of(r);
        return build_table(r.plan, subjects, subjects_available, records, records_available, threads);
      })
      .def("evaluate", [](const Rulebook& r, std::shared_ptr<Table> table, std::int64_t as_of, unsigned threads,
                          std::size_t chunk_size) {
        const Plan& plan = plan_of(r);
        check_table(plan, *table);
        const EvalOptions o = options(as_of, threads, chunk_size);
        auto s = std::make_shared<Scores>();
        s->plan = r.plan;
        s->table = table;
        {
          py::gil_scoped_release unlocked;
          evaluate(plan, table->data, o, s->outcomes);
        }
        // a subject failed: a value read in place that cannot be read is bad data, reported as such
        if (!s->outcomes.errors.empty()) check_borrowed(*table, threads);
        return s;
      })
      .def("decide", [](const Rulebook& r, const py::dict& breaches, const std::vector<std::string>& available,
                        unsigned threads) {
        const CheckedRulebook& checked = checked_of(r);
        auto d = std::make_shared<Decisions>();
        d->ast = r.ast;
        d->checked = r.checked;
        d->breaches = build_breaches(checked, breaches, available, threads);
        {
          py::gil_scoped_release unlocked;
          d->decisions = decide(checked, d->breaches, {static_cast<int>(threads)});
        }
        return d;
      })
      .def("explain", [](const Rulebook& r, std::shared_ptr<Table> table, std::size_t index, std::int64_t as_of) {
        const Plan& plan = plan_of(r);
        check_table(plan, *table);
        if (index >= table->data.subject_count()) throw py::index_error("no such subject");
        Explanation x;
        {
          py::gil_scoped_release unlocked;
          x = explain(plan, table->data, index, options(as_of, 1, 2048));
        }
        if (x.failed) check_borrowed(*table, 1);
        return explanation_dict(x, *table);
      });

  m.def("compile_string", [](const std::string& text, const std::string& name) {
    return make_rulebook(compile_source(Source(name, text)));
  }, py::arg("text"), py::arg("name"));
  m.def("compile_file", [](const std::string& path) { return make_rulebook(compile_file(path)); }, py::arg("path"));
  m.def("date_of", &date_of, py::arg("value"), "Days since 1970-01-01 of a date.");
  m.def("format_date", &date::format, py::arg("days"));
  m.def("format_summary", [](const std::string& category_field, std::vector<std::string> categories,
                             std::vector<std::string> tiers, std::vector<std::vector<std::size_t>> counts,
                             std::vector<std::size_t> tier_totals, std::size_t failed, std::size_t subjects,
                             std::optional<std::int64_t> score_sum) {
    Summary s;
    s.category_field = category_field;
    s.categories = std::move(categories);
    s.tiers = std::move(tiers);
    s.counts = std::move(counts);
    s.tier_totals = std::move(tier_totals);
    s.failed = failed;
    s.subjects = subjects;
    s.score_sum_overflow = !score_sum;
    s.score_sum = score_sum.value_or(0);
    return format_summary(s);
  }, "The summary text of gradus score (score_sum in millionths; None: overflow).");
  m.def("did_you_mean", &did_you_mean, py::arg("name"), py::arg("candidates"));
  m.attr("levels") = std::vector<std::string>(std::begin(kLevels), std::end(kLevels));
}
