"""gradus: credit-graded, category-based supervision rules, from Python.

Load a rulebook, score subjects given as pandas DataFrames or dicts of numpy
arrays, and explain any subject's result::

    import gradus
    rb = gradus.load("rules/w1.gradus")            # RulebookError on bad rules
    out = rb.score(subjects, records, as_of="2025-01-01")   # a DataFrame
    why = rb.explain(subjects, records, id=17, as_of="2025-01-01")

Decide breaches with a rulebook's penalty rules (rules/PENALTIES.md)::

    fs = gradus.load("rules/penalties/food_safety.gradus")
    fs.proof                                       # Proof(rules=5, cases=690, proved=True)
    decisions = fs.decide(breaches)                # a DataFrame: level, measures, error
    why = fs.explain_decision(breaches, id="F-103")

`check()` returns a rulebook's diagnostics without raising; `evaluate()`
scores several rulebooks (categories) over the same subjects; `gradus.dask`
spreads one evaluation over a Dask cluster. The C++ work runs with the GIL
released, on `threads` threads (0: one per core); results do not depend on
the thread count. See bindings/README.md for how values are converted.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Optional, Union

import numpy as np

from . import _frames, _gradus
from ._gradus import DataError, Diagnostic, Note, Proof

__all__ = [
    "DataError", "Diagnostic", "Note", "Proof", "Rulebook", "RulebookError", "Scores", "Table",
    "check", "check_string", "evaluate", "load", "loads",
]
__version__ = "0.1.0"

PathLike = Union[str, "os.PathLike[str]"]


class RulebookError(ValueError):
    """The rule text has errors.

    ``diagnostics`` holds every diagnostic (errors and warnings) as
    `Diagnostic` objects with file, line, column, code and message; ``str()``
    prints them exactly as ``gradus check`` does. A failed proportionality
    proof is among them (E0710..E0714, the counterexample in their notes),
    and ``proof`` says how far the proof got (`Proof`; ``proved`` is False).
    """

    def __init__(self, diagnostics: list[Diagnostic], rendered: str, proof: Optional[Proof] = None) -> None:
        super().__init__(rendered)
        self.diagnostics = diagnostics
        self.rendered = rendered
        self.proof = proof

    def __str__(self) -> str:
        return self.rendered


class Table:
    """Subjects and records prepared once for a rulebook's data schema.

    Made by `Rulebook.prepare`; pass it to `Rulebook.evaluate`, `score` or
    `explain` (of any rulebook with the same schema) to prepare the data only
    once. Contiguous arrays of whole numbers, bools, ``datetime64[D]`` and
    categorical codes (record columns: with records in subject order) are read
    in place without a copy (`borrowed` lists them); the table keeps them
    alive. Each evaluation reads their values as they are then, while ids and
    kinds are matched once, here: change those and prepare again, and change
    nothing while an evaluation runs. Everything else (floats, strings,
    objects, strided arrays, records to regroup) is converted once.
    """

    def __init__(self, core: Any, ids: Any) -> None:
        self._core = core
        self._ids = ids

    @property
    def subject_count(self) -> int:
        """Number of subjects."""
        return self._core.subject_count

    @property
    def record_count(self) -> int:
        """Number of records."""
        return self._core.record_count

    @property
    def borrowed(self) -> list[str]:
        """The columns read in place, without a copy: 'subjects.NAME' or 'records.NAME'."""
        return self._core.borrowed

    def __len__(self) -> int:
        return self._core.subject_count

    def __repr__(self) -> str:
        return f"<gradus.Table: {self.subject_count} subjects, {self.record_count} records>"


class Scores:
    """The outcomes of one evaluation (see `Rulebook.evaluate`)."""

    def __init__(self, core: Any, rulebook: "Rulebook", table: Table) -> None:
        self._core = core
        self._rulebook = rulebook
        self._table = table

    def __len__(self) -> int:
        return len(self._core.tier)

    def to_frame(self) -> Any:
        """A pandas DataFrame with the columns of ``gradus score``'s CSV.

        ``id`` (as given), ``score`` (float64; NaN when the subject failed),
        ``tier`` (categorical of the tier names), ``sampling`` (float64 ratio),
        ``interval_days`` (Int64), ``incentives``, ``measures`` and
        ``overrides`` (tuples of names) and ``error`` (None, or why the
        subject failed). Scores are exact 6-decimal values: ``f"{s:.6f}"``
        prints one exactly.
        """
        rb = self._rulebook
        return _frames.to_frame(self._core, self._table._ids, rb.tiers, [o["name"] for o in rb.overrides])

    def to_numpy(self) -> dict[str, np.ndarray]:
        """The results as numpy arrays, without building a DataFrame.

        ``id``, ``score`` (float64, NaN for a failed subject),
        ``score_millionths`` (int64, exact), ``tier`` (int32 index into
        `Rulebook.tiers`, -1 for a failed subject), ``overrides`` (uint64, bit
        k set when override k held) and ``error`` (object). The int arrays are
        read-only views of the results, not copies.
        """
        return _frames.to_numpy(self._core, self._table._ids)

    @property
    def errors(self) -> list[tuple[int, str]]:
        """(row, message) of each subject whose evaluation failed."""
        return self._core.errors

    def write(self, path: PathLike, format: str = "csv") -> None:
        """Writes the results exactly as ``gradus score --out PATH`` does ('csv' or 'jsonl')."""
        self._core.write(os.fspath(path), format)

    def text(self, format: str = "csv") -> str:
        """The results as ``gradus score`` prints them ('csv' or 'jsonl')."""
        return self._core.text(format)

    def summary(self) -> dict[str, Any]:
        """Subjects per category and tier, as ``gradus score`` summarises them.

        Keys: ``category_field`` (or None), ``categories``, ``tiers``,
        ``counts`` ([category][tier]), ``tier_totals``, ``failed``,
        ``subjects``, ``score_sum`` (exact `decimal.Decimal`) and ``text``
        (the summary as printed).
        """
        return self._core.summary()


class Rulebook:
    """A checked and compiled rulebook. Make one with `load` or `loads`.

    It may have a score (`score`, `explain`), penalty rules (`decide`,
    `explain_decision`), or both. Immutable and thread-safe; any number of
    evaluations may use it at once.
    """

    def __init__(self, core: Any) -> None:
        if not core.ok:
            raise RulebookError(list(core.diagnostics), core.rendered, core.proof)
        self._core = core

    @classmethod
    def from_file(cls, path: PathLike) -> "Rulebook":
        """Parses, checks and compiles a rulebook file (RulebookError, OSError)."""
        return cls(_gradus.compile_file(os.fspath(path)))

    @classmethod
    def from_string(cls, text: str, name: str = "<string>") -> "Rulebook":
        """Parses, checks and compiles rule text; `name` labels its diagnostics."""
        return cls(_gradus.compile_string(text, name))

    # ------------------------------------------------------------ what it is
    @property
    def name(self) -> str:
        """The file path, or the name given to `loads`."""
        return self._core.name

    @property
    def text(self) -> str:
        """The rule text."""
        return self._core.text

    @property
    def title(self) -> str:
        """The rulebook's title (its header)."""
        return self._core.title

    @property
    def version(self) -> str:
        """The rulebook's version string."""
        return self._core.version

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Its warnings (a rulebook with errors never loads)."""
        return list(self._core.diagnostics)

    @property
    def has_score(self) -> bool:
        """Whether it scores subjects (False for a rulebook of penalty rules only)."""
        return self._core.has_score

    @property
    def proof(self) -> Proof:
        """The proportionality proof of its penalty rules: ``rules``, ``cases``, ``proved``.

        A loaded rulebook's proof always holds (a counterexample is an error:
        see `RulebookError`); a rulebook without penalty rules proves trivially
        (``rules == 0``).
        """
        return self._core.proof

    @property
    def penalty_rules(self) -> list[dict[str, str]]:
        """The penalty rules in order: name, label, basis."""
        return self._core.penalty_rules

    @property
    def breach_columns(self) -> dict[str, str]:
        """Columns the breaches need, with their types: id, party, date, penalty, then every breach input."""
        fixed = {"id": "key", "party": "party", "date": "date", "penalty": "penalty rule"}
        return {**fixed, **{name: type_ for name, type_, _ in self._core.breach_fields}}

    @property
    def breach_order(self) -> dict[str, Optional[str]]:
        """Each breach input's declared order: 'increasing', 'decreasing' or None."""
        return {name: order for name, _, order in self._core.breach_fields}

    @property
    def tiers(self) -> list[dict[str, Any]]:
        """The tiers, best first: name, label, sampling, interval_days, incentives, measures."""
        return self._core.tiers

    @property
    def overrides(self) -> list[dict[str, Any]]:
        """The overrides in order: name, action, tier, because, basis."""
        return self._core.overrides

    @property
    def subject_columns(self) -> dict[str, str]:
        """Columns the subjects need, with their types: the key first, then every field."""
        return {self._core.key_field: "key", **dict(self._core.subject_fields)}

    @property
    def record_columns(self) -> dict[str, str]:
        """Columns the records need, with their types: the subject link, the kind, then every field."""
        cols = {self._core.link_field: "subject"}
        if self._core.kind_field:
            cols[self._core.kind_field] = "kind"
        cols.update({name: type_ for name, type_, _ in self._core.record_fields})
        return cols

    @property
    def kinds(self) -> list[str]:
        """The record kinds."""
        return self._core.kinds

    @property
    def enums(self) -> dict[str, dict[str, Any]]:
        """Each enum or scale: ordered, members (codes 0..n-1) and labels."""
        return self._core.enums

    def listing(self) -> str:
        """The compiled instruction listing (as ``gradus plan`` prints it)."""
        return self._core.listing()

    def __repr__(self) -> str:
        return f"<gradus.Rulebook {self.title!r} from {self.name}>"

    # ------------------------------------------------------------ scoring
    def prepare(self, subjects: Any, records: Any = None, *, threads: int = 0) -> Table:
        """Prepares subjects and records (DataFrames or dicts of arrays) as a `Table`.

        Columns that can be read in place are not copied (see `Table`).
        Raises DataError for bad data (a missing column, mismatched lengths,
        a value that does not fit its field, a duplicate or unknown id, NaN),
        naming the row and column, and TypeError for a column of an unusable
        dtype. A bad value in a column read in place that the rulebook reads
        is reported the same way by `evaluate`, which meets it first. Nothing
        is dropped or guessed.
        """
        if isinstance(subjects, Table):
            return subjects
        sub, sub_names = _frames.columns(subjects, list(self.subject_columns), "subjects")
        rec, rec_names = (None, []) if records is None else _frames.columns(records, list(self.record_columns), "records")
        core = self._core.prepare(sub, sub_names, rec, rec_names, _threads(threads))
        return Table(core, _frames.id_values(subjects, self._core.key_field))

    def evaluate(self, table: Table, *, as_of: Any, threads: int = 0, chunk_size: int = 2048) -> Scores:
        """Scores a prepared `Table`; see `score`.

        Raises DataError, naming the row and column, for a value of a column
        read in place that cannot be read (an integer that is no member of its
        enumeration, NaT...).
        """
        core = self._core.evaluate(table._core, _gradus.date_of(as_of), _threads(threads), chunk_size)
        return Scores(core, self, table)

    def score(self, subjects: Any, records: Any = None, *, as_of: Any, threads: int = 0,
              chunk_size: int = 2048, output: str = "pandas") -> Any:
        """Scores every subject.

        `subjects` and `records` are pandas DataFrames or dicts of columns
        (numpy arrays, Series, lists), or `subjects` is a prepared `Table`.
        `as_of` is the evaluation date ('YYYY-MM-DD', datetime.date,
        numpy.datetime64 or pandas.Timestamp). Returns a DataFrame
        (`Scores.to_frame`) or, with ``output="numpy"``, a dict of arrays
        (`Scores.to_numpy`). A subject whose arithmetic fails (overflow,
        division by zero) gets its message in ``error``; the others go on.
        """
        if output not in ("pandas", "numpy"):
            raise ValueError(f"output must be 'pandas' or 'numpy', not {output!r}")
        scores = self.evaluate(self.prepare(subjects, records, threads=threads), as_of=as_of,
                               threads=threads, chunk_size=chunk_size)
        return scores.to_frame() if output == "pandas" else scores.to_numpy()

    def explain(self, subjects: Any, records: Any = None, *, id: Any, as_of: Any) -> dict[str, Any]:
        """Why subject `id` got its result, as plain Python objects.

        Keys: subject, failed, error, start, contributions (name, rule, at,
        points, group, records: row, kind, value), caps, clamp, score,
        band_tier, tier_steps, overrides (name, rule, at, because, basis,
        effect), tier, supervision, and text (as ``gradus score --explain``
        prints it). Numbers are exact `decimal.Decimal`s; a record's ``row``
        is its 0-based position in `records`. Raises KeyError for an unknown id.
        """
        table = self.prepare(subjects, records, threads=1)
        index = table._core.index_of(str(id))
        if index < 0:
            raise KeyError(f"no subject with id {id!r}")
        return self._core.explain(table._core, index, _gradus.date_of(as_of))

    # ------------------------------------------------------------ penalties
    def _decide(self, breaches: Any, threads: int) -> Any:
        cols, names = _frames.columns(breaches, list(self.breach_columns), "breaches")
        return self._core.decide(cols, names, _threads(threads))

    def decide(self, breaches: Any, *, threads: int = 0, structured: bool = False) -> Any:
        """Decides every breach with the penalty rules.

        `breaches` is a pandas DataFrame or a dict of columns (numpy arrays,
        Series, lists) with the columns `breach_columns` names (others are
        ignored): ``id`` (unique) and ``party`` (integers or strings),
        ``date`` (the decision date), ``penalty`` (a penalty rule's name) and
        every breach input, converted as `score` converts a field of the same
        type; inputs are never negative. A party's breaches are decided in
        date order (then row order), each seeing the history before it, so
        give the whole batch at once.

        Returns a DataFrame with the columns of ``gradus penalty``'s CSV:
        ``id`` and ``party`` (as given), ``date`` (datetime64), ``penalty``,
        ``level`` (ordered categorical none < mitigated < lighter < general <
        heavier; NaN when the breach failed), ``measures`` (text such as
        ``fine 65000..85000; !suspension_order``, escalations marked ``!``)
        and ``error`` (None, or why that breach could not be decided). With
        ``structured=True`` each ``measures`` cell is instead a list of dicts:
        measure, label, low, high, statutory_low, statutory_high (exact
        `decimal.Decimal`s in the unit; None for a measure without amount),
        unit ('yuan', 'days', 'months' or None), escalation (bool) and basis.

        Raises DataError for bad data (a missing column, mismatched lengths,
        an unknown rule or enum value, a negative input, NaN, a duplicate id),
        naming the row and column; TypeError for a column of an unusable
        dtype; ValueError when the rulebook has no penalty rules. Results do
        not depend on `threads` (0: one per core); the decisions run with the
        GIL released.
        """
        core = self._decide(breaches, threads)
        rules = [r["name"] for r in self.penalty_rules]
        return _frames.decisions_frame(core, _frames.id_values(breaches, "id"), _frames.id_values(breaches, "party"),
                                       rules, _gradus.levels, structured)

    def explain_decision(self, breaches: Any, id: Any, *, threads: int = 0) -> dict[str, Any]:
        """Why breach `id` got its decision, as plain Python objects.

        All of `breaches` is decided (the party's history counts), then breach
        `id` explained. Keys: id, party, date (`datetime.date`), penalty,
        level (None when the breach failed), measures (dicts, as `decide`
        gives with ``structured=True``), error, and text (as ``gradus penalty
        --explain`` prints it: the level and what decided it, each measure
        with its statutory range, rule and basis). Raises KeyError for an
        unknown id.
        """
        core = self._decide(breaches, threads)
        row = core.index_of(str(id))
        if row < 0:
            raise KeyError(f"no breach with id {id!r}")
        return {"id": id, **core.explain(row)}


