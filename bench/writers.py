"""SQLite writers: the writer queue (`app.database.WriterQueue`) against SQLite's own busy handler.

`python -m bench writers`: 2 processes × 4 threads (the server's default on 2 cores) each run
write transactions on one SQLite file as autosave does (BEGIN IMMEDIATE, a few statements,
COMMIT), with a pause between them, first through the queue, then with the queue switched off
so that waiting is left to the busy timeout. Prints the transactions per second and how long
each waited to begin (p50, p95, max). This is a benchmark: it reports, it does not fail.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

PROCESSES, THREADS, TRANSACTIONS = 2, 4, 300  # per thread
PAUSE_S = float(os.environ.get("PAUSE", "0.004"))  # between one thread's transactions: the rest of a request
WORK = int(os.environ.get("WORK", "0"))


def writer(url: str, use_queue: bool, results) -> None:
    from sqlalchemy import create_engine, text

    import app.database

    if not use_queue:
        app.database.WriterQueue.of = classmethod(lambda cls, path: None)
    engine = create_engine(url, pool_size=THREADS)
    app.database.configure_engine(engine)
    waits: list[float] = []

    def run() -> None:
        for n in range(TRANSACTIONS):
            with engine.connect() as conn, app.database.writing():
                started = time.perf_counter()
                conn.begin()
                waits.append(time.perf_counter() - started)
                conn.execute(text("INSERT INTO answer (item, value) VALUES (:i, :v)"), {"i": n % 44, "v": "x" * 40})
                conn.execute(text("SELECT count(*) FROM answer WHERE item = :i"), {"i": n % 44}).scalar()
                sum(range(WORK))
                conn.commit()
            time.sleep(PAUSE_S)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    results.put(waits)


def measure(folder: Path, use_queue: bool) -> None:
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{folder / ('queue.db' if use_queue else 'busy.db')}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE answer (id INTEGER PRIMARY KEY, item INTEGER, value TEXT)"))
        conn.execute(text("CREATE INDEX ix_item ON answer (item)"))
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    began = time.perf_counter()
    processes = [context.Process(target=writer, args=(url, use_queue, results)) for _ in range(PROCESSES)]
    for p in processes:
        p.start()
    waits = sorted(w * 1000 for _ in processes for w in results.get(timeout=600))
    for p in processes:
        p.join()
    wall = time.perf_counter() - began
    p95 = waits[int(0.95 * (len(waits) - 1))]
    print(
        f"{'writer queue' if use_queue else 'busy handler only':<18} {len(waits) / wall:7.0f} transactions/s; "
        f"wait to begin: p50 {statistics.median(waits):.2f} ms, p95 {p95:.1f} ms, max {waits[-1]:.0f} ms"
    )


def main() -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{PROCESSES} processes × {THREADS} threads × {TRANSACTIONS} write transactions each; load average {load}")
    folder = Path(tempfile.mkdtemp(prefix="bench-writers-"))
    try:
        for use_queue in (True, False):
            measure(folder, use_queue)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
