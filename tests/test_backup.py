"""flask backup / flask restore round-trip a database full of demo data, table by table."""

from db import db
from models import ALL_MODELS
from models.auth import User
from models.directory import School


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
