"""gradus.dask on a LocalCluster with two worker processes equals the single-process run."""

import subprocess

import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import gradus
import gradus.dask
from conftest import AS_OF, BUILD, ROOT


@pytest.fixture(scope="module")
def w1_data(tmp_path_factory):
    """3,000 W1 subjects (about 24,000 records) from the project's generator."""
    out = tmp_path_factory.mktemp("w1")
    subprocess.run([str(BUILD / "benchmarks" / "w1" / "gradus_w1"), "gen", "--subjects", "3000", "--seed", "5",
                    "--out", str(out)], check=True, capture_output=True)
    return out / "subjects.csv", out / "records.csv"


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


def sorted_lines(text):
    header, *rows = text.splitlines()
    return header, sorted(rows, key=lambda r: int(r.split(",", 1)[0]))


def test_two_workers_equal_one_process(w1, w1_data, client, tmp_path):
    subjects_csv, records_csv = w1_data
    single = w1.evaluate(w1.prepare(pd.read_csv(subjects_csv), pd.read_csv(records_csv)), as_of=AS_OF)

    subjects = dd.from_pandas(pd.read_csv(subjects_csv), npartitions=3)
    records = dd.read_csv(records_csv, blocksize=200_000)
    assert subjects.npartitions > 1 and records.npartitions > 1
    result = gradus.dask.score(w1, subjects, records, as_of=AS_OF, out_dir=tmp_path, npartitions=4, client=client)

    assert len(result["parts"]) == 4
    parts = [open(p).read() for p in result["parts"]]
    assert all(p.startswith("id,score,tier") for p in parts) and all(p.count("\n") > 100 for p in parts)
    header, rows = sorted_lines(single.text())
    combined = sorted((line for p in parts for line in p.splitlines()[1:]), key=lambda r: int(r.split(",", 1)[0]))
    assert combined == rows
    expected = single.summary()
    assert result["text"] == expected["text"]
    assert result["score_sum"] == expected["score_sum"] and result["subjects"] == 3000
    assert (tmp_path / "summary.txt").read_text() == expected["text"]


def test_text_ids_and_bad_data(w1, client, tmp_path):
    subjects = pd.read_csv(ROOT / "examples" / "w1" / "subjects.csv").astype({"id": str})
    records = pd.read_csv(ROOT / "examples" / "w1" / "records.csv")  # integer ids: matched as text
    result = gradus.dask.score(w1, subjects, records, as_of=AS_OF, out_dir=tmp_path / "ok", npartitions=3,
                               client=client)
    assert result["text"] == w1.evaluate(w1.prepare(subjects, records), as_of=AS_OF).summary()["text"]
    records.loc[0, "kind"] = "violaton"
    with pytest.raises(gradus.DataError, match=r"partition \d: records row \d+, column 'kind': unknown kind 'violaton'"):
        gradus.dask.score(w1, subjects, records, as_of=AS_OF, out_dir=tmp_path / "bad", npartitions=3, client=client)
