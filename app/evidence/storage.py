"""Where evidence files are kept: the database (the default) or an S3-compatible object store.

Both work with several app servers, which share nothing but the database (and the store).
The database keeps a file in `evidence_blob`, written in the same transaction as its
`evidence` row, and included in `flask export-all`; an object store keeps it as an object named
by its generated key, outside the backup (back the bucket up with the store's own tools).
Set EVIDENCE_STORE=s3 with EVIDENCE_S3_BUCKET (and EVIDENCE_S3_ENDPOINT_URL for a store other
than AWS); boto3 reads the credentials from its usual environment variables.
"""

from __future__ import annotations

from functools import cache

from flask import current_app

from ..extensions import db
from ..models import EvidenceBlob


class DatabaseStore:
    transactional = True  # put and delete join the caller's transaction

    def put(self, key: str, data: bytes) -> None:
        db.session.add(EvidenceBlob(key=key, data=data))

    def get(self, key: str) -> bytes:
        return db.session.get(EvidenceBlob, key).data

    def delete(self, key: str) -> None:
        db.session.execute(EvidenceBlob.__table__.delete().where(EvidenceBlob.key == key))


class S3Store:
    transactional = False  # put before the row is committed, delete after

    def __init__(self, bucket: str, endpoint_url: str | None, region: str | None):
        import boto3

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


@cache
def _s3(bucket: str, endpoint_url: str | None, region: str | None) -> S3Store:
    return S3Store(bucket, endpoint_url, region)


def evidence_store() -> DatabaseStore | S3Store:
    """The store the configuration names (EVIDENCE_STORE: "database" or "s3")."""
    config = current_app.config
    if config["EVIDENCE_STORE"] == "s3":
        return _s3(config["EVIDENCE_S3_BUCKET"], config["EVIDENCE_S3_ENDPOINT_URL"], config["EVIDENCE_S3_REGION"])
    return DatabaseStore()
