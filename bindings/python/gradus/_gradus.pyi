"""Type stubs of gradus._gradus, the compiled core (use the `gradus` module instead)."""

from typing import Any, Optional

import numpy as np

class DataError(ValueError):
    """Bad input data: a missing column, mismatched lengths, a value that does not fit its field, a duplicate or unknown id."""

class Note:
    """A secondary position of a diagnostic (e.g. 'first defined here')."""
    file: str
    line: int
    column: int
    message: str

class Diagnostic:
    """One diagnostic of a rulebook, with its position and stable code; str() renders it as the CLI does."""
    severity: str
    code: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    notes: list[Note]

class Proof:
    """The proportionality proof of a rulebook's penalty rules (rules/PENALTIES.md)."""
    rules: int
    cases: int
    proved: bool

class Decisions:
    """The decisions on one batch of breaches."""
    level: np.ndarray
    penalty: np.ndarray
    date: np.ndarray
    measures: list[str]
    errors: list[tuple[int, str]]
    def __len__(self) -> int: ...
    def measure_dicts(self) -> list[list[dict[str, Any]]]: ...
    def index_of(self, id: str) -> int: ...
    def explain(self, row: int) -> dict[str, Any]: ...

class Table:
    """Subjects and records converted for one rulebook's schema."""
    subject_count: int
    record_count: int
    schema_key: str
    borrowed: list[str]
    def index_of(self, id: str) -> int: ...

class Scores:
    """The outcomes of one evaluation."""
    score: np.ndarray
    tier: np.ndarray
    overrides: np.ndarray
    errors: list[tuple[int, str]]
    def write(self, path: str, format: str = "csv") -> None: ...
    def text(self, format: str = "csv") -> str: ...
    def summary(self) -> dict[str, Any]: ...

class Rulebook:
    """A compiled rulebook, or the diagnostics of one that failed."""
    ok: bool
    has_score: bool
    proof: Proof
    diagnostics: list[Diagnostic]
    rendered: str
    name: str
    text: str
    title: str
    version: str
    penalty_rules: list[dict[str, str]]
    breach_fields: list[tuple[str, str, Optional[str]]]
    key_field: str
    link_field: str
    kind_field: str
    kinds: list[str]
    subject_fields: list[tuple[str, str]]
    record_fields: list[tuple[str, str, list[str]]]
    enums: dict[str, dict[str, Any]]
    tiers: list[dict[str, Any]]
    overrides: list[dict[str, Any]]
    summary_field: Optional[str]
    schema_key: str
    def listing(self) -> str: ...
    def prepare(self, subjects: dict[str, Any], subjects_available: list[str], records: Optional[dict[str, Any]],
                records_available: list[str], threads: int) -> Table: ...
    def evaluate(self, table: Table, as_of: int, threads: int, chunk_size: int) -> Scores: ...
    def explain(self, table: Table, index: int, as_of: int) -> dict[str, Any]: ...
    def decide(self, breaches: dict[str, Any], available: list[str], threads: int) -> Decisions: ...

def compile_string(text: str, name: str) -> Rulebook: ...
def compile_file(path: str) -> Rulebook: ...
def date_of(value: Any) -> int: ...
def format_date(days: int) -> str: ...
def format_summary(category_field: str, categories: list[str], tiers: list[str], counts: list[list[int]],
                   tier_totals: list[int], failed: int, subjects: int, score_sum: Optional[int]) -> str: ...
def did_you_mean(name: str, candidates: list[str]) -> str: ...

levels: list[str]
