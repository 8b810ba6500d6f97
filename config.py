"""Every setting of Kelisim, once, with a safe default.

Each key can be overridden by a ``FLASK_<KEY>`` environment variable (values are
parsed as JSON when they can be, so ``FLASK_SESSION_COOKIE_SECURE=true`` is a bool).
The database is also taken from a plain ``DATABASE_URL``. README.md documents them.
"""

from datetime import timedelta


class Config:
    # Signs sessions and CSRF tokens; generated once into instance/secret_key when unset.
    SECRET_KEY = None
    # peewee db_url; empty means SQLite at instance/kelisim.db.
    DATABASE_URL = ""
    # Seconds SQLite waits for a lock held by another worker before failing.
    SQLITE_BUSY_TIMEOUT = 10
    # Languages offered, the first being the default.
    LANGUAGES = ("kk", "ru", "en")
    # Language used when nothing else chooses one.
    BABEL_DEFAULT_LOCALE = "kk"
    # Time zone in which dates and times are shown (Karaganda region).
    BABEL_DEFAULT_TIMEZONE = "Asia/Almaty"
    # Where the gettext catalogs live, relative to the app root.
    BABEL_TRANSLATION_DIRECTORIES = "translations"
    # Cookie that remembers the chosen language.
    LANGUAGE_COOKIE_NAME = "kelisim_lang"
    # Session cookie name; becomes __Host-kelisim when SESSION_COOKIE_SECURE is on.
    SESSION_COOKIE_NAME = "kelisim"
    # Send cookies only over HTTPS (turn on behind TLS); also enables HSTS.
    SESSION_COOKIE_SECURE = False
    # Keep the session cookie away from scripts.
    SESSION_COOKIE_HTTPONLY = True
    # Cross-site requests carry no session.
    SESSION_COOKIE_SAMESITE = "Lax"
    # How long "remember me" keeps a curator signed in (offline stretches on phones).
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    # A session's "last seen" is written at most this often, in seconds (not on every request).
    SESSION_TOUCH_SECONDS = 300
    # Largest request body accepted, in bytes (uploads included).
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    # Largest file accepted into the materials library, in bytes (below MAX_CONTENT_LENGTH, so it gets a field message).
    MATERIALS_MAX_BYTES = 20 * 1024 * 1024
    # Largest non-file form body kept in memory, in bytes.
    MAX_FORM_MEMORY_SIZE = 512 * 1024
    # Seconds a CSRF token stays valid; queued offline items fetch a fresh one.
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    # Also accept the CSRF token in the X-CSRFToken header (offline sync).
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]
    # Failed logins allowed per account and address inside LOGIN_WINDOW_SECONDS.
    LOGIN_MAX_FAILURES = 5
    # Window, in seconds, over which failed logins are counted.
    LOGIN_WINDOW_SECONDS = 15 * 60
    # Shortest password accepted.
    PASSWORD_MIN_LENGTH = 10
    # Reverse proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are believed; 0 trusts no such header.
    PROXY_COUNT = 0
    # Public address used in QR codes and printed links; empty means the request's host.
    PUBLIC_BASE_URL = ""
    # Rows per page in record lists.
    PAGE_SIZE = 25
    # Stylesheets and scripts are sent without comments and indentation (False: as written, for debugging).
    MINIFY_STATIC = True
    # Public registrations (each one looks a phone up) per address in 10 minutes; the load harness raises it.
    REGISTRATIONS_PER_ADDRESS = 20
    # Parent confirmations per address and school per hour; None keeps the built-in 20 (load tests raise it).
    PARENT_CONFIRMATIONS_PER_ADDRESS = None
    # Days an outbox item may wait on a device before the outbox asks to save it to a file and hand it over.
    OUTBOX_EXPORT_AFTER_DAYS = 7
