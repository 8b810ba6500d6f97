"""Translated error pages (HTML, or JSON for script requests) with no stack traces."""

import logging

from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from peewee import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Please sign in"), _l("Your session has ended. Sign in again to continue.")),
    403: (_l("Access denied"), _l("Your account does not have access to this page.")),
    404: (_l("Page not found"), _l("There is no such page, or you do not have access to it.")),
    405: (_l("Method not allowed"), _l("This address cannot be used this way.")),
    409: (_l("Conflict"), _l("This record was already sent with different content.")),
    413: (_l("Too large"), _l("What you sent is too large. Make it smaller and try again.")),
    429: (_l("Too many requests"), _l("Too many requests. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An error occurred on the server. What you sent was not lost if it was "
                                          "confirmed; try again in a few minutes.")),
    503: (_l("Service unavailable"), _l("The service is temporarily unavailable. Try again in a few minutes.")),
}


def wants_json():
    return request.is_json or request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/")


def render_error(code, message=None):
    title, default = MESSAGES.get(code, MESSAGES[400] if code < 500 else MESSAGES[500])
    message = message or default
    if wants_json():
        return jsonify(error=code, message=str(message)), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def handle_http(exc: HTTPException):
    return render_error(exc.code or 500)


def handle_csrf(exc: CSRFError):
    return render_error(400, _l("The form has expired or was sent from elsewhere. Reload the page and send it again."))


def handle_unexpected(exc):
    if isinstance(exc, HTTPException):
        return handle_http(exc)
    log.exception("unhandled error")
    return render_error(500)


def handle_database_error(exc):
    """503 when the database cannot be reached; any other database error is a bug: 500."""
    from db import db

    try:
        if not db.is_closed():
            db.close()
        db.connect()
        db.execute_sql("SELECT 1")
        db.close()
    except Exception:  # the database is really down
        log.error("database unavailable: %s", exc)
        return render_error(503)
    log.error("database error", exc_info=exc)
    return render_error(500)


def handle_out_of_range(exc):
    """A number or text the database cannot hold (a huge id in an address, a value no validator bounded): the
    request was bad, not the server. Logged: a form should have said so under its field."""
    log.warning("value out of range: %s", exc)
    return render_error(400, _l("A value in the request is too large or out of range. Go back and correct it."))


def register(app):
    app.register_error_handler(OverflowError, handle_out_of_range)
    app.register_error_handler(DataError, handle_out_of_range)
    app.register_error_handler(OperationalError, handle_database_error)
    app.register_error_handler(InterfaceError, handle_database_error)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
