"""Effectiveness monitoring: trends and each early flag on fixture data whose expected figures and flags are
worked out by hand below; the thresholds form; the quarterly report's freeze (a correction after publishing
changes the live tally, not the published PDF and figures); access for every role; bad input; the PDFs' text."""

import io
import json
import re
from datetime import date

import pytest
from pypdf import PdfReader

from models.monitoring import MonitoringReport, MonitoringSettings
from services import monitoring, tallies
from services.quarters import Quarter
from tests import factories
from tests.helpers import field_error, text

# Flags are read on this day: the last quarter that has ended is 2025-Q3; the two quarters checked for cases are
# 2025-Q2 and 2025-Q3; the agreement share of 2025-Q3 is compared with 2024-Q3 .. 2025-Q2.
TODAY = date(2025, 11, 15)
Q3 = Quarter(2025, 3)
BASELINE = [Quarter(2024, 3), Quarter(2024, 4), Quarter(2025, 1), Quarter(2025, 2)]
RU = {"Accept-Language": "ru"}

# (school, quarter, cases, of them with an agreement)
SURVEYS = [
    # school (KRG-T1): 2 a quarter, all agreed, in the baseline (8 of 8: 100 %); 1 of 5 in 2025-Q3 (20 %):
    # a fall of 80 points > 20 -> "agreement_drop".
    *[("school", q, 2, 2) for q in BASELINE],
    ("school", Q3, 5, 1),
    # school3 (KRG-T3): baseline 6 of 6 (100 %), 2025-Q3 5 of 6 (83 %): a fall of 17 points, under 20 -> no flag
    # (flagged once the margin is 10).
    ("school3", BASELINE[0], 2, 2), ("school3", BASELINE[1], 2, 2), ("school3", BASELINE[3], 2, 2),
    ("school3", Q3, 6, 5),
    # school2 (TMR-T2): one case in 2025-Q1, none in 2025-Q2 and 2025-Q3 -> "no_cases" (not with 3 quarters).
    ("school2", Quarter(2025, 1), 1, 1),
]

# Worked out from the data above and in `monitoring_world`, in the order flags() sorts them (district code, school
# code, kind): KRG-T1 has a complete checklist, parents informed and a certified curator; KRG-T3 the same but no
# certificate; TMR-T2 nothing at all: no checklist (regulation due 01.03.2025: overdue; the website due in 2026:
# not yet), no outreach (parents due 01.01.2025: overdue), no certificate.
EXPECTED_FLAGS = [
    ("KRG-T1", "agreement_drop", {"quarter": "2025-Q3", "now": 20, "before": 100, "points": 20}),
    ("KRG-T3", "curator_uncertified", {}),
    ("TMR-T2", "no_cases", {"n": 2, "first": "2025-Q2", "last": "2025-Q3"}),
    ("TMR-T2", "curator_uncertified", {}),
    ("TMR-T2", "parents_not_informed", {"due_on": "2025-01-01"}),
    ("TMR-T2", "setup_overdue", {"item": "regulation_approved", "due_on": "2025-03-01"}),
]


def make_cases(school, quarter, cases, agreed, **fields):
    for i in range(cases):
        factories.make_survey(school, closed_on=quarter.start.replace(day=1 + i),
                              outcome="agreement" if i < agreed else "no_agreement",
                              follow_up="yes" if i < agreed and i % 2 == 0 else "no" if i < agreed else "not_checked",
                              satisfaction=5 if i < agreed else 2, **fields)


def certify_curator(admin, school):
    from services import training

    event = factories.make_event(admin)
    registration = factories.make_registration(event, school, position="curator")
    training.mark_present(admin, registration, event.ordered_days()[0])
    return registration.certificates.get()


@pytest.fixture
def monitoring_world(world):
    schools = world.schools
    for name, quarter, cases, agreed in SURVEYS:
        make_cases(schools[name], quarter, cases, agreed)
    factories.set_deadlines(("parents_informed", date(2025, 1, 1)), ("regulation_approved", date(2025, 3, 1)),
                            ("website_info", date(2026, 1, 1)))
    factories.make_setup(schools["school"])
    factories.make_setup(schools["school3"])
    factories.make_outreach(schools["school"], held_on=date(2025, 8, 1), parents_reached=120)
    factories.make_outreach(schools["school3"], held_on=date(2025, 5, 1), parents_reached=80)
    for _ in range(3):
        factories.make_confirmation(schools["school"], quarter="2025-Q3")
    certify_curator(world.users["admin"], schools["school"])
    return world


