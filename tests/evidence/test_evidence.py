"""Evidence files: the type read from the content, the limits, the names, who may read, add and
remove, the audit log, and both stores (the database; S3 through a real moto server process)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.database import write_transaction
from app.evidence import service
from app.evidence.filetypes import OLE_SIGNATURE, RefusedType, kind_of
from app.extensions import db
from app.models import AuditEvent, Evidence, EvidenceBlob, RectificationAction, SelfCheck
from tests.conftest import THIS_YEAR, login, submitted_selfcheck

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, fmt)
    return out.getvalue()


def office_zip(main_part: str, extra: dict | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr(main_part, "<x/>")
        for name, content in (extra or {}).items():
            z.writestr(name, content)
    return out.getvalue()


def xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def upload(client, selfcheck_id, data: bytes, name: str, target: str = "L01"):
    # encoded in memory: the test client spools a large body to a temporary file it never closes
    boundary, body = encode_multipart({"target": target, "file": FileStorage(io.BytesIO(data), filename=name)})
    return client.post(
        f"/selfcheck/{selfcheck_id}/evidence",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Accept-Language": "en"},
    )


def flashed(client, selfcheck_id) -> str:
    return client.get(f"/selfcheck/{selfcheck_id}/evidence", headers={"Accept-Language": "en"}).get_data(as_text=True)


@pytest.fixture
def draft(app, client, world) -> int:
    login(client, "b1")
    return int(client.post("/selfcheck/start").location.split("/")[2])


def test_the_type_is_read_from_the_content_not_the_name():
    assert kind_of(PDF) == "pdf"
    assert kind_of(image("PNG")) == "png"
    assert kind_of(image("JPEG")) == "jpg"
    assert kind_of(xlsx()) == "xlsx"
    assert kind_of(office_zip("word/document.xml")) == "docx"
    for refused in (
        b"just text, named .pdf",
        office_zip("word/document.xml", {"word/vbaProject.bin": "macro"}),  # a .docm
        office_zip("other/part.xml"),  # a ZIP that is no Word or Excel file
        b"PK\x03\x04" + b"\x00" * 40,  # a broken ZIP
        b"GIF89a" + b"\x00" * 20,
    ):
        with pytest.raises(RefusedType) as caught:
            kind_of(refused)
        assert not caught.value.legacy
    with pytest.raises(RefusedType) as caught:
        kind_of(OLE_SIGNATURE + b"\x00" * 512)  # .doc, .xls
    assert caught.value.legacy


def test_names_are_kept_without_folders_and_end_in_the_real_type():
    assert service.clean_name("会议记录（2026年3月）.pdf", "pdf") == "会议记录（2026年3月）.pdf"
    assert service.clean_name("..\\..\\etc/学习方案.PDF", "pdf") == "学习方案.PDF"
    assert service.clean_name("photo.jpeg", "jpg") == "photo.jpeg"
    assert service.clean_name("invoice.pdf", "png") == "invoice.pdf.png"
    assert service.clean_name("a\x00b\r\n.docx", "docx") == "ab.docx"
    assert service.clean_name("", "xlsx") == "file.xlsx"
    assert len(service.clean_name("长" * 500 + ".pdf", "pdf")) == 200


def test_the_branch_attaches_files_and_every_reader_downloads_them(app, client, draft):
    for data, name in ((PDF, "会议记录.pdf"), (image("JPEG"), "照片.jpg"), (xlsx(), "台账.xlsx")):
        assert upload(client, draft, data, name).status_code == 302
    page = flashed(client, draft)
    assert "会议记录.pdf" in page
    assert "照片.jpg" in page
    assert "台账.xlsx" in page
    with app.app_context():
        rows = db.session.scalars(select(Evidence).order_by(Evidence.id)).all()
        assert [(r.kind, r.item_id, r.size) for r in rows] == [
            ("pdf", "L01", len(PDF)),
            ("jpg", "L01", rows[1].size),
            ("xlsx", "L01", rows[2].size),
        ]
        assert len({r.key for r in rows}) == 3
        assert all(r.key not in r.name for r in rows)
        pdf_id = rows[0].id
    for username, status in (("leader", 200), ("gleader", 200), ("trainer", 200), ("admin", 200), ("b2", 404),
                             ("xleader", 404)):  # fmt: skip
        reader = app.test_client()
        login(reader, username)
        response = reader.get(f"/evidence/{pdf_id}")
        assert response.status_code == status, username
        if status == 200:
            assert response.data == PDF
            assert response.mimetype == "application/pdf"
            assert "attachment" in response.headers["Content-Disposition"]
            assert "%E4%BC%9A%E8%AE%AE%E8%AE%B0%E5%BD%95.pdf" in response.headers["Content-Disposition"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            # readers see the list, never an upload form or a remove button
            listing = reader.get(f"/selfcheck/{draft}/evidence").get_data(as_text=True)
            assert "会议记录.pdf" in listing
            assert 'type="file"' not in listing
            assert "/delete" not in listing


def test_refused_files_get_a_clear_message_and_change_nothing(app, client, draft):
    upload(client, draft, b"plain text", "会议记录.pdf")
    assert "This kind of file is not accepted" in flashed(client, draft)
    upload(client, draft, OLE_SIGNATURE + b"\x00" * 600, "old.doc")
    assert "save the file as .docx or .xlsx" in flashed(client, draft)
    upload(client, draft, PDF, "x.pdf", target="NOPE")
    assert "Choose a question or an action from the list." in flashed(client, draft)
    client.post(f"/selfcheck/{draft}/evidence", data={"target": "L01"}, headers={"Accept-Language": "en"})
    assert "Choose a file." in flashed(client, draft)
    with app.app_context():
        assert db.session.scalar(select(Evidence)) is None
        assert db.session.scalar(select(EvidenceBlob)) is None
    assert "No file is attached." in client.get(f"/results/{draft}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_the_size_limits_per_file_and_per_selfcheck(app, client, draft):
    app.config.update(EVIDENCE_MAX_FILE_MB=0.01, EVIDENCE_MAX_TOTAL_MB=0.015)  # 10 KB a file, 15 KB in all
    big = PDF + b"0" * 11 * 1024
    upload(client, draft, big, "big.pdf")
    assert "The file is too large: at most 0.01 MB per file." in flashed(client, draft)
    eight_kb = PDF + b"0" * 8 * 1024
    assert upload(client, draft, eight_kb, "one.pdf").status_code == 302
    upload(client, draft, eight_kb, "two.pdf")
    assert "would exceed 0.015 MB in all" in flashed(client, draft)
    with app.app_context():
        assert db.session.scalars(select(Evidence.name)).all() == ["one.pdf"]
    # a body larger than a file may be is refused before it is read (the request's own limit)
    app.config.update(EVIDENCE_MAX_FILE_MB=0.001)
    assert upload(client, draft, PDF + b"0" * 200 * 1024, "huge.pdf").status_code == 413


def test_the_default_limit_takes_a_20_mb_file_though_other_requests_stay_at_2_mb(app, client, draft):
    assert app.config["EVIDENCE_MAX_FILE_MB"] == 20
    assert upload(client, draft, PDF + b"0" * (3 * 1024 * 1024), "scan.pdf").status_code == 302
    assert client.post(f"/selfcheck/{draft}/leadership", data={"L01": "x" * (3 * 1024 * 1024)}).status_code == 413


def test_only_the_branch_removes_and_only_while_the_draft_is_editable(app, client, draft):
    upload(client, draft, PDF, "会议记录.pdf")
    upload(client, draft, image("PNG"), "照片.png")
    with app.app_context():
        first, second = db.session.scalars(select(Evidence.id).order_by(Evidence.id)).all()
    leader = app.test_client()
    login(leader, "leader")
    assert leader.post(f"/evidence/{first}/delete").status_code == 403
    assert client.post(f"/evidence/{first}/delete").status_code == 302
    with app.app_context(), write_transaction():
        assert db.session.scalars(select(Evidence.id)).all() == [second]
        assert db.session.scalar(select(EvidenceBlob.key).where(EvidenceBlob.key.is_not(None))) is not None
        assert db.session.scalar(select(db.func.count()).select_from(EvidenceBlob)) == 1
        selfcheck = db.session.get(SelfCheck, draft)
        selfcheck.status = "submitted"  # as a submission leaves it
        db.session.commit()
    assert client.post(f"/evidence/{second}/delete").status_code == 403
    assert upload(client, draft, PDF, "late.pdf").status_code == 403
    with app.app_context():
        events = db.session.execute(select(AuditEvent.action, AuditEvent.target).order_by(AuditEvent.id)).all()
    uploads = [t for a, t in events if a == "evidence_upload"]
    removals = [t for a, t in events if a == "evidence_delete"]
    assert uploads == [f"B1 {THIS_YEAR} L01: 会议记录.pdf", f"B1 {THIS_YEAR} L01: 照片.png"]
    assert removals == [f"B1 {THIS_YEAR} L01: 会议记录.pdf"]


def test_files_on_actions_go_on_after_submission_and_trainers_do_not_read_them(app, world):
    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    with app.app_context(), write_transaction():
        action = RectificationAction(
            selfcheck_id=selfcheck_id,
            problem="集中学习到课率偏低",
            measure="建立考勤制度",
            owner_name="王芳",
            deadline=date(THIS_YEAR, 12, 1),
        )
        db.session.add(action)
        db.session.commit()
        action_id = action.id
    branch = app.test_client()
    login(branch, "b1")
    page = flashed(branch, selfcheck_id)
    assert f'value="action:{action_id}"' in page
    assert 'value="L01"' not in page
    assert upload(branch, selfcheck_id, PDF, "L01.pdf").status_code == 302  # refused: not a choice any more
    assert upload(branch, selfcheck_id, PDF, "考勤表.pdf", target=f"action:{action_id}").status_code == 302
    with app.app_context():
        [row] = db.session.scalars(select(Evidence)).all()
        assert (row.action_id, row.item_id, row.name) == (action_id, None, "考勤表.pdf")
        evidence_id = row.id
    trainer, leader = app.test_client(), app.test_client()
    login(trainer, "trainer")
    login(leader, "leader")
    assert trainer.get(f"/evidence/{evidence_id}").status_code == 404
    assert "考勤表.pdf" not in trainer.get(f"/selfcheck/{selfcheck_id}/evidence").get_data(as_text=True)
    assert leader.get(f"/evidence/{evidence_id}").data == PDF


# ---------------------------------------------------------------- the S3 store, against a real server process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3-compatible server, as a separate process on a free port."""
    port = free_port()
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def test_the_s3_store_keeps_the_files_outside_the_database(app, client, draft, s3_server, monkeypatch):
    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(name, value)
    bucket = f"evidence-{os.getpid()}-{draft}-{time.monotonic_ns()}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=bucket)
    app.config.update(
        EVIDENCE_STORE="s3",
        EVIDENCE_S3_BUCKET=bucket,
        EVIDENCE_S3_ENDPOINT_URL=s3_server,
        EVIDENCE_S3_REGION="us-east-1",
    )
    data = image("PNG")
    assert upload(client, draft, data, "照片.png").status_code == 302
    with app.app_context():
        row = db.session.scalar(select(Evidence))
        key = row.key
        assert db.session.scalar(select(EvidenceBlob)) is None
    objects = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in objects["Contents"]] == [key]
    assert client.get(f"/evidence/{row.id}").data == data
    assert client.post(f"/evidence/{row.id}/delete").status_code == 302
    objects = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").list_objects_v2(Bucket=bucket)
    assert objects.get("KeyCount") == 0


