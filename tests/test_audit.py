"""The audit trail records changes and region admins read and filter it."""

import pytest

from models.audit import AuditEvent
from tests.helpers import text


@pytest.mark.parametrize("role, status", [("admin", 200), ("monitor", 403), ("district", 403), ("school", 403),
                                          (None, 302)])
def test_audit_access(client, login_as, role, status):
    if role:
        login_as(role)
    assert client.get("/audit").status_code == status


def test_changes_are_recorded_and_filterable(client, login_as, world):
    login_as("district")
    client.post(f"/users/{world.users['school'].id}/reset")
    login_as("admin")
    school = world.schools["school"]
    client.post(f"/schools/{school.id}/edit", data={"district": school.district_id, "code": school.code,
                                                    "name_kk": "Жаңа атау", "name_ru": "Новое имя"})
    assert AuditEvent.select().where(AuditEvent.action == "user.password_reset").count() == 1
    page = text(client.get("/audit?lang=en"))
    assert "user.password_reset" in page and "school.updated" in page
    filtered = text(client.get("/audit?action=school.updated&lang=en"))
    assert "school.updated" in filtered and "user.password_reset" not in filtered.split("Details")[-1]
    by_user = text(client.get("/audit?user=district&lang=en"))
    rows = by_user.split("Details")[-1]
    assert "user.password_reset" in rows and "school.updated" not in rows
    assert client.get("/audit?from=not-a-date&to=2020-13-45").status_code == 200
    assert "No entries." in text(client.get("/audit?from=2001-01-01&to=2001-01-02&lang=en"))