def found(flags):
    return [(f["school_code"], f["kind"], f["params"]) for f in flags]


# ---------------------------------------------------------------- flags


def test_each_flag_on_fixture_data(monitoring_world):
    assert found(monitoring.flags(today=TODAY)) == EXPECTED_FLAGS


def test_a_districts_flags_are_its_own(monitoring_world):
    krg = monitoring_world.schools["school"].district_id
    assert found(monitoring.flags(district_id=krg, today=TODAY)) == EXPECTED_FLAGS[:2]


def test_thresholds_change_the_flags(monitoring_world):
    limits = {"quiet_quarters": 3, "agreement_drop_points": 10, "agreement_min_cases": 5}
    got = found(monitoring.flags(today=TODAY, limits=limits))
    # school3 fell 17 points (> 10); school2 filed a case in 2025-Q1, inside three quarters.
    assert ("KRG-T3", "agreement_drop", {"quarter": "2025-Q3", "now": 83, "before": 100, "points": 10}) in got
    assert not [f for f in got if f[1] == "no_cases"]
    # Six cases are needed: school (5 in 2025-Q3) and school3 (6, baseline 6) -> only school3 is compared.
    got = found(monitoring.flags(today=TODAY, limits={**limits, "agreement_min_cases": 6}))
    assert [f[0] for f in got if f[1] == "agreement_drop"] == ["KRG-T3"]


def test_flag_reasons_in_words(monitoring_world, app):
    flags = monitoring.flags(today=TODAY)
    with app.test_request_context(headers=RU):
        reasons = [monitoring.flag_reason(f) for f in flags]
    assert reasons[0] == ("Доля случаев с соглашением за 3 квартал 2025 г.: 20% против 100% за четыре предыдущих "
                          "квартала (снижение более чем на 20 процентных пунктов).")
    assert reasons[1] == "Куратор школьной службы медиации не имеет сертификата об обучении."
    assert reasons[2] == "Кварталов подряд без единой анкеты по случаям: 2 (2 квартал 2025 г. – 3 квартал 2025 г.)."
    assert "01.01.2025" in reasons[4]
    assert "01.03.2025" in reasons[5] and "Положение" in reasons[5]


def test_district_home_shows_its_schools_that_need_attention(monitoring_world, client, login_as):
    login_as("district")
    page = text(client.get("/", headers=RU))
    assert "Требует внимания" in page
    assert "Тестовая школа №3" in page and "не имеет сертификата" in page
    assert "Тестовая школа №2" not in page  # a TMR school
    login_as("district2")
    assert "Тестовая школа №2" in text(client.get("/", headers=RU))
    login_as("school")
    assert "Требует внимания" not in text(client.get("/", headers=RU))


def test_region_sees_all_flags_sorted_by_district(monitoring_world, client, login_as):
    login_as("monitor")
    page = text(client.get("/monitoring/flags", headers=RU))
    assert page.index("г. Караганда") < page.index("Тестовая школа №1") < page.index("г. Темиртау") < \
        page.index("Тестовая школа №2")
    login_as("district")
    page = text(client.get("/monitoring/flags", headers=RU))
    assert "Тестовая школа №3" in page and "Тестовая школа №2" not in page


# ---------------------------------------------------------------- trends


