"""Blueprints, registered in one explicit list, and the navigation each role sees."""

from flask_babel import lazy_gettext as _l

from forms.directory import ROLE_LABELS
from models.auth import ROLE_ADMIN, ROLE_DISTRICT, ROLE_MONITOR, ROLE_SCHOOL
from views import audit, auth, directory, errors, hooks, main
from views.common import load_user

BLUEPRINTS = [
    main.bp,
    auth.bp,
    directory.bp,
    audit.bp,
]

ALL_ROLES = (ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT, ROLE_SCHOOL)

# (endpoint, label, description, roles): the header menu and the tiles of each role's home page.
NAV = [
    ("directory.schools", _l("Schools"), _l("The region's schools and their codes."),
     (ROLE_ADMIN, ROLE_MONITOR, ROLE_DISTRICT)),
    ("directory.users", _l("Accounts"), _l("Create accounts and reset passwords."), (ROLE_ADMIN, ROLE_DISTRICT)),
    ("audit.trail", _l("Audit trail"), _l("Who changed what, and when."), (ROLE_ADMIN,)),
]


def nav_for(user):
    if user is None:
        return []
    return [item for item in NAV if user.role in item[3]]


def init_app(app):
    app.before_request(load_user)
    app.after_request(hooks.remember_language)
    app.after_request(hooks.security_headers)
    errors.register(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.jinja_env.globals["nav_for"] = nav_for
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(role, role)
