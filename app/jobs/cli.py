"""`flask --app wsgi worker`: serve the job queue (needs REDIS_URL)."""

from __future__ import annotations

import gc
import multiprocessing

import click
from flask.cli import with_appcontext

from ..extensions import db
from .runner import QUEUE_NAME, redis_connection


def _work(max_jobs: int, burst: bool) -> None:
    from rq import Queue, SimpleWorker

    # A fresh process takes fresh database connections; jobs then run one after another in
    # this process (SimpleWorker: no fork per job), reusing them.
    db.engine.dispose(close=False)
    connection = redis_connection()
    queue = Queue(QUEUE_NAME, connection=connection)
    SimpleWorker([queue], connection=connection).work(max_jobs=max_jobs, burst=burst, with_scheduler=False)


@click.command("worker")
@click.option(
    "--max-jobs",
    type=int,
    default=200,
    show_default=True,
    help="Jobs one worker process runs before it is replaced by a fresh one (bounds memory).",
)
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@with_appcontext
def worker(max_jobs, burst):
    """Run jobs from the queue.

    Jobs run in a child process that is replaced by a fresh one after --max-jobs jobs, so a
    worker's memory cannot creep up however long it runs; this command itself stays small.
    """
    from rq import Queue

    connection = redis_connection()
    if connection is None:
        raise click.ClickException("REDIS_URL is not set: without a queue, jobs run inside the web process.")
    queue = Queue(QUEUE_NAME, connection=connection)
    # The children share this process's memory until they write to it. Python's garbage
    # collector writes to every object it looks at, so without this each child would soon
    # hold its own copy of the app; frozen, the app's objects are never looked at again.
    gc.collect()
    gc.freeze()
    fork = multiprocessing.get_context("fork")
    while True:
        child = fork.Process(target=_work, args=(max_jobs, burst), name="selfcheck-worker")
        child.start()
        child.join()
        if child.exitcode != 0:
            raise click.ClickException(f"worker process exited with {child.exitcode}")
        if burst and queue.count == 0:
            return