def test_trend_figures_by_quarter(monitoring_world):
    quarters = monitoring.quarters_ending(Q3)
    krg = monitoring_world.schools["school"].district_id
    points = {p["quarter"]: p for p in monitoring.trend(quarters, district_id=krg)}
    assert list(points) == [q.code for q in quarters]
    # 2025-Q3 in KRG: 5 + 6 cases, 1 + 5 agreed; follow-up of the agreed (every other one held): school 1 yes,
    # school3 3 yes 2 no; satisfaction 5 per agreed, 2 otherwise; parents 120 (school, August); 3 confirmations.
    assert points["2025-Q3"] == dict(quarter="2025-Q3", cases=11, agreements=6, held_yes=4, held_no=2,
                                     satisfaction_sum=6 * 5 + 5 * 2, satisfaction_n=11, activities=1,
                                     parents_reached=120, confirmations=3, curators_trained=0)
    assert points["2025-Q2"]["cases"] == 4 and points["2025-Q2"]["parents_reached"] == 80
    assert points["2025-Q1"]["cases"] == 2  # school's two; school2 is in TMR
    assert points["2023-Q4"]["cases"] == 0
    region = {p["quarter"]: p for p in monitoring.trend(quarters)}
    assert region["2025-Q1"]["cases"] == 3
    # The certificate was issued today (after 2025-Q3): trained curators count by the quarter's end.
    now = monitoring.trend(monitoring.quarters_ending(Quarter.of(date.today()), 1))
    assert now[0]["curators_trained"] == 1


def test_trends_by_district_match_the_districts_own(monitoring_world):
    quarters = monitoring.quarters_ending(Q3)
    by_district = monitoring.district_trends(quarters)
    for school in ("school", "school2"):
        district_id = monitoring_world.schools[school].district_id
        assert by_district[district_id] == monitoring.trend(quarters, district_id=district_id)


def test_trend_page_shows_charts_and_the_numbers(monitoring_world, client, login_as):
    login_as("district")
    krg = monitoring_world.schools["school"].district.code
    response = client.get(f"/monitoring/trends/{krg}", headers=RU)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<svg") >= 5 and 'role="img"' in html
    page = text(response)
    assert "3 квартал 2025 г." in page and "Подано случаев" in page
    # The school's own curator sees exact counts; the district sees 1 to 4 as "<5".
    school = monitoring_world.schools["school"]
    login_as("school")
    own = client.get(f"/monitoring/trends/{krg}/{school.id}")
    assert own.status_code == 200
    assert re.search(r"<td class=\"num\">2</td>", own.get_data(as_text=True))
    login_as("district")
    theirs = client.get(f"/monitoring/trends/{krg}/{school.id}").get_data(as_text=True)
    assert "&lt;5" in theirs and not re.search(r"<td class=\"num\">2</td>", theirs)


# ---------------------------------------------------------------- thresholds


def test_thresholds_form_saves_and_checks_ranges(monitoring_world, client, login_as):
    login_as("admin")
    bad = client.post("/monitoring/settings", data={"quiet_quarters": "0", "agreement_drop_points": "101",
                                                    "agreement_min_cases": "abc"}, headers=RU)
    assert bad.status_code == 400
    assert field_error(bad, "quiet_quarters") == "Введите число от 1 до 8."
    assert field_error(bad, "agreement_drop_points") == "Введите число от 1 до 100."
    assert field_error(bad, "agreement_min_cases") == "Введите целое число."
    assert not MonitoringSettings.select().exists()
    good = client.post("/monitoring/settings", data={"quiet_quarters": "3", "agreement_drop_points": "10",
                                                     "agreement_min_cases": "5"})
    assert good.status_code == 302
    assert monitoring.thresholds() == {"quiet_quarters": 3, "agreement_drop_points": 10, "agreement_min_cases": 5}
    login_as("monitor")
    assert client.post("/monitoring/settings", data={"quiet_quarters": "4", "agreement_drop_points": "10",
                                                     "agreement_min_cases": "5"}).status_code == 403
    assert monitoring.thresholds()["quiet_quarters"] == 3


def test_thresholds_service_refuses_out_of_range(monitoring_world):
    from services import DomainError

    with pytest.raises(DomainError) as error:
        monitoring.save_thresholds(None, {"quiet_quarters": 9, "agreement_drop_points": 10, "agreement_min_cases": 5})
    assert error.value.field == "quiet_quarters"


# ---------------------------------------------------------------- the report and its freeze

TEXTS = {"findings_kk": "Медиация қызметтерінің жұмысы тұрақты.\nҚарағанды мектептері белсенді.",
         "findings_ru": "Службы медиации работают устойчиво.",
         "recommendations_kk": "Кураторларды оқытуды жалғастыру.",
         "recommendations_ru": "Продолжить обучение кураторов."}