def _threads(threads: int) -> int:
    if not isinstance(threads, (int, np.integer)) or threads < 0:
        raise ValueError(f"threads must be a whole number >= 0 (0: one per core), not {threads!r}")
    return int(threads)


def load(path: PathLike) -> Rulebook:
    """Loads a rulebook file; raises RulebookError (with every diagnostic) or OSError."""
    return Rulebook.from_file(path)


def loads(text: str, name: str = "<string>") -> Rulebook:
    """Loads a rulebook from rule text; `name` labels its diagnostics."""
    return Rulebook.from_string(text, name)


def check(path: PathLike) -> list[Diagnostic]:
    """Every diagnostic of a rulebook file (errors and warnings), without raising for bad rules."""
    return list(_gradus.compile_file(os.fspath(path)).diagnostics)


def check_string(text: str, name: str = "<string>") -> list[Diagnostic]:
    """Every diagnostic of rule text, without raising for bad rules."""
    return list(_gradus.compile_string(text, name).diagnostics)


def evaluate(rulebooks: Union[Mapping[str, Rulebook], Iterable[Rulebook]], subjects: Any, records: Any = None, *,
             as_of: Any, threads: int = 0, output: str = "pandas") -> dict[str, Any]:
    """Scores the same subjects with several rulebooks (one per category).

    `rulebooks` is a mapping name -> Rulebook, or an iterable of rulebooks
    (named by `Rulebook.name`). Returns a dict with the same names and, for
    each, what `Rulebook.score` returns. The data are converted once per
    distinct data schema.
    """
    named = dict(rulebooks) if isinstance(rulebooks, Mapping) else {rb.name: rb for rb in rulebooks}
    tables: dict[str, Table] = {}
    results: dict[str, Any] = {}
    for name, rb in named.items():
        key = rb._core.schema_key
        if key not in tables:
            tables[key] = rb.prepare(subjects, records, threads=threads)
        results[name] = rb.score(tables[key], as_of=as_of, threads=threads, output=output)
    return results
