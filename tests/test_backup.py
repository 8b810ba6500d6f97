"""flask backup / flask restore round-trip a database full of demo data, table by table; the backup is private
(0600); the PostgreSQL client used can dump the server, and `make test` installs one that can."""

import os
import subprocess

from db import db
from models import ALL_MODELS
from models.auth import User
from models.directory import School
from services import DomainError


def snapshot():
    return {m._meta.table_name: sorted(tuple(map(str, row)) for row in m.select().tuples()) for m in ALL_MODELS}


def test_backup_and_restore_round_trip(runner, tmp_path):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, "".join(__import__("traceback").format_exception(*result.exc_info))
    before = snapshot()
    assert sum(len(rows) for rows in before.values()) > 40
    path = tmp_path / "kelisim.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0
    assert path.stat().st_mode & 0o777 == 0o600, oct(path.stat().st_mode)  # every name and phone is in it

    School.update(name_kk="өзгертілді").execute()
    User.delete().where(User.username == "monitor").execute()
    if not db.is_closed():
        db.close()
    assert snapshot() != before

    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    if not db.is_closed():
        db.close()
    assert snapshot() == before


def test_restore_refuses_missing_file(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path / "none"), "--yes"])
    assert result.exit_code != 0


def fake_tool(folder, name, version):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    path.chmod(0o755)
    return str(path)


def test_a_pg_dump_older_than_the_server_is_never_used(tmp_path, monkeypatch, database_url):
    from services import backup

    lib = tmp_path / "lib"
    old = fake_tool(lib / "14" / "bin", "pg_dump", "14.11")
    new = fake_tool(lib / "16" / "bin", "pg_dump", "16.4 (Debian 16.4-1)")
    monkeypatch.setattr(backup, "PG_LIB", str(lib))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert backup.best_tool("pg_dump", 15) == (new, 16)
    assert backup.best_tool("pg_dump", 17) == (None, 16)
    os.remove(new)
    assert backup.best_tool("pg_dump", 15) == (None, 14) and os.path.exists(old)
    if database_url.startswith("postgres"):  # the server under test: its client package is the one to install
        major = backup.server_major(database_url)
        assert backup.client_package(database_url) == f"postgresql-client-{major}"
        try:
            backup.pg_tool("pg_dump", database_url)
        except DomainError as exc:
            assert f"postgresql-client-{major}" in str(exc.message) and "pg_dump 14" in str(exc.message)
        else:
            raise AssertionError("an old pg_dump was accepted")


def test_make_test_installs_the_postgres_client_it_needs(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "Makefile")) as fh:
        makefile = fh.read()
    test_line = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "deps-postgres" in test_line.split()
    assert "system-deps.sh postgres" in makefile.split("deps-postgres:", 1)[1].split("\n\n")[0]
    # The script asks the project's Python which package is missing, and installs it (here: names it only).
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho postgresql-client-15\n")
    python.chmod(0o755)
    result = subprocess.run(["bash", os.path.join(root, "scripts", "system-deps.sh"), "postgres"], capture_output=True,
                            text=True, env={**os.environ, "KELISIM_PYTHON": str(python), "KELISIM_DEPS_DRY_RUN": "1"})
    assert result.returncode == 0 and "would install: postgresql-client-15" in result.stdout, result