def pdf_text(body):
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages))


def new_report(client, quarter="2025-Q3", **texts):
    response = client.post("/monitoring/reports/new", data={"quarter": quarter, **TEXTS, **texts})
    assert response.status_code == 302, response.get_data(as_text=True)
    return MonitoringReport.get(MonitoringReport.quarter == quarter)


def test_publish_freezes_the_report(monitoring_world, client, login_as):
    admin = login_as("admin")
    report = new_report(client)
    draft = client.get(f"/monitoring/reports/{report.id}", headers=RU)
    assert draft.status_code == 200 and "Черновик" in text(draft)
    assert client.post(f"/monitoring/reports/{report.id}/publish", data={"quarter": "2025-Q3"}).status_code == 302
    report = MonitoringReport.get_by_id(report.id)
    assert report.is_published and report.published_by_id == admin.id
    figures = json.loads(report.figures)
    krg = next(d for d in figures["districts"] if d["code"] == "KRG")
    assert krg["trend"][-1]["cases"] == 11 and krg["trend"][-1]["parents_reached"] == 120
    # Flags as of the day after the quarter: KRG's two schools.
    assert [(f["school_code"], f["kind"]) for f in krg["flags"]] == [(c, k) for c, k, _p in EXPECTED_FLAGS[:2]]
    page = text(client.get(f"/monitoring/reports/{report.id}", headers=RU))
    assert "Опубликован" in page and admin.full_name in page
    kk = client.get(f"/monitoring/reports/{report.id}/report-kk.pdf")
    ru = client.get(f"/monitoring/reports/{report.id}/report-ru.pdf")
    assert kk.status_code == ru.status_code == 200 and kk.mimetype == "application/pdf"
    kk_text, ru_text = pdf_text(kk.data), pdf_text(ru.data)
    assert "Медиация қызметтерінің жұмысы тұрақты." in kk_text and "Кураторларды оқытуды жалғастыру." in kk_text
    assert "мектеп медиациясы" in kk_text.lower() and "Службы" not in kk_text
    assert "Службы медиации работают устойчиво." in ru_text and "Продолжить обучение кураторов." in ru_text
    login_as("district")
    part = client.get(f"/monitoring/reports/{report.id}/districts/KRG/report-ru.pdf")
    assert part.status_code == 200
    part_text = pdf_text(part.data)
    assert "Тестовая школа №3" in part_text and "Тестовая школа №2" not in part_text

    # A correction after publishing: the live tally changes, the published report does not.
    school = monitoring_world.schools["school"]
    activity = school.outreach_activities.get()
    from services import outreach

    before = tallies.district_tally(Q3, school.district)["total"]["parents_reached"]
    outreach.update_activity(admin, activity, {"parents_reached": 300})
    factories.make_survey(school, closed_on=date(2025, 8, 20))
    assert tallies.district_tally(Q3, school.district)["total"]["parents_reached"] == before + 180
    assert monitoring.report_figures(Q3)["districts"] != figures["districts"]
    report = MonitoringReport.get_by_id(report.id)
    assert json.loads(report.figures) == figures
    assert pdf_text(
        client.get(f"/monitoring/reports/{report.id}/districts/KRG/report-ru.pdf").data) == part_text
    login_as("admin")
    assert client.get(f"/monitoring/reports/{report.id}/report-kk.pdf").data == kk.data
    assert "120" in text(client.get(f"/monitoring/reports/{report.id}"))

    # Never altered: editing and publishing again are refused, nothing changes.
    refused = client.post(f"/monitoring/reports/{report.id}/edit", data={**TEXTS, "findings_ru": "Другое"},
                          headers=RU, follow_redirects=True)
    assert "никогда не изменяется" in text(refused)
    again = client.post(f"/monitoring/reports/{report.id}/publish", data={"quarter": report.quarter}, headers=RU,
                        follow_redirects=True)
    assert "никогда не изменяется" in text(again)
    unchanged = MonitoringReport.get_by_id(report.id)
    assert unchanged.findings_ru == TEXTS["findings_ru"] and unchanged.published_at == report.published_at
    from services import DomainError

    with pytest.raises(DomainError):
        monitoring.update_report(admin, unchanged, TEXTS)


