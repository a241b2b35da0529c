"""Helpers shared by the tests of several packages; each goes through the app's own functions
(`issue_token` for a token, the API's own paths, pypdf on the real bytes)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from app.api.auth import issue_token
from app.extensions import db
from app.models import User


def make_token(app, username, days=None, name="test") -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return issue_token(user, name, days)[1]


class Api:
    """A test client speaking to /api/v1 with one token and one Accept-Language."""

    def __init__(self, client, token=None, lang="en"):
        self.client, self.token, self.lang = client, token, lang

    def headers(self):
        headers = {"Accept-Language": self.lang}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def __getattr__(self, method):
        if method not in ("get", "post", "patch", "put", "delete"):
            raise AttributeError(method)

        def call(path, **kwargs):
            return getattr(self.client, method)("/api/v1" + path, headers=self.headers(), **kwargs)

        return call


def read_pdf(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def squash(text: str) -> str:
    """Text without whitespace: extraction breaks lines wherever the layout wrapped them."""
    return re.sub(r"\s+", "", text)


def pdf_text(reader: PdfReader) -> str:
    return squash("".join(page.extract_text() for page in reader.pages))
