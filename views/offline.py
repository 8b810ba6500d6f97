"""Answers for offline-capable forms: JSON for the outbox script, PRG for plain HTML posts.

The outbox script posts with the header ``X-Kelisim-Outbox: 1`` and reads:
201 created / 200 duplicate ``{"status", "id", "redirect", "message"}``; 400 ``{"status": "invalid",
"errors": {field: [messages]}}``; 409 ``{"status": "conflict", "message"}``; 401 when the session has
ended; 400 ``{"error": 400}`` on an expired CSRF token (the script fetches a fresh one and retries).
"""

from flask import flash, jsonify, redirect, render_template, request

from services.offline import Conflict


def from_outbox():
    return request.headers.get("X-Kelisim-Outbox") == "1"


def saved(record, created, redirect_url, message):
    if from_outbox():
        body = dict(status="created" if created else "duplicate", id=record.id, redirect=redirect_url,
                    message=str(message))
        return jsonify(body), 201 if created else 200
    flash(message, "success")
    return redirect(redirect_url)


def invalid(form, template, **context):
    if from_outbox():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return jsonify(status="invalid", errors=errors), 400
    return render_template(template, form=form, **context), 400


def conflict(form, template, exc: Conflict, **context):
    if from_outbox():
        return jsonify(status="conflict", message=str(exc.message)), 409
    form.form_errors.append(exc.message)
    return render_template(template, form=form, conflict=True, **context), 409
