"""Command line: migrations, school import, the first admin, demo data."""

import openpyxl

from models.auth import User
from models.directory import School

GOOD_CSV = """district_code,school_code,name_kk,name_ru,bin
KRG,KRG-500,№500 мектеп,Школа №500,
TMR,TMR-501,№501 гимназия,Гимназия №501,
"""


def test_db_status_lists_applied(runner):
    result = runner.invoke(args=["db", "status"])
    assert result.exit_code == 0 and "applied" in result.output and "0001_initial" in result.output
    assert "up to date" in runner.invoke(args=["db", "upgrade"]).output


def test_import_csv_creates_then_updates_without_duplicates(runner, tmp_path, app):
    path = tmp_path / "schools.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = runner.invoke(args=["schools", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Created 2, updated 0" in result.output
    path.write_text(GOOD_CSV.replace("№500 мектеп", "№500 мектеп-лицей"), encoding="utf-8")
    result = runner.invoke(args=["schools", "import", str(path)])
    assert "Created 0, updated 2" in result.output
    assert School.select().where(School.code.in_(["KRG-500", "TMR-501"])).count() == 2
    assert School.get(School.code == "KRG-500").name_kk == "№500 мектеп-лицей"


def test_import_xlsx(runner, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["district", "code", "kk", "ru", "bin"])
    sheet.append(["ABY", "ABY-777", "Топар №2 мектебі", "Школа №2 Топар", None])
    book.save(tmp_path / "s.xlsx")
    result = runner.invoke(args=["schools", "import", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 0, result.output
    assert School.get(School.code == "ABY-777").district.code == "ABY"


def test_import_reports_every_bad_row_and_writes_nothing(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(GOOD_CSV + "XXX,X-1,а,б,\nKRG,KRG-500,дубль,дубль,\nKRG,KRG-600,,Школа,12\n", encoding="utf-8")
    result = runner.invoke(args=["schools", "import", str(path)])
    assert result.exit_code != 0
    assert "line 4:" in result.output and "unknown district code" in result.output
    assert "line 5:" in result.output and "repeats line 2" in result.output
    assert "line 6:" in result.output and "Kazakh name is missing" in result.output and "BIN" in result.output
    assert "nothing was imported" in result.output
    assert not School.select().where(School.code == "KRG-500").exists()


def test_import_refuses_unreadable_file(runner, tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF")
    assert "Only .csv and .xlsx" in runner.invoke(args=["schools", "import", str(path)]).output
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert runner.invoke(args=["schools", "import", str(broken)]).exit_code != 0


def test_users_create_first_admin(runner):
    result = runner.invoke(args=["users", "create", "--username", "boss"], input="Берік-құпия-сөз-2024\n" * 2)
    assert result.exit_code == 0, result.output
    user = User.get(User.username == "boss")
    assert user.role == "admin" and user.password_hash.startswith("$argon2id$")
    weak = runner.invoke(args=["users", "create", "--username", "weak"], input="1234567890\n" * 2)
    assert weak.exit_code != 0


def test_demo_data_fills_empty_database_once(runner):
    result = runner.invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert School.select().count() >= 30
    assert {u.username for u in User.select()} >= {"admin", "monitor", "district", "school", "school2"}
    school, school2 = User.get(User.username == "school"), User.get(User.username == "school2")
    assert school.school.district.code == "KRG" and school2.school.district.code != "KRG"
    assert User.get(User.username == "district").district.code == "KRG"
    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert "already has data" in again.output
