"""Consistent backups while the service runs: SQLite's online backup API, pg_dump for PostgreSQL."""

import glob
import os
import re
import shutil
import sqlite3
import subprocess

from playhouse.db_url import parse

from services import DomainError


def _sqlite_path(url):
    return url[len("sqlite:///"):]


def _pg_url(url):
    # pg_dump understands postgresql:// URLs; peewee's postgres+pool style is not one of them.
    return "postgresql://" + url.split("://", 1)[1]


def _private_output(path):
    """An empty ``path`` that only its owner may read (0600): a backup holds every name, phone and password hash."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    finally:
        os.close(fd)


def backup(url, path, progress=None):
    """Write a consistent copy of the database at ``url`` to ``path`` (created 0600)."""
    if url.startswith("sqlite"):
        _private_output(path)
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target, pages=256, progress=_pages(progress))
        finally:
            target.close()
            source.close()
        return path
    pg_dump = pg_tool("pg_dump", url)
    _private_output(path)
    subprocess.run([pg_dump, "--format=custom", "--no-owner", f"--file={path}", _pg_url(url)], check=True)
    return path


def restore(url, path, progress=None):
    """Bring the database at ``url`` back to the copy at ``path`` (everything in it is replaced)."""
    if not os.path.isfile(path):
        raise DomainError(f"no backup at {path}")
    if url.startswith("sqlite"):
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            source.backup(target, pages=256, progress=_pages(progress))
        finally:
            target.close()
            source.close()
        return
    subprocess.run([pg_tool("pg_restore", url), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                    f"--dbname={_pg_url(url)}", path], check=True)


def _pages(progress):
    if progress is None:
        return None
    return lambda status, remaining, total: progress(total - remaining, total)


# Where Debian puts each PostgreSQL major's client programs (postgresql-client-15: /usr/lib/postgresql/15/bin).
PG_LIB = "/usr/lib/postgresql"


def server_major(url):
    """The major version of the PostgreSQL server at ``url`` (15 for 15.20)."""
    import psycopg

    with psycopg.connect(_pg_url(url), connect_timeout=5) as conn:
        return conn.info.server_version // 10000


def tool_major(path):
    """The major version of a PostgreSQL client program ("pg_dump (PostgreSQL) 15.20" -> 15), or None."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def tool_candidates(tool):
    found = [shutil.which(tool)] + sorted(glob.glob(os.path.join(PG_LIB, "*", "bin", tool)))
    return [path for path in dict.fromkeys(found) if path]


def best_tool(tool, major):
    """(path, its major) of the newest ``tool`` installed, when it can talk to a server of ``major`` (pg_dump must
    be at least the server's version); else (None, the newest major found or None)."""
    versions = sorted(((tool_major(path) or 0, path) for path in tool_candidates(tool)), reverse=True)
    if versions and versions[0][0] >= major:
        return versions[0][1], versions[0][0]
    return None, versions[0][0] if versions else None


def client_package(url):
    """The Debian package that gives pg_dump for the server at ``url`` when none installed can dump it, else None
    (scripts/system-deps.sh postgres installs it)."""
    major = server_major(url)
    path, _found = best_tool("pg_dump", major)
    return None if path else f"postgresql-client-{major}"


def pg_tool(tool, url):
    """The path of a ``tool`` (pg_dump, pg_restore) that can work with the server at ``url``, or DomainError saying
    what to install."""
    parse(url)  # raises on a malformed URL before anything runs
    major = server_major(url)
    path, found = best_tool(tool, major)
    if path is None:
        have = f"{tool} {found} cannot work with" if found else f"{tool} is not installed for"
        raise DomainError(f"{have} PostgreSQL {major}; install the postgresql-client-{major} package "
                          f"(as root: bash scripts/system-deps.sh postgres)")
    return path
