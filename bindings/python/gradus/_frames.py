"""Columns in and out: pandas DataFrames and dicts of numpy arrays <-> the core.

Private to the package. Inputs are handed to the core column by column
without copies where numpy allows (a Series' values, an array, a categorical's
codes); outputs are assembled from numpy views of the core's buffers.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np


def _is_categorical(values: Any) -> bool:
    dtype = getattr(values, "dtype", None)
    return getattr(dtype, "name", None) == "category"


def _column(values: Any, where: str) -> Any:
    """One column as the core takes it: a 1-D numpy array, or ('categorical', codes, categories)."""
    if _is_categorical(values):
        cat = values.cat if hasattr(values, "cat") else values  # Series or Categorical
        codes = np.asarray(cat.codes)
        return ("categorical", codes, np.asarray(cat.categories, dtype=object))
    if isinstance(values, np.ndarray):
        return values
    to_numpy = getattr(values, "to_numpy", None)
    if to_numpy is not None:  # pandas Series or Index: no copy for numpy dtypes
        return to_numpy()
    if isinstance(values, (list, tuple)):
        return np.asarray(values, dtype=object)
    raise TypeError(f"{where}: expected a numpy array, a pandas Series or a list, got {type(values).__name__}")


def columns(data: Any, needed: list[str], side: str) -> tuple[dict[str, Any], list[str]]:
    """The needed columns of a DataFrame or a mapping, and every column name it has.

    A needed column that is missing is left out (the core reports it, with a
    suggestion); a DataFrame's index counts as a column when it bears the name.
    """
    if hasattr(data, "columns") and hasattr(data, "index"):  # a pandas DataFrame
        available = [str(c) for c in data.columns]
        found: dict[str, Any] = {}
        for name in needed:
            if name in data.columns:
                values = data[name]
                if getattr(values, "ndim", 1) != 1:
                    raise TypeError(f"{side}: column '{name}' appears more than once")
                found[name] = _column(values, f"{side} column '{name}'")
            elif data.index.name == name:
                found[name] = _column(data.index, f"{side} index '{name}'")
        if data.index.name:
            available.append(str(data.index.name))
        return found, available
    if isinstance(data, Mapping):
        available = [str(c) for c in data.keys()]
        return {n: _column(data[n], f"{side} column '{n}'") for n in needed if n in data}, available
    raise TypeError(f"{side}: expected a pandas DataFrame or a dict of columns, got {type(data).__name__}")


def id_values(data: Any, key: str) -> Any:
    """The subject ids as given (for the id column of the results)."""
    if hasattr(data, "columns") and hasattr(data, "index"):
        values = data[key] if key in data.columns else data.index
        return values.to_numpy()
    return np.asarray(data[key])


def tier_tables(tiers: list[dict]) -> dict[str, np.ndarray]:
    """Per-tier supervision as arrays indexed by tier + 1 (index 0: a failed subject)."""
    def table(values: list, dtype: Any) -> np.ndarray:
        out = np.empty(len(values) + 1, dtype=dtype)
        out[0] = None if dtype is object else np.nan
        out[1:] = values if dtype is not object else _objects(values)
        return out

    return {
        "sampling": table([np.nan if t["sampling"] is None else float(t["sampling"]) for t in tiers], np.float64),
        "interval_days": table([np.nan if t["interval_days"] is None else t["interval_days"] for t in tiers], np.float64),
        "incentives": table([tuple(t["incentives"]) for t in tiers], object),
        "measures": table([tuple(t["measures"]) for t in tiers], object),
    }


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def override_names(masks: np.ndarray, names: list[str]) -> np.ndarray:
    """A tuple of override names per subject, from the bit masks."""
    def names_of(mask: int) -> tuple:
        return tuple(n for k, n in enumerate(names) if (mask >> k) & 1)

    if len(names) <= 12:  # every combination in a table
        table = _objects([names_of(m) for m in range(1 << len(names))])
        return table[masks.astype(np.intp)]
    unique, inverse = np.unique(masks, return_inverse=True)
    return _objects([names_of(int(m)) for m in unique])[inverse]


def errors_column(n: int, errors: list[tuple[int, str]]) -> np.ndarray:
    out = np.full(n, None, dtype=object)
    for i, message in errors:
        out[i] = message
    return out


def to_numpy(core: Any, ids: Any) -> dict[str, np.ndarray]:
    """Results as numpy arrays (views of the core's buffers where possible)."""
    tier = core.tier
    score = core.score / 1e6
    score[tier < 0] = np.nan
    return {
        "id": ids,
        "score": score,
        "score_millionths": core.score,
        "tier": tier,
        "overrides": core.overrides,
        "error": errors_column(len(tier), core.errors),
    }


def to_frame(core: Any, ids: Any, tiers: list[dict], overrides: list[str]) -> Any:
    """Results as a DataFrame with the columns of `gradus score`'s CSV."""
    import pandas as pd

    arrays = to_numpy(core, ids)
    at = arrays["tier"].astype(np.intp) + 1
    table = tier_tables(tiers)
    names = [t["name"] for t in tiers]
    return pd.DataFrame({
        "id": ids,
        "score": arrays["score"],
        "tier": pd.Categorical.from_codes(arrays["tier"], categories=names),
        "sampling": table["sampling"][at],
        "interval_days": pd.array(table["interval_days"][at], dtype="Int64"),
        "incentives": table["incentives"][at],
        "measures": table["measures"][at],
        "overrides": override_names(np.where(arrays["tier"] < 0, 0, arrays["overrides"]), overrides),
        "error": arrays["error"],
    })


def decisions_frame(core: Any, ids: Any, parties: Any, rules: list[str], levels: list[str], structured: bool) -> Any:
    """Decisions as a DataFrame with the columns of `gradus penalty`'s CSV."""
    import pandas as pd

    n = len(core)
    return pd.DataFrame({
        "id": ids,
        "party": parties,
        "date": core.date.astype(np.int64).astype("datetime64[D]"),
        "penalty": np.asarray(rules, dtype=object)[core.penalty.astype(np.intp)],
        "level": pd.Categorical.from_codes(core.level, categories=levels, ordered=True),
        "measures": _objects(core.measure_dicts()) if structured else np.asarray(core.measures, dtype=object),
        "error": errors_column(n, core.errors),
    })
