"""Blueprints, registered in one explicit list, and the navigation each role sees."""

from flask_babel import lazy_gettext as _l

from forms.directory import ROLE_LABELS
from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL
from views import (
    assets,
    audit,
    auth,
    directory,
    errors,
    hooks,
    main,
    materials,
    monitoring,
    offline,
    outreach,
    personal_data,
    setup,
    surveys,
    tallies,
    training,
)
from views.common import load_user

BLUEPRINTS = [
    main.bp,
    auth.bp,
    directory.bp,
    audit.bp,
    offline.bp,
    surveys.bp,
    materials.bp,
    outreach.bp,
    setup.bp,
    tallies.bp,
    training.bp,
    personal_data.bp,
    monitoring.bp,
]

ALL_ROLES = (ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT, ROLE_SCHOOL)

# (endpoint, label, description, roles): the header menu and the tiles of each role's home page.
NAV = [
    ("training.events", _l("Training events"), _l("Seminars and trainings: registration, attendance and certificates."),
     ALL_ROLES),
    ("surveys.index", _l("Case surveys"), _l("Anonymous surveys filed after each mediation case."), ALL_ROLES),
    ("outreach.index", _l("Parent outreach"), _l("Information activities for parents, confirmations and leaflets."),
     ALL_ROLES),
    ("setup.index", _l("Service setup"), _l("Each school's setup checklist, with due and overdue items."), ALL_ROLES),
    ("setup.deadlines", _l("Deadlines"), _l("Dates by which schools complete each checklist item."), (ROLE_ADMIN,)),
    ("directory.schools", _l("Schools"), _l("The region's schools and their codes."),
     (ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT)),
    ("directory.users", _l("Accounts"), _l("Create accounts and reset passwords."), (ROLE_ADMIN, ROLE_DISTRICT)),
    ("tallies.index", _l("Tallies"), _l("Quarterly tallies by district and school, to print and download."),
     ALL_ROLES),
    ("audit.trail", _l("Audit trail"), _l("Who changed what, and when."), (ROLE_ADMIN,)),
    ("personal_data.search", _l("Personal data"),
     _l("Find a training participant, export what is stored about them, erase it on request."), (ROLE_ADMIN,)),
    ("materials.index", _l("Materials"), _l("The model regulation and methodological materials to download."),
     ALL_ROLES),
    ("monitoring.index", _l("Monitoring"),
     _l("Trends quarter by quarter, schools that need attention and the quarterly monitoring reports."), ALL_ROLES),
]


def nav_for(user):
    if user is None:
        return []
    return [item for item in NAV if user.role in item[3]]


def init_app(app):
    assets.init_app(app)
    # First of all hooks: before CSRFProtect's (bound earlier, in create_app) reads the body for its token.
    app.before_request_funcs.setdefault(None, []).insert(0, hooks.refuse_non_form_bodies)
    app.before_request(load_user)
    app.after_request(hooks.remember_language)
    app.after_request(hooks.security_headers)
    errors.register(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.jinja_env.globals["nav_for"] = nav_for
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(role, role)