def test_publishing_is_confirmed_on_a_page_that_names_the_quarter(monitoring_world, client, login_as):
    """Publishing cannot be undone: the report's button leads to a confirmation naming the quarter (no script
    needed), and only the post from it, which carries that quarter, publishes."""
    login_as("monitor")
    report = new_report(client)
    page = client.get(f"/monitoring/reports/{report.id}", headers=RU)
    confirm_url = f"/monitoring/reports/{report.id}/publish"
    assert f'href="{confirm_url}"' in page.get_data(as_text=True)
    assert f'action="{confirm_url}"' not in page.get_data(as_text=True)  # no one-click publishing
    confirm = client.get(confirm_url, headers=RU)
    with client.application.test_request_context(headers=RU):
        from flask_babel import force_locale

        with force_locale("ru"):
            label = str(Quarter.parse("2025-Q3").label)
    assert confirm.status_code == 200 and label in text(confirm) and "нельзя отменить" in text(confirm)
    assert f'action="{confirm_url}"' in confirm.get_data(as_text=True)
    for data in ({}, {"quarter": "2025-Q2"}):  # a bare button, or a confirmation of another quarter
        refused = client.post(confirm_url, data=data, headers=RU)
        assert refused.status_code == 400 and label in text(refused)
        assert not MonitoringReport.get_by_id(report.id).is_published
    assert client.post(confirm_url, data={"quarter": "2025-Q3"}).status_code == 302
    assert MonitoringReport.get_by_id(report.id).is_published
    assert client.get(confirm_url).headers["Location"].endswith(f"/monitoring/reports/{report.id}")


def test_publishing_refuses_an_unended_quarter_and_empty_texts(monitoring_world, client, login_as):
    login_as("monitor")
    current = Quarter.of(date.today())
    report = new_report(client, quarter=current.code)
    refused = client.post(f"/monitoring/reports/{report.id}/publish", data={"quarter": current.code}, headers=RU,
                          follow_redirects=True)
    assert "ещё не закончился" in text(refused)
    assert not MonitoringReport.get_by_id(report.id).is_published
    empty = new_report(client, quarter="2025-Q2", findings_ru="   ")
    refused = client.post(f"/monitoring/reports/{empty.id}/publish", data={"quarter": "2025-Q2"}, headers=RU,
                          follow_redirects=True)
    assert "на казахском и на русском" in text(refused)
    assert not MonitoringReport.get_by_id(empty.id).is_published
    # A draft is edited freely, then published.
    assert client.post(f"/monitoring/reports/{empty.id}/edit", data=TEXTS).status_code == 302
    assert MonitoringReport.get_by_id(empty.id).findings_ru == TEXTS["findings_ru"]


def test_report_form_bad_input(monitoring_world, client, login_as):
    login_as("admin")
    new_report(client)
    twice = client.post("/monitoring/reports/new", data={"quarter": "2025-Q3", **TEXTS}, headers=RU)
    assert twice.status_code == 400 and field_error(twice, "quarter") == "Выберите квартал из списка."
    future = client.post("/monitoring/reports/new", data={"quarter": "2099-Q1", **TEXTS}, headers=RU)
    assert future.status_code == 400 and field_error(future, "quarter") == "Выберите квартал из списка."
    long = client.post("/monitoring/reports/new", data={"quarter": "2025-Q2", **TEXTS, "findings_kk": "ә" * 20001},
                       headers=RU)
    assert long.status_code == 400 and field_error(long, "findings_kk")
    assert MonitoringReport.select().count() == 1


# ---------------------------------------------------------------- access for every role

ROLES = ("anonymous", "school", "school2", "district", "district2", "monitor", "admin")


@pytest.fixture
def draft_report(world):
    return monitoring.create_report(world.users["admin"], "2025-Q2", TEXTS)


@pytest.fixture
def published_report(monitoring_world, app):
    admin = monitoring_world.users["admin"]
    report = monitoring.create_report(admin, "2025-Q3", TEXTS)
    draft = monitoring.create_report(admin, "2025-Q2", TEXTS)
    with app.test_request_context():
        report = monitoring.publish(admin, report)
    return report, draft


