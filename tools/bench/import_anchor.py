"""The anchor of `frontline bench import`: Python's sqlite3.executemany of the same people rows
in one transaction, into a fresh SQLite file with Frontline's own `people` table and indexes and
the same settings (WAL, synchronous=NORMAL). Reading the rows into memory is not timed.

Usage: import_anchor.py DDL_FILE ROWS_CSV DB_FILE  -> prints {"seconds": ..., "rows": ...}
"""
import csv
import json
import sqlite3
import sys
import time


def main():
    ddl_file, rows_file, db_file = sys.argv[1:4]
    with open(ddl_file, encoding="utf-8") as f:
        ddl = f.read()
    with open(rows_file, encoding="utf-8", newline="") as f:
        rows = [tuple(None if v == "" else v for v in r) for r in csv.reader(f)]
    con = sqlite3.connect(db_file, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(ddl)
    started = time.perf_counter()
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO people (name, category, party_status, rank, specialties, birthday, phone, home_unit_id, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.execute("COMMIT")
    seconds = time.perf_counter() - started
    (n,) = con.execute("SELECT COUNT(*) FROM people").fetchone()
    con.close()
    print(json.dumps({"seconds": seconds, "rows": n}))


if __name__ == "__main__":
    main()
