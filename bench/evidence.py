"""Upload and download of a 10 MB evidence file, per store: `python -m bench evidence`.

Through the Flask test client (the app's whole request path: CSRF off, the upload form, the
type check, the SHA-256, the store, the audit row; the download's access check and send_file),
a branch user uploads a 10 MB PDF five times and downloads it five times, on:
- the database store on SQLite (a file in a temporary folder);
- the database store on PostgreSQL, when BENCH_PG_URL names a database it may empty;
- the S3 store against moto's S3-compatible server process (`moto_server`, an in-memory store).

It prints the median wall time of each and the throughput. It reports, it does not fail.
Targets: ≤ 2 s for either of a 10 MB upload and download (a secretary on a slow line waits for
the network, not the server).
"""

from __future__ import annotations

import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

MB = 1024 * 1024
SIZE = 10 * MB
ROUNDS = 5
TARGET_S = 2.0
PASSWORD = "pw-bench-1"


def main() -> None:
    data = b"%PDF-1.4\n" + os.urandom(SIZE - 20) + b"\n%%EOF\n"
    with tempfile.TemporaryDirectory() as tmp:
        run("database, SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", data)
        if os.environ.get("BENCH_PG_URL"):
            run("database, PostgreSQL", os.environ["BENCH_PG_URL"], data)
        port = free_port()
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            endpoint = wait_for(port)
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
            import boto3

            boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="evidence")
            s3 = {"EVIDENCE_STORE": "s3", "EVIDENCE_S3_BUCKET": "evidence", "EVIDENCE_S3_ENDPOINT_URL": endpoint,
                  "EVIDENCE_S3_REGION": "us-east-1"}  # fmt: skip
            run("S3 (moto_server)", f"sqlite:///{Path(tmp) / 'bench-s3.db'}", data, s3)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def run(name: str, url: str, data: bytes, extra: dict | None = None) -> None:
    from app import create_app
    from app.extensions import db
    from app.models import Cycle, Evidence, Organisation, User
    from app.passwords import hash_password

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "EVIDENCE_MAX_TOTAL_MB": 1000, **(extra or {})})  # fmt: skip
    with app.app_context():
        db.drop_all()
        db.create_all()
        org = Organisation(code="B01", name="第一党支部", kind="branch", path="/B01/")
        year = date.today().year
        db.session.add_all(
            [
                org,
                User(
                    username="b01",
                    name="B01",
                    role="branch",
                    organisation=org,
                    password_hash=hash_password("pw-bench-1"),
                ),
                Cycle(
                    year=year, questionnaire_version="2026-1", opens_on=date(year, 1, 1), closes_on=date(year, 12, 31)
                ),
            ]
        )
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "b01", "password": PASSWORD})
    selfcheck_id = int(client.post("/selfcheck/start").location.split("/")[2])
    uploads, downloads = [], []
    for _ in range(ROUNDS):
        boundary, body = encode_multipart(
            {"target": "L01", "file": FileStorage(io.BytesIO(data), filename="会议记录.pdf")}
        )
        started = time.perf_counter()
        response = client.post(f"/selfcheck/{selfcheck_id}/evidence", data=body,
                               content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip
        uploads.append(time.perf_counter() - started)
        assert response.status_code == 302, response.status_code
        with app.app_context():
            evidence_id = db.session.scalar(db.select(Evidence.id).order_by(Evidence.id.desc()))
        started = time.perf_counter()
        response = client.get(f"/evidence/{evidence_id}")
        downloaded = response.get_data()
        downloads.append(time.perf_counter() - started)
        assert downloaded == data
    up, down = statistics.median(uploads), statistics.median(downloads)
    verdict = "met" if max(up, down) <= TARGET_S else "MISSED"
    print(
        f"{name:22} 10 MB upload median {up * 1000:6.0f} ms ({SIZE / MB / up:5.1f} MB/s), "
        f"download {down * 1000:6.0f} ms ({SIZE / MB / down:5.1f} MB/s); target ≤ {TARGET_S:g} s: {verdict}"
    )
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


if __name__ == "__main__":
    main()