# (address, answers in ROLES order); {r} the published report, {d} the draft; KRG is district's, TMR district2's.
ACCESS = [
    ("/monitoring", ("L", "302", "302", "302", "302", "302", "302")),
    ("/monitoring/trends", ("L", "302", "302", "302", "302", "200", "200")),
    ("/monitoring/trends/KRG", ("L", "403", "403", "200", "404", "200", "200")),
    ("/monitoring/trends/KRG/{s}", ("L", "200", "404", "200", "404", "200", "200")),
    ("/monitoring/flags", ("L", "403", "403", "200", "200", "200", "200")),
    ("/monitoring/settings", ("L", "403", "403", "403", "403", "403", "200")),
    ("/monitoring/reports", ("L", "403", "403", "200", "200", "200", "200")),
    ("/monitoring/reports/new", ("L", "403", "403", "403", "403", "200", "200")),
    ("/monitoring/reports/{r}", ("L", "403", "403", "200", "200", "200", "200")),
    ("/monitoring/reports/{d}", ("L", "403", "403", "404", "404", "200", "200")),
    ("/monitoring/reports/{d}/edit", ("L", "403", "403", "403", "403", "200", "200")),
    ("/monitoring/reports/{r}/edit", ("L", "403", "403", "403", "403", "302", "302")),
    ("/monitoring/reports/{r}/report-kk.pdf", ("L", "403", "403", "403", "403", "200", "200")),
    ("/monitoring/reports/{d}/report-kk.pdf", ("L", "403", "403", "403", "403", "404", "404")),
    ("/monitoring/reports/{r}/districts/KRG/report-kk.pdf", ("L", "403", "403", "200", "404", "200", "200")),
    ("/monitoring/reports/{r}/districts/TMR/report-ru.pdf", ("L", "403", "403", "404", "200", "200", "200")),
    ("/monitoring/reports/{d}/districts/KRG/report-kk.pdf", ("L", "403", "403", "404", "404", "404", "404")),
]


def answer(response):
    if response.status_code == 302 and "/login" in response.headers["Location"]:
        return "L"
    return str(response.status_code)


def test_access_for_every_role(published_report, monitoring_world, client, login_as):
    report, draft = published_report
    school = monitoring_world.schools["school"]
    wrong = []
    for role in ROLES:
        if role == "anonymous":
            with client.session_transaction() as session:
                session.clear()
        else:
            login_as(role)
        for address, answers in ACCESS:
            url = address.format(r=report.id, d=draft.id, s=school.id)
            got = answer(client.get(url))
            if got != answers[ROLES.index(role)]:
                wrong.append(f"{role} GET {url}: expected {answers[ROLES.index(role)]}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_only_the_region_writes_reports(draft_report, client, login_as):
    draft = draft_report
    for role in ("school", "district", "district2"):
        login_as(role)
        assert client.post(f"/monitoring/reports/{draft.id}/publish").status_code == 403
        assert client.post(f"/monitoring/reports/{draft.id}/edit", data=TEXTS).status_code == 403
        assert client.post("/monitoring/reports/new", data={"quarter": "2025-Q1", **TEXTS}).status_code == 403
    assert not MonitoringReport.get_by_id(draft.id).is_published
    assert MonitoringReport.select().count() == 1


def test_a_post_without_a_csrf_token_is_refused(draft_report, app, client, login_as):
    draft = draft_report
    app.config["WTF_CSRF_ENABLED"] = True
    login_as("admin")
    assert client.post(f"/monitoring/reports/{draft.id}/publish").status_code == 400
    assert not MonitoringReport.get_by_id(draft.id).is_published


def test_flag_counts_count_schools(monitoring_world):
    found = monitoring.flags(today=TODAY)
    extra = dict(found[-1], params={"item": "service_created", "due_on": "2025-03-01"})
    counts = monitoring.flag_counts([*found, extra])
    assert counts["TMR"] == {"no_cases": 1, "agreement_drop": 0, "curator_uncertified": 1, "parents_not_informed": 1,
                             "setup_overdue": 1}
    assert counts[None]["curator_uncertified"] == 2 and counts["KRG"]["agreement_drop"] == 1
