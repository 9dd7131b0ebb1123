"""Scoring a data set larger than one machine's memory on a Dask cluster.

One evaluation is spread over the workers of a ``distributed`` cluster (or
any Dask scheduler)::

    from dask.distributed import Client
    import dask.dataframe as dd
    from dask.dataframe.shuffle import rearrange_by_column
    import gradus, gradus.dask

    client = Client("tcp://scheduler:8786")              # or LocalCluster()
    rb = gradus.load("rules/w1.gradus")
    subjects = dd.read_csv("subjects-*.csv", blocksize="64MB")
    records = dd.read_csv("records-*.csv", blocksize="64MB")
    summary = gradus.dask.score(rb, subjects, records, as_of="2025-01-01",
                                out_dir="/shared/w1-2025", npartitions=64)
    print(summary["text"])

How it works:

1. Subjects and records are partitioned by subject id: each row gets the
   partition ``hash(id) % npartitions`` (the same hash on both sides, ids of
   both sides compared as the same type) and Dask's task-based shuffle
   (``rearrange_by_column``) moves rows there. Every subject lands in one partition together with all its
   records, so partitions are scored independently. Workers spill to disk as
   Dask does, so the data set need not fit in memory.
2. The rulebook travels as its text; each worker process compiles it once and
   caches it (keyed by the text's SHA-256).
3. Each partition is scored on its worker (`Rulebook.prepare` and
   `Rulebook.evaluate`, sorted by id) and written to
   ``out_dir/part-NNNNN.csv`` (or ``.jsonl``), exactly as
   ``gradus score --out`` writes. Only a small summary goes back to the client.
4. The summaries are added up exactly (the score sum is a
   `decimal.Decimal`) and written to ``out_dir/summary.txt`` (as ``gradus
   score`` prints it) and ``out_dir/summary.json``.

Bad data in a partition raises `gradus.DataError` from `score`, naming the
partition and the row within it.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from decimal import Decimal
from typing import Any, Optional

import numpy as np

import gradus
from . import _gradus

__all__ = ["score", "score_partition"]

_PART = "_partitions"  # the column name Dask's shuffle reads as the destination partition
_cache: dict[str, gradus.Rulebook] = {}
_cache_lock = threading.Lock()


def _rulebook(text: str, name: str) -> gradus.Rulebook:
    """The rulebook compiled from `text`, once per process."""
    key = hashlib.sha256(text.encode()).hexdigest()
    with _cache_lock:
        rb = _cache.get(key)
        if rb is None:
            rb = _cache[key] = gradus.loads(text, name)
        return rb


def score_partition(text: str, name: str, subjects: Any, records: Any, *, index: int, out_dir: str, as_of: str,
                    threads: int = 1, format: str = "csv") -> dict[str, Any]:
    """Scores one partition (pandas DataFrames) and writes ``part-NNNNN.<format>``.

    Runs on a worker; returns the partition's summary (`Scores.summary`)
    with its ``path``. Subjects are written in id order.
    """
    rb = _rulebook(text, name)
    key = rb._core.key_field
    subjects = subjects.drop(columns=[_PART], errors="ignore").sort_values(key, kind="stable")
    records = records.drop(columns=[_PART], errors="ignore")
    try:
        scores = rb.evaluate(rb.prepare(subjects, records, threads=threads), as_of=as_of, threads=threads)
    except gradus.DataError as e:
        raise gradus.DataError(f"partition {index}: {e}") from None
    path = os.path.join(out_dir, f"part-{index:05d}.{format}")
    scores.write(path, format)
    summary = scores.summary()
    summary["path"] = path
    return summary


def _partition_column(ids: Any, npartitions: int) -> Any:
    import pandas as pd

    return pd.Series(pd.util.hash_pandas_object(ids, index=False).to_numpy() % np.uint64(npartitions),
                     index=ids.index, dtype="int64")


def combine(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Adds partition summaries up exactly; the text is formatted as ``gradus score`` prints it."""
    tiers = summaries[0]["tiers"] if summaries else []
    field = summaries[0]["category_field"] if summaries else None
    counts: dict[str, list[int]] = {}
    totals = [0] * len(tiers)
    failed = subjects = 0
    score_sum: Optional[Decimal] = Decimal(0)
    for s in summaries:
        for category, row in zip(s["categories"], s["counts"]):
            acc = counts.setdefault(category, [0] * len(tiers))
            for t, c in enumerate(row):
                acc[t] += c
        totals = [a + b for a, b in zip(totals, s["tier_totals"])]
        failed += s["failed"]
        subjects += s["subjects"]
        score_sum = None if score_sum is None or s["score_sum"] is None else score_sum + s["score_sum"]
    categories = sorted(counts)
    millionths = None if score_sum is None else int(score_sum * 1_000_000)
    if millionths is not None and not -(2**63) <= millionths < 2**63:
        millionths = None
    text = _gradus.format_summary(field or "", categories, tiers, [counts[c] for c in categories], totals, failed,
                                  subjects, millionths)
    return {
        "category_field": field, "categories": categories, "tiers": tiers,
        "counts": [counts[c] for c in categories], "tier_totals": totals, "failed": failed,
        "subjects": subjects, "score_sum": score_sum, "text": text,
    }


