"""The load and fault harness, short (issue #7): the service under gunicorn with 2 workers on the engine under test,
8 clients, 150 submissions of every offline-capable kind (a fifth repeats, one in twenty cut before the answer is
read), one SIGKILL of the whole server midway and a restart; meanwhile outbox files (copies of live submissions and
submissions only the files carry) are imported by curators and district officers, each twice. Nothing acknowledged
is lost or stored twice, a second import creates nothing, and no answer but those while the server was down is a
5xx. The full figures: bench/bench_load.py."""

import pytest

from bench import loadharness
from tests.conftest import ENGINE, new_database_url

PER_KIND, CLIENTS = 150, 8


def test_every_offline_form_has_a_load_kind():
    assert {"forms.surveys.SurveyForm", "forms.training.CheckinForm"} <= loadharness.offline_forms()
    loadharness.check_registry()


def test_an_offline_form_without_a_kind_fails_loudly():
    found = loadharness.offline_forms() | {"forms.newfeature.NewFeatureForm"}
    with pytest.raises(loadharness.RegistryGap, match="not covered: forms.newfeature.NewFeatureForm"):
        loadharness.check_registry(found)


def test_short_load_with_a_crash_loses_nothing(tmp_path):
    url, drop = new_database_url(str(tmp_path), "load")
    try:
        result = loadharness.run(url, str(tmp_path), PER_KIND, CLIENTS, ENGINE)
    finally:
        drop()
    kinds = len(loadharness.KINDS)
    figures = {name: value for name, value, _goal in result.figures()}
    for name, value in figures.items():
        print(f"{name}: {value}")
    assert result.restarts == 1 and result.total("down") > 0, figures
    assert result.total("repeat") == PER_KIND // 5 * kinds and result.total("cut") == PER_KIND * kinds // 20, figures
    assert result.total("acknowledged") == PER_KIND * kinds, figures
    assert result.lost == 0 and result.duplicates == 0 and result.acknowledged_not_once == 0, figures
    assert result.distinct_total_right, figures
    files = loadharness.IMPORT_FILES
    assert len(result.imports) == files and result.total("import_acknowledged") == files, figures
    assert {f.by_officer for f in result.imports} == {True, False}, figures
    assert result.total("second_import_created") == 0 and result.total("import_not_taken") == 0, figures
    only = {s.client_uuid for f in result.imports for s in f.only}
    assert only and all(result.stored[s.kind][s.client_uuid] == 1 for f in result.imports for s in f.only), figures
    unexpected = {what: result.total(what) for what in ("5xx", "conn", "4xx", "given_up")}
    assert unexpected == {"5xx": 0, "conn": 0, "4xx": 0, "given_up": 0}, (unexpected, result.samples,
                                                                           result.server_problems[:10])
