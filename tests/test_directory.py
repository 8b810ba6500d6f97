"""Schools and accounts in the web UI, with access checked for each role."""

import pytest

from models.auth import User
from models.directory import School
from tests.helpers import field_error, input_value, text

ROLES = ["admin", "monitor", "district", "district2", "school", "school2"]


@pytest.mark.parametrize("role, status", [
    ("admin", 200), ("monitor", 200), ("district", 200), ("school", 403), (None, 302)])
def test_school_list_access(client, login_as, role, status):
    if role:
        login_as(role)
    assert client.get("/schools").status_code == status


def test_district_sees_only_its_schools(client, login_as, world):
    login_as("district")
    page = text(client.get("/schools?lang=kk"))
    assert "№1 тест мектебі" in page and "№3 тест мектебі" in page
    assert "№2 тест мектебі" not in page


def test_school_names_in_reader_language(client, login_as):
    login_as("admin")
    assert "Тестовая школа №2" in text(client.get("/schools?lang=ru"))
    assert "№2 тест мектебі" in text(client.get("/schools?lang=kk"))


def test_admin_adds_and_edits_school(client, login_as, world):
    login_as("admin")
    district_id = world.schools["school"].district_id
    response = client.post("/schools/new", data={"district": district_id, "code": "KRG-900",
                                                  "name_kk": "№900 мектеп", "name_ru": "Школа №900", "bin": ""})
    assert response.status_code == 302
    school = School.get(School.code == "KRG-900")
    response = client.post(f"/schools/{school.id}/edit", data={"district": district_id, "code": "KRG-900",
                                                               "name_kk": "№900 гимназия", "name_ru": "Гимназия №900"})
    assert response.status_code == 302
    assert School.get_by_id(school.id).name_kk == "№900 гимназия"


def test_bad_school_form_keeps_input_and_explains(client, login_as, world):
    login_as("admin")
    response = client.post("/schools/new?lang=ru", data={"district": "999", "code": "KRG-T1", "name_kk": "  ",
                                                          "name_ru": "Школа", "bin": "123"})
    assert response.status_code == 400
    assert field_error(response, "name_kk") == "Обязательное поле."
    assert field_error(response, "district")
    assert field_error(response, "bin")
    assert input_value(response, "name_ru") == "Школа"
    response = client.post("/schools/new?lang=ru", data={"district": world.schools["school"].district_id,
                                                          "code": "KRG-T1", "name_kk": "X", "name_ru": "Y"})
    assert response.status_code == 400 and "уже существует" in field_error(response, "code")


@pytest.mark.parametrize("role", ["monitor", "district", "school"])
def test_only_admin_edits_schools(client, login_as, world, role):
    login_as(role)
    school = world.schools["school"]
    assert client.get(f"/schools/{school.id}/edit").status_code == 403
    assert client.post("/schools/new", data={}).status_code == 403


def test_admin_unknown_school_is_404(client, login_as):
    login_as("admin")
    assert client.get("/schools/99999/edit").status_code == 404


@pytest.mark.parametrize("role, visible", [
    ("admin", {"school", "school2", "district", "district2", "monitor"}),
    ("district", {"school"}),
    ("district2", {"school2"}),
])
def test_account_lists_are_scoped(client, login_as, world, role, visible):
    login_as(role)
    page = client.get("/users").get_data(as_text=True)
    for name in ("school", "school2", "district", "district2", "monitor"):
        assert (f"<td>{name}</td>" in page) == (name in visible), name


@pytest.mark.parametrize("role", ["school", "monitor"])
def test_accounts_forbidden_for_school_and_monitor(client, login_as, role):
    login_as(role)
    assert client.get("/users").status_code == 403
    assert client.get("/users/new").status_code == 403


def test_district_creates_curator_for_own_school_only(client, login_as, world):
    login_as("district")
    other = world.schools["school2"]
    response = client.post("/users/new", data={"username": "kurator9", "full_name": "Әлия Бекова",
                                                "role": "school", "school": other.id})
    assert response.status_code == 400 and field_error(response, "school")
    own = world.schools["school3"]
    response = client.post("/users/new", data={"username": "kurator9", "full_name": "Әлия Бекова",
                                                "role": "school", "school": own.id})
    assert response.status_code == 200 and "<code>" in response.get_data(as_text=True)
    user = User.get(User.username == "kurator9")
    assert user.school_id == own.id and user.district_id == own.district_id and user.must_change_password


def test_district_cannot_create_admin(client, login_as):
    login_as("district")
    response = client.post("/users/new", data={"username": "evil", "full_name": "E", "role": "admin"})
    assert response.status_code == 400
    assert not User.select().where(User.username == "evil").exists()


@pytest.mark.parametrize("role, target, status", [
    ("district", "school", 200), ("district", "school2", 404), ("district", "district2", 404),
    ("district", "admin", 404), ("district2", "school", 404), ("admin", "district", 200),
])
def test_account_edit_and_reset_scope(client, login_as, world, role, target, status):
    login_as(role)
    target_user = world.users[target]
    assert client.get(f"/users/{target_user.id}/edit").status_code == status
    assert client.post(f"/users/{target_user.id}/reset").status_code == status


def test_duplicate_username_is_refused(client, login_as, world):
    login_as("admin")
    response = client.post("/users/new?lang=ru", data={"username": "School", "full_name": "X", "role": "monitor"})
    assert response.status_code == 400
    assert "занято" in field_error(response, "username")
