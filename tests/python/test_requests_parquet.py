"""`requests.parquet` read by real readers (pyarrow and DuckDB): one row per request of
summary.json, the columns of requests.csv with their types, and the same ids and outcomes as
`--requests csv` gives for the same seed.

SWITCHYARD_BIN names the binary (default: target/release/switchyard).
"""

import csv
import json
import os
import pathlib
import subprocess

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("SWITCHYARD_BIN", str(ROOT / "target" / "release" / "switchyard"))
SCENARIO = ROOT / "scenarios" / "client-retry-storm.yaml"
COLUMNS = ["id", "policy", "arrival_s", "model", "deployment", "status", "error_class",
           "latency_ms", "ttft_ms", "attempts", "input_tokens", "output_tokens", "cost_usd",
           "retries", "fallback_path", "final_group", "client_retries"]


def run(out, fmt):
    subprocess.run([BIN, "run", str(SCENARIO), "--brief", "--quiet", "--requests", fmt,
                    "--out", str(out)], check=True, capture_output=True)
    return json.loads((out / "summary.json").read_text())


def test_pyarrow_reads_one_typed_row_per_request(tmp_path):
    summary = run(tmp_path / "pq", "parquet")
    table = pq.read_table(tmp_path / "pq" / "requests.parquet")
    assert table.column_names == COLUMNS
    assert table.num_rows == sum(p["requests"] for p in summary["policies"].values())
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("status").type == pa.int32()
    assert table.schema.field("latency_ms").type == pa.float64()
    assert table.schema.field("model").type == pa.string()
    by_policy = table.group_by("policy").aggregate([("id", "count")]).to_pylist()
    counts = {r["policy"]: r["id_count"] for r in by_policy}
    assert counts == {name: p["requests"] for name, p in summary["policies"].items()}


def test_duckdb_agrees_with_the_csv_of_the_same_seed(tmp_path):
    run(tmp_path / "pq", "parquet")
    run(tmp_path / "csv", "csv")
    with open(tmp_path / "csv" / "requests.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    query = f"SELECT policy, id, status, coalesce(error_class, '') AS error_class, retries " \
            f"FROM '{tmp_path / 'pq' / 'requests.parquet'}'"
    got = duckdb.sql(query).fetchall()
    want = [(r["policy"], int(r["id"]), int(r["status"]), r["error_class"], int(r["retries"]))
            for r in rows]
    assert got == want