# ---------------------------------------------------------------- the report's appendix


def test_the_report_appendix_lists_the_files_not_their_content(app, client, draft):
    from pypdf import PdfReader

    secret = b"%PDF-1.4\n(SECRET-CONTENT)\n%%EOF\n"
    upload(client, draft, secret, "支委会会议记录.pdf", target="L02")
    upload(client, draft, image("PNG") + b"\0" * (2 * 1024 * 1024), "学习现场.png", target="L01")
    texts = {}
    for lang in ("zh", "en", "bilingual"):
        response = client.get(f"/reports/{draft}.pdf?lang={lang}")
        assert response.status_code == 200
        texts[lang] = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    today = date.today().isoformat()
    for lang, heading in (("zh", "佐证材料文件"), ("en", "Evidence files"), ("bilingual", "佐证材料文件")):
        text = texts[lang].replace("\n", "")
        assert heading in text, lang
        assert "支委会会议记录.pdf" in text
        assert "学习现场.png" in text
        assert "2.0 MB" in text
        assert today in text
        assert text.index("学习现场.png") < text.index("支委会会议记录.pdf")  # questionnaire order: L01, L02
        assert "SECRET-CONTENT" not in text
    assert "Evidence files" in texts["bilingual"].replace("\n", "")


# ---------------------------------------------------------------- through the API


