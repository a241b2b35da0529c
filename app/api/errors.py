"""One JSON error shape for the whole API: {"error": {"code", "message", "fields"}}.

`code` is stable and meant for programs; `message` is in the user's language (their saved
choice, else the request's Accept-Language); `fields` maps a field (a body key, a query
parameter or a questionnaire item id) to what is wrong with it, and is empty otherwise.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..extensions import db
from .schemas import Error, ErrorDetail


class ApiError(Exception):
    """Raised in a view to answer with the API's error shape."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None, **extra):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.extra = extra  # more top-level keys, e.g. what a partly valid save did save


def error_response(status: int, code: str, message: str, fields: dict | None = None, **extra) -> Response:
    body = Error(error=ErrorDetail(code=code, message=message, fields=fields or {})).model_dump()
    response = jsonify(**body, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    response.headers["Cache-Control"] = "no-store"
    return response


def http_error_message(status: int) -> tuple[str, str]:
    """The stable code and the user-language message of an HTTP error raised by Flask or Werkzeug."""
    known = {
        400: ("bad_request", _("The request could not be read.")),
        401: ("authentication_required", _("A valid API token is required.")),
        403: ("forbidden", _("You may not do this.")),
        404: ("not_found", _("Not found, or not visible to you.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
        409: ("conflict", _("This self-check can no longer be changed.")),
        413: ("too_large", _("The request is too large.")),
        415: ("unsupported_media_type", _("Send the body as JSON (Content-Type: application/json).")),
        422: ("invalid", _("Some fields are invalid.")),
    }
    return known.get(status, ("http_error", _("The request could not be handled.")))


def http_error_response(error: HTTPException) -> Response:
    """The JSON answer to an HTTP error below 500; a 405 names the methods the path has."""
    status = error.code or 500
    code, message = http_error_message(status)
    response = error_response(status, code, message)
    if status == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def register(bp: Blueprint) -> None:
    """Answer every error raised inside the API with the JSON shape, never with HTML or a traceback.

    Where no route of the API matched at all (an unknown path, a method the path does not have),
    the application's own error handler hands over to `http_error_response` (app/errors.py).
    """

    @bp.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error_response(error.status, error.code, error.message, error.fields, **error.extra)

    def http_error(error: HTTPException):
        if (error.code or 500) >= 500:
            return internal_error(error)
        return http_error_response(error)

    # by code as well as by class: the app's own 403/404 page handlers are looked up by code first
    for status in (400, 401, 403, 404, 405, 409, 413, 415, 422):
        bp.register_error_handler(status, http_error)
    bp.register_error_handler(HTTPException, http_error)

    @bp.errorhandler(Exception)
    def internal_error(error: Exception):
        db.session.rollback()
        current_app.logger.exception("API error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", _("Something went wrong on the server; it has been logged."))