def score(rulebook: gradus.Rulebook, subjects: Any, records: Any, *, as_of: Any, out_dir: str,
          npartitions: Optional[int] = None, client: Any = None, threads: int = 1,
          format: str = "csv") -> dict[str, Any]:
    """Scores a data set on a Dask cluster; writes one file per partition plus a summary.

    `subjects` and `records` are dask DataFrames (e.g. from
    ``dask.dataframe.read_csv``) or pandas DataFrames, with the columns
    `Rulebook.score` takes. `npartitions` defaults to the larger input's
    partition count. `client` is a ``distributed.Client`` (default: the
    current one, or Dask's default scheduler). `threads` is the threads each
    partition is scored with. `out_dir` must be reachable by every worker (a
    shared file system on a real cluster).

    Returns the combined summary (as `Scores.summary`, plus ``parts``: the
    files written, in partition order).
    """
    import dask
    import dask.dataframe as dd
    from dask.dataframe.shuffle import rearrange_by_column

    if format not in ("csv", "jsonl"):
        raise ValueError(f"format must be 'csv' or 'jsonl', not {format!r}")
    as_of_text = _gradus.format_date(_gradus.date_of(as_of))
    if not isinstance(subjects, dd.DataFrame):
        subjects = dd.from_pandas(subjects, npartitions=1)
    if not isinstance(records, dd.DataFrame):
        records = dd.from_pandas(records, npartitions=1)
    key, link = rulebook._core.key_field, rulebook._core.link_field
    for frame, column, side in ((subjects, key, "subjects"), (records, link, "records")):
        if column not in frame.columns:
            raise gradus.DataError(f"{side}: missing column '{column}'")
    parts = npartitions or max(subjects.npartitions, records.npartitions)

    # Both sides hash ids of the same type: integers when both are, text otherwise.
    if not (np.issubdtype(subjects[key].dtype, np.integer) and np.issubdtype(records[link].dtype, np.integer)):
        subjects = subjects.assign(**{key: subjects[key].astype(str)})
        records = records.assign(**{link: records[link].astype(str)})
    subjects = subjects.assign(**{_PART: subjects[key].map_partitions(_partition_column, parts, meta=(_PART, "int64"))})
    records = records.assign(**{_PART: records[link].map_partitions(_partition_column, parts, meta=(_PART, "int64"))})
    # each row goes to the partition its _partitions column names (how Dask's own shuffle() does it)
    subjects = rearrange_by_column(subjects, _PART, npartitions=parts, shuffle="tasks", ignore_index=True)
    records = rearrange_by_column(records, _PART, npartitions=parts, shuffle="tasks", ignore_index=True)

    os.makedirs(out_dir, exist_ok=True)
    text, name = rulebook.text, rulebook.name
    tasks = [
        dask.delayed(score_partition)(text, name, s, r, index=i, out_dir=out_dir, as_of=as_of_text,
                                      threads=threads, format=format)
        for i, (s, r) in enumerate(zip(subjects.to_delayed(), records.to_delayed()))
    ]
    summaries = list(client.gather(client.compute(tasks)) if client is not None else dask.compute(*tasks))
    result = combine(summaries)
    result["parts"] = [s["path"] for s in summaries]
    with open(os.path.join(out_dir, "summary.txt"), "w") as f:
        f.write(result["text"])
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump({**result, "score_sum": None if result["score_sum"] is None else str(result["score_sum"])}, f,
                  indent=1)
    return result