def test_the_api_attaches_lists_downloads_and_removes_with_the_same_rules(app, draft):
    from tests.helpers import make_token

    def api(username, method, path, **kwargs):
        headers = {"Authorization": f"Bearer {make_token(app, username)}", "Accept-Language": "en"}
        return app.test_client().open("/api/v1" + path, method=method, headers=headers, **kwargs)

    base = f"/selfchecks/{draft}/evidence"
    created = api("b1", "POST", f"{base}?item=L01&name=会议记录.pdf", data=PDF)
    assert created.status_code == 201
    [listed] = created.json["files"]
    assert (listed["name"], listed["kind"], listed["size"], listed["item_id"]) == (
        "会议记录.pdf",
        "pdf",
        len(PDF),
        "L01",
    )
    refused = api("b1", "POST", f"{base}?item=L01&name=a.pdf", data=b"text")
    assert (refused.status_code, refused.json["error"]["code"]) == (415, "refused_type")
    assert "This kind of file is not accepted" in refused.json["error"]["message"]
    app.config.update(EVIDENCE_MAX_FILE_MB=0.001)
    assert api("b1", "POST", f"{base}?item=L01&name=a.pdf", data=PDF + b"0" * 2048).json["error"]["code"] == "too_large"
    app.config.update(EVIDENCE_MAX_FILE_MB=20)
    assert api("b1", "POST", f"{base}?name=a.pdf", data=PDF).status_code == 400  # neither item nor action
    assert api("b1", "POST", f"{base}?item=L01&action=1&name=a.pdf", data=PDF).status_code == 400
    assert api("b1", "POST", f"{base}?item=ZZ9&name=a.pdf", data=PDF).status_code == 404
    assert api("leader", "POST", f"{base}?item=L01&name=a.pdf", data=PDF).status_code == 403
    assert api("xleader", "GET", base).status_code == 404
    assert api("trainer", "GET", f"/evidence/{listed['id']}").data == PDF
    assert api("leader", "DELETE", f"/evidence/{listed['id']}").status_code == 403
    assert api("b1", "DELETE", f"/evidence/{listed['id']}").status_code == 204
    assert api("b1", "GET", base).json["files"] == []
    with app.app_context(), write_transaction():
        db.session.get(SelfCheck, draft).status = "submitted"
        db.session.commit()
    closed = api("b1", "POST", f"{base}?item=L01&name=a.pdf", data=PDF)
    assert (closed.status_code, closed.json["error"]["code"]) == (409, "already_submitted")
