"""Production settings for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment, as in the README's deployment section. The
defaults hold the deadline rush on two cores (`python -m bench.load --users 1000`: 1,000 people
logging in over 45 s, each keeping a connection open while they fill in; README, Benchmarks):

- gthread workers, one per core: the work is Python holding its GIL, so more processes than
  cores only take turns. A thread worker keeps each idle keep-alive connection in its poller,
  not in a thread, so a thousand open connections cost no threads (up to `worker_connections`,
  1,000 per worker); sync workers cannot keep connections alive at all.
- 4 threads per worker: a worker keeps serving while one thread checks a password (argon2
  releases the GIL and takes a core for 30 ms) or waits its turn to write. Measured with 300
  users: 1 thread p95 599 ms, 4 threads p95 79 ms, for the same CPU (41–43 s). More threads add
  no capacity once the cores are busy (with 1,000 users, 8 threads did no better than 4).
- keep-alive 5 s: a person pauses 2–4 s between steps, so their next request reuses the
  connection; a connection idle longer is closed and reopened at little cost.
- max_requests 100,000: a recycled worker costs about a second of CPU to start and begins with
  cold caches; at 5,000 requests each worker was recycled two or three times during the rush.
- no access log by default: the reverse proxy in front writes one, and gunicorn's cost 0.4 ms
  a request (a fifth of an autosave's 2 ms); set GUNICORN_ACCESS_LOG=- to have it on stdout.

On a bigger machine: GUNICORN_WORKERS = the number of cores (the default), threads unchanged;
with PostgreSQL, give it cores of its own (on the same 2 cores it took a third of the CPU) and
allow max_connections ≥ app servers × workers × (threads + 2 job threads).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
backlog = 2048  # connections the kernel holds for a busy worker: the rush opens a thousand at once
# Recycle each worker after a while, so that memory cannot creep up for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# Proxies whose X-Forwarded-* headers are believed (see also TRUSTED_PROXIES for the app).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
