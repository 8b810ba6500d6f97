"""The application factory: config, extensions, database, blueprints, errors, CLI."""

import os
import secrets

from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

import cli
import db
import templating
import views
from config import Config
from views.common import select_locale

babel = Babel()
csrf = CSRFProtect()


def load_config(app, overrides):
    app.config.from_object(Config)
    app.config.from_prefixed_env("FLASK")
    if os.environ.get("DATABASE_URL") and not os.environ.get("FLASK_DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    if app.config["SESSION_COOKIE_SECURE"] and not app.config["SESSION_COOKIE_NAME"].startswith("__Host-"):
        app.config["SESSION_COOKIE_NAME"] = "__Host-" + app.config["SESSION_COOKIE_NAME"]


def instance_secret_key(instance_path):
    """A random key made once into the instance folder, so sessions survive restarts."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        key = fh.read().strip()
    if not key:  # another worker is writing it right now
        import time

        time.sleep(0.2)
        with open(path) as fh:
            key = fh.read().strip()
    return key


def create_app(overrides=None):
    app = Flask(__name__, instance_path=os.environ.get("KELISIM_INSTANCE") or None)
    load_config(app, overrides)
    if app.config["PROXY_COUNT"]:
        # Behind nginx the client's address (throttling is per address) and scheme come from its headers.
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    db.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    templating.init_app(app)
    views.init_app(app)
    cli.init_app(app)
    return app
