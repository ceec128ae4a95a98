"""Anchor for `frontline bench pair`: solves the same assignment instances with
scipy.optimize.linear_sum_assignment and lap.lapjv and prints their times and total costs as JSON.

Input files (written by the Rust benchmark): little-endian u64 rows, u64 cols, then rows*cols f64,
row-major. Usage: pair_anchor.py RUNS FILE...
"""

import json
import statistics
import sys
import time

import lap
import numpy as np
from scipy.optimize import linear_sum_assignment


def load(path):
    with open(path, "rb") as f:
        head = np.frombuffer(f.read(16), dtype="<u8")
        rows, cols = int(head[0]), int(head[1])
        data = np.frombuffer(f.read(rows * cols * 8), dtype="<f8")
    return data.reshape(rows, cols).copy()


def timed(runs, solve):
    times, total = [], None
    for _ in range(runs):
        t = time.perf_counter()
        total = solve()
        times.append(time.perf_counter() - t)
    return statistics.median(times), total


def main():
    runs = int(sys.argv[1])
    out = {}
    for path in sys.argv[2:]:
        cost = load(path)

        def scipy_solve():
            r, c = linear_sum_assignment(cost)
            return float(cost[r, c].sum())

        def lap_solve():
            # lap needs a square matrix unless asked to extend it with dummies.
            total, _, _ = lap.lapjv(cost, extend_cost=cost.shape[0] != cost.shape[1])
            return float(total)

        s_time, s_total = timed(runs, scipy_solve)
        l_time, l_total = timed(runs, lap_solve)
        out[path] = {
            "scipy": {"seconds": s_time, "total": s_total},
            "lap": {"seconds": l_time, "total": l_total},
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
