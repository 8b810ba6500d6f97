"""Every route answers every role as the access matrix says (tests/access_matrix.py): a route missing from the
matrix fails, records of another school or district by id answer 404, and no page that a school or district
reads shows a record of the other side."""

import pytest

from tests.access_matrix import (  # noqa: F401 (the fixtures module_site and site)
    MARKERS,
    MATRIX,
    OWNERS,
    ROLES,
    answer,
    expected,
    is_owned,
    module_site_fixture,
    routes,
    site_fixture,
)

# Whose records a role reads: the KRG district officer and the curator of "school" read "school"'s (KRG),
# the curator of "school2" (TMR) its own; neither ever reads a word of the other side's records.
SIDES = {"school": "school", "district": "school", "school2": "school2"}
# Answers whose text is checked for the other side's records (PDF and XLSX are compressed).
TEXT_TYPES = ("text/html", "text/csv", "text/plain", "application/json")


def test_every_route_is_in_the_matrix(site):
    known = routes(site.app)
    missing = sorted(set(known) - set(MATRIX))
    assert not missing, (
        "routes missing from the access matrix (TABLE in tests/access_matrix.py):\n  " + "\n  ".join(missing)
        + "\nRun `.venv/bin/python -m tests.access_matrix` to print their lines as each role answers now, check "
          "every answer, then add them.")
    stale = sorted(set(MATRIX) - set(known))
    assert not stale, "access matrix lines for routes that no longer exist:\n  " + "\n  ".join(stale)


def test_routes_naming_a_schools_record_have_a_line_per_owner(site):
    problems = []
    for key, rule in sorted(routes(site.app).items()):
        owners = set(MATRIX.get(key, {None: None}))
        if is_owned(rule) and owners != set(OWNERS):
            problems.append(f"{key}: its address names a school's record: give one line per owner {OWNERS}")
        elif not is_owned(rule) and owners != {None}:
            problems.append(f"{key}: names no school's record: one line without owner")
    assert not problems, "\n".join(problems)


def other_side_shown(role, owner, response):
    """The other side's marker, when a page that ``role`` reads about its own side shows it; else None."""
    side = SIDES.get(role)
    if side is None or owner != side or response.status_code != 200 or response.mimetype not in TEXT_TYPES:
        return None
    other = MARKERS[OWNERS[1 - OWNERS.index(side)]]
    return other if other.lower() in response.get_data(as_text=True).lower() else None


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(site, role):
    for owner in OWNERS:  # both sides' records exist before any page is read
        site.records(owner).make_all()
    column = ROLES.index(role)
    wrong, leaks = [], []
    for key, rule in sorted(routes(site.app).items()):
        if key not in MATRIX:
            continue  # reported by test_every_route_is_in_the_matrix
        method = key.split()[0]
        for owner, answers in expected(key).items():
            url, response = site.request(role, method, rule, owner)
            got = answer(response)
            if got != answers[column]:
                wrong.append(f"{key} (records of {owner}) {method} {url}: expected {answers[column]}, got {got}")
            marker = other_side_shown(role, owner, response)
            if marker:
                leaks.append(f"{method} {url} shows {marker!r}, a record of the other side")
    assert not wrong and not leaks, f"as {role}:\n" + "\n".join(wrong + leaks)
