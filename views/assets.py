"""Static files as phones get them: stylesheets and scripts without comments and indentation (rcssmin, rjsmin),
minified once per file version and kept in memory; every other file as Flask sends it. Pages are weighed
uncompressed (a cheap phone on a slow line pays for every byte), and the shell of every page is mostly CSS and JS."""

import hashlib
import io
import os

import rcssmin
import rjsmin
from flask import abort, current_app, send_file
from werkzeug.security import safe_join

MINIFIERS = {
    ".css": ("text/css", rcssmin.cssmin),
    ".js": ("text/javascript", rjsmin.jsmin),
}
# path: (modification time, minified bytes, etag); a file changed on disk is minified again.
_minified = {}


def minified(path, minify):
    mtime = os.stat(path).st_mtime_ns
    entry = _minified.get(path)
    if entry is None or entry[0] != mtime:
        with open(path, encoding="utf-8") as fh:
            body = minify(fh.read()).encode()
        entry = _minified[path] = (mtime, body, hashlib.sha256(body).hexdigest()[:20])
    return entry


def static_file(filename):
    """The view of Flask's ``static`` endpoint."""
    kind = MINIFIERS.get(os.path.splitext(filename)[1])
    if kind is None or not current_app.config["MINIFY_STATIC"]:
        return current_app.send_static_file(filename)
    path = safe_join(current_app.static_folder, filename)
    if path is None or not os.path.isfile(path):
        abort(404)
    mimetype, minify = kind
    mtime, body, etag = minified(path, minify)
    return send_file(io.BytesIO(body), mimetype=mimetype, etag=etag, last_modified=mtime / 1e9,
                     max_age=current_app.get_send_file_max_age(filename), conditional=True)


def init_app(app):
    app.view_functions["static"] = static_file
