"""The scoping helper narrows every record query per role."""

import pytest

from models.auth import User
from models.directory import School
from services.access import get_visible, visible


@pytest.mark.parametrize("role, expected", [
    ("admin", {"school", "school2", "school3"}),
    ("monitor", {"school", "school2", "school3"}),
    ("district", {"school", "school3"}),
    ("district2", {"school2"}),
    ("school", {"school"}),
    ("school2", {"school2"}),
])
def test_school_scope(world, role, expected):
    ids = {s.id for s in visible(School, world.users[role])}
    assert ids == {world.schools[name].id for name in expected}


def test_records_outside_scope_are_none(world):
    school2 = world.schools["school2"]
    assert get_visible(School, school2.id, world.users["school"]) is None
    assert get_visible(School, school2.id, world.users["district"]) is None
    assert get_visible(School, school2.id, world.users["district2"]).id == school2.id
    assert get_visible(School, "not-a-number", world.users["admin"]) is None


def test_inactive_or_missing_user_sees_nothing(world):
    user = world.users["admin"]
    user.is_active = False
    assert visible(School, user).count() == 0
    assert visible(School, None).count() == 0


def test_school_user_sees_only_itself_among_users(world):
    assert {u.id for u in visible(User, world.users["school"])} == {world.users["school"].id}


@pytest.mark.parametrize("role, codes", [("admin", 13), ("district", {"KRG"}), ("district2", {"TMR"}),
                                         ("school", {"KRG"}), ("school2", {"TMR"})])
def test_district_scope(world, role, codes):
    from models.directory import District

    found = {d.code for d in visible(District, world.users[role])}
    assert (len(found) == codes) if isinstance(codes, int) else (found == codes)
