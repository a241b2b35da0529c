"""Evidence (佐证材料): files attached to the items of a self-check, checked, stored and listed."""

from flask import current_app, request

# the routes that take a file: every other request keeps MAX_CONTENT_LENGTH (2 MB)
UPLOAD_ENDPOINTS = frozenset({"evidence.upload", "api.upload_evidence"})


def raise_upload_limit() -> None:
    """Let an evidence upload be as large as a file may be (plus the form around it).

    Runs before CSRF protection, which reads the form and so would refuse the body first.
    """
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = int(current_app.config["EVIDENCE_MAX_FILE_MB"] * 1024 * 1024) + 64 * 1024
