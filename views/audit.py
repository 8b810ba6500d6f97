"""The audit trail for region admins: who did what and when, filterable."""

from datetime import date

from flask import Blueprint, render_template, request

from models.auth import ROLE_ADMIN
from services import audit_log
from views.common import paginate, roles_required

bp = Blueprint("audit", __name__)


def _day(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/audit")
@roles_required(ROLE_ADMIN)
def trail():
    filters = dict(action=request.args.get("action") or None, username=(request.args.get("user") or "")[:64] or None,
                   object_type=request.args.get("type") or None, day_from=_day("from"), day_to=_day("to"))
    rows, page, pages, total = paginate(audit_log.events(**filters))
    return render_template("audit/trail.html", events=rows, page=page, pages=pages, total=total, filters=filters,
                           actions=audit_log.known_actions(), types=audit_log.known_object_types())
