"""Consistent backups while the service runs: SQLite's online backup API, pg_dump for PostgreSQL."""

import os
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


def backup(url, path, progress=None):
    """Write a consistent copy of the database at ``url`` to ``path``."""
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target, pages=256, progress=_pages(progress))
        finally:
            target.close()
            source.close()
        return path
    _require("pg_dump")
    parse(url)  # raises on a malformed URL before anything runs
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}", _pg_url(url)], check=True)
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
    _require("pg_restore")
    subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                    f"--dbname={_pg_url(url)}", path], check=True)


def _pages(progress):
    if progress is None:
        return None
    return lambda status, remaining, total: progress(total - remaining, total)


def _require(tool):
    if shutil.which(tool) is None:
        raise DomainError(f"{tool} is not installed; install the postgresql-client package")
