"""DuckDB anchor for `frontline bench rollup`: the same scheme over the same records, in SQL.

Usage: rollup_anchor.py DIR RUNS. DIR holds the columns the Rust side wrote (unit.bin u32,
kind.bin u8, value.bin i32, parent.bin u32, members.bin u32) and query.sql, generated from the
compiled scheme. Loading (and the closure table of the tree) is timed apart from the query; the
query is run RUNS times and the median is printed; every unit's total goes to totals.bin (f64).
"""
import os, sys, time
import duckdb, numpy as np, pandas as pd

d, runs = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
unit = np.fromfile(os.path.join(d, "unit.bin"), dtype="<u4").astype(np.int32)
kind = np.fromfile(os.path.join(d, "kind.bin"), dtype="u1").astype(np.int16)
value = np.fromfile(os.path.join(d, "value.bin"), dtype="<i4")
parent = np.fromfile(os.path.join(d, "parent.bin"), dtype="<u4").astype(np.int64)
members = np.fromfile(os.path.join(d, "members.bin"), dtype="<u4").astype(np.int64)
n = len(parent)
# The closure table (each unit with itself and every ancestor), as a store keeps for subtree sums.
rows_u, rows_a = [np.arange(n)], [np.arange(n)]
cur = np.arange(n)
while True:
    mask = cur != 0
    if not mask.any():
        break
    cur = np.where(mask, parent[cur], 0)
    rows_u.append(np.arange(n)[mask]); rows_a.append(cur[mask])
con = duckdb.connect()
records_df = pd.DataFrame({"unit": unit, "kind": kind, "value": value})
closure_df = pd.DataFrame({"unit": np.concatenate(rows_u), "ancestor": np.concatenate(rows_a)})
units_df = pd.DataFrame({"id": np.arange(n), "members": members})
con.execute("CREATE TABLE records AS SELECT * FROM records_df")
con.execute("CREATE TABLE closure AS SELECT * FROM closure_df")
con.execute("CREATE TABLE units AS SELECT * FROM units_df")
load = time.perf_counter() - t0
sql = open(os.path.join(d, "query.sql")).read()
times, result = [], None
for _ in range(runs):
    t = time.perf_counter()
    result = con.execute(sql).fetchnumpy()
    times.append(time.perf_counter() - t)
times.sort()
totals = np.zeros(n)
totals[result["unit"].astype(np.int64)] = result["total"]
totals.astype("<f8").tofile(os.path.join(d, "totals.bin"))
print("load_seconds", load)
print("query_seconds", times[len(times) // 2])
print("threads", con.execute("SELECT current_setting('threads')").fetchone()[0])
