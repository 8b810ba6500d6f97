"""District tallies: fixture data whose tally is written out by hand below, compared with what the screen, the PDF
(extracted text), CSV and XLSX show; access per role; bad addresses; an empty quarter; the audit of exports."""

import csv
import io
import re
import uuid
from datetime import date, datetime
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from models.audit import AuditEvent
from services import tallies
from services.quarters import Quarter
from tests import factories
from tests.helpers import text

Q3 = "2025-Q3"

# ---------------------------------------------------------------- the fixture data and its tally, by hand

# (school, count, category, procedure, outcome, follow-up, satisfaction), all closed in 2025-Q3.
SURVEYS = [
    ("school", 5, "student_student", "mediation", "agreement", "yes", 5),
    ("school", 2, "bullying", "mediation", "partial", "no", 4),
    ("school", 5, "bullying", "restorative_circle", "no_agreement", "not_checked", 2),
    ("school", 1, "group", "conversation", "referred", "not_checked", 3),
    ("school3", 2, "parent_teacher", "mediation", "agreement", "yes", 4),
    ("school2", 1, "student_teacher", "mediation", "agreement", "yes", 5),
]

# Worked out by hand from the lists above (and the outreach, training and checklist data in `tally_world`).
# school (KRG): 13 cases; school3 (KRG): 2; school2 (TMR): 1; school4 (TMR): none.
KRG = dict(schools=2, complete=1, in_progress=1, not_started=0, curator_certified=1, deadlines_met=3,
           deadlines_overdue=0, participants=2, certificates=1, activities=2, parents_reached=200, confirmations=7,
           surveys=15, schools_no_survey=0, cat_student_student=5, cat_bullying=7, cat_group=1, cat_parent_teacher=2,
           cat_student_teacher=0, proc_mediation=9, proc_restorative_circle=5, proc_conversation=1, out_agreement=7,
           out_partial=2, out_no_agreement=5, out_referred=1)
TMR = dict(schools=2, complete=0, in_progress=1, not_started=1, curator_certified=0, deadlines_met=1,
           deadlines_overdue=2, participants=1, certificates=0, activities=1, parents_reached=45, confirmations=0,
           surveys=1, schools_no_survey=1, cat_student_student=0, cat_bullying=0, cat_group=0, cat_parent_teacher=0,
           cat_student_teacher=1, proc_mediation=1, proc_restorative_circle=0, proc_conversation=0, out_agreement=1,
           out_partial=0, out_no_agreement=0, out_referred=0)
REGION = dict(schools=4, complete=1, in_progress=2, not_started=1, curator_certified=1, deadlines_met=4,
              deadlines_overdue=2, participants=3, certificates=1, activities=3, parents_reached=245, confirmations=7,
              surveys=16, schools_no_survey=1, cat_student_student=5, cat_bullying=7, cat_group=1,
              cat_parent_teacher=2, cat_student_teacher=1, proc_mediation=10, proc_restorative_circle=5,
              proc_conversation=1, out_agreement=8, out_partial=2, out_no_agreement=5, out_referred=1)
# Shares and means as shown outside the school: KRG 9 of 15 with an agreement (60 %), held 7 of 9 checked (2
# did not hold: hidden), satisfaction 54/15 = 3.6; TMR 1 case: all hidden; region 10 of 16 (63 %), held 8 of
# 10 (2 did not: hidden), satisfaction 59/16 = 3.7.
SHOWN_SHARES = {"KRG": ("60%", "—", "3.6"), "TMR": ("—", "—", "—"), "region": ("63%", "—", "3.7")}
# The school (KRG-T1) in its curator's own eyes, exact: 7 of 13 with an agreement (54 %), held 5 of 7 (71 %),
# satisfaction 46/13 = 3.5.
SCHOOL_EXACT = dict(surveys=13, cat_bullying=7, cat_group=1, out_referred=1, agreement_share="54%", held_share="71%",
                    satisfaction="3.5")
# Per school in the district view (KRG): mark, and the cases suppressed.
KRG_SCHOOLS = {"KRG-T1": ("complete", 13, "54%"), "KRG-T3": ("in_progress", "<5", "—")}


def shown(n):
    return "<5" if 1 <= n <= 4 else n


def make_training(school, school2, school3):
    from models.training import Attendance, Certificate, EventDay, Registration, TrainingEvent

    def event(code, days):
        ev = TrainingEvent.create(code=code, code_seq=1, slug=code[-6:].lower(), title_kk=f"{code} семинары",
                                  title_ru=f"Семинар {code}", kind="seminar", hours=8, organizer_kk="ПҚО",
                                  organizer_ru="ЦПП", capacity=50, registration_opens=date(2025, 1, 1),
                                  registration_closes=days[0], first_day=days[0], last_day=days[-1], status="closed")
        return ev, [EventDay.create(event=ev, day=d) for d in days]

    def registration(ev, school, position, name):
        return Registration.create(event=ev, token=uuid.uuid4().hex, full_name=name, name_key=name.lower(),
                                   position=position, district=school.district, school=school,
                                   phone=f"+7701{uuid.uuid4().int % 10**7:07d}", consent_at=datetime(2025, 8, 1),
                                   client_uuid=uuid.uuid4(), client_fingerprint="-")

    def attend(reg, day):
        Attendance.create(registration=reg, day=day, method="roster", client_uuid=uuid.uuid4(), client_fingerprint="-")

    def certificate(reg, seq, revoked_at=None):
        Certificate.create(registration=reg, event=reg.event, seq=seq, number=f"{reg.event.code}-{seq:04d}",
                           code=uuid.uuid4().hex, holder_name=reg.full_name, issued_at=datetime(2025, 8, 22, 9),
                           revoked_at=revoked_at)

    august, (day1, day2) = event("2025-SEM01", [date(2025, 8, 20), date(2025, 8, 21)])
    october, (day3,) = event("2025-SEM02", [date(2025, 10, 15)])
    r1 = registration(august, school, "curator", "Сәуле Нұрланова")
    attend(r1, day1)
    attend(r1, day2)
    certificate(r1, 1)
    r2 = registration(august, school3, "psychologist", "Айгерім Бекова")
    attend(r2, day2)
    r3 = registration(august, school2, "curator", "Ирина Петренко")
    attend(r3, day1)
    certificate(r3, 2, revoked_at=datetime(2025, 9, 1))
    r4 = registration(october, school2, "teacher", "Олег Ким")
    attend(r4, day3)


@pytest.fixture
def tally_world(world):
    schools = world.schools
    schools["school4"] = factories.make_school("TMR", code="TMR-T4", name_kk="№4 тест мектебі",
                                               name_ru="Тестовая школа №4")
    for name, count, category, procedure, outcome, follow_up, satisfaction in SURVEYS:
        for i in range(count):
            factories.make_survey(schools[name], closed_on=date(2025, 7, 1 + i), category=category,
                                  procedure=procedure, outcome=outcome, follow_up=follow_up, satisfaction=satisfaction)
    # Outside 2025-Q3: counted in the year 2025 only.
    factories.make_survey(schools["school2"], closed_on=date(2025, 6, 30))
    factories.make_survey(schools["school2"], closed_on=date(2025, 10, 1))
    factories.make_outreach(schools["school"], held_on=date(2025, 7, 1), parents_reached=120)
    factories.make_outreach(schools["school"], held_on=date(2025, 9, 30), parents_reached=80)
    factories.make_outreach(schools["school"], held_on=date(2025, 10, 1), parents_reached=500)
    factories.make_outreach(schools["school2"], held_on=date(2025, 8, 1), parents_reached=45)
    for _ in range(6):
        factories.make_confirmation(schools["school"], quarter=Q3)
    factories.make_confirmation(schools["school3"], quarter=Q3)
    factories.make_confirmation(schools["school2"], quarter="2025-Q2")
    factories.set_deadlines(("service_created", date(2025, 9, 1)), ("parents_informed", date(2025, 12, 1)))
    factories.make_setup(schools["school"])
    factories.make_setup(schools["school3"], regulation_date=None, council_date=None, curator_name="",
                         website_url="")
    make_training(schools["school"], schools["school2"], schools["school3"])
    return world


# ---------------------------------------------------------------- reading what each renderer shows


class Tables(HTMLParser):
    """{section key: [[cell text, ...], ...]} of the tally's tables (header row first, total row last)."""

    def __init__(self):
        super().__init__()
        self.tables, self.key, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and (attrs.get("aria-labelledby") or "").startswith("t-"):
            self.key = attrs["aria-labelledby"][2:]
            self.tables[self.key] = []
        elif tag == "tr" and self.key:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.key].append(self.row)
            self.row = None
        elif tag == "section":
            self.key = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def screen_tables(response):
    parser = Tables()
    parser.feed(response.get_data(as_text=True))
    return parser.tables


def number(cell):
    """A displayed cell as a comparable value: "1 234" -> 1234, "3,6" -> "3.6", "<5" and "—" stay."""
    cell = cell.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if re.fullmatch(r"\d+", cell):
        return int(cell)
    return cell.replace(",", ".")


def row_by_name(rows, name):
    return next(r for r in rows if r[0] == name)


def column(rows, label):
    return rows[0].index(label)


def expected_cells(figures, key, shares):
    """The expected suppressed value of one column of a district or region row."""
    if key == "agreement_share":
        return shares[0]
    if key == "held_share":
        return shares[1]
    if key == "satisfaction":
        return shares[2]
    if key.startswith(("cat_", "proc_", "out_")):
        return shown(figures.get(key, 0))  # a category, procedure or outcome not listed above had no case
    return shown(figures[key]) if key == "surveys" else figures[key]


# ---------------------------------------------------------------- the tally itself


def test_service_region_tally_matches_hand_count(app, tally_world):
    with app.test_request_context():
        tally = tallies.region_tally(Quarter.parse(Q3))
    rows = {r["code"]: r["figures"] for r in tally["rows"]}
    for code, expected in (("KRG", KRG), ("TMR", TMR)):
        assert {k: rows[code][k] for k in expected} == expected, code
    assert {k: tally["total"][k] for k in REGION} == REGION
    assert rows["ABY"]["schools"] == 0 and rows["ABY"]["surveys"] == 0
    assert tally["total"]["satisfaction_sum"] == 59 and tally["total"]["held_yes"] == 8
    assert tally["total"]["held_no"] == 2 and tally["total"]["agreements"] == 10


def test_year_counts_every_quarter(app, tally_world):
    with app.test_request_context():
        tally = tallies.region_tally(tallies.parse_period("2025"))
    assert tally["total"]["surveys"] == 18
    assert tally["total"]["activities"] == 4 and tally["total"]["confirmations"] == 8
    assert tally["total"]["participants"] == 4


def test_small_counts_and_shares():
    assert [tallies.small(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]
    assert tallies.share(9, 15) == 60 and tallies.share(10, 16) == 63
    assert tallies.share(3, 15) is None and tallies.share(13, 15) is None and tallies.share(0, 4) is None
    assert tallies.share(0, 0) is None and tallies.share(0, 6) == 0 and tallies.share(2, 3, suppress=False) == 67
    assert tallies.mean(59, 16) == 3.7 and tallies.mean(8, 2) is None and tallies.mean(8, 2, suppress=False) == 4.0


# ---------------------------------------------------------------- screen


def columns_in(app, lang):
    """{section key: [(column key, label in ``lang``)]}."""
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(lang):
        return {s.key: [(c.key, str(c.label)) for c in s.columns] for s in tallies.sections()}


@pytest.mark.parametrize("role", ["admin", "monitor"])
def test_region_screen_agrees_with_hand_count(client, login_as, tally_world, role):
    login_as(role)
    response = client.get(f"/tallies/{Q3}?lang=ru")
    assert response.status_code == 200
    tables = screen_tables(response)
    for key, columns in columns_in(client.application, "ru").items():
        rows = tables[key]
        for name, figures, shares in (("г. Караганда", KRG, SHOWN_SHARES["KRG"]),
                                      ("г. Темиртау", TMR, SHOWN_SHARES["TMR"]),
                                      ("Итого", REGION, SHOWN_SHARES["region"])):
            row = row_by_name(rows, name)
            for column_key, label in columns:
                if column_key != "mark":
                    got = number(row[column(rows, label)])
                    assert got == expected_cells(figures, column_key, shares), (key, name, column_key)
    html = response.get_data(as_text=True)
    assert 'href="/tallies/2025-Q3/KRG"' in html and "<svg" in html


def test_district_screen_marks_and_drill_down(client, login_as, tally_world):
    login_as("district")
    response = client.get(f"/tallies/{Q3}/KRG?lang=kk")
    assert response.status_code == 200
    tables = screen_tables(response)
    setup_rows, survey_rows = tables["setup"], tables["surveys"]
    marks = {"complete": "Аяқталды", "in_progress": "Орындалуда", "not_started": "Басталмаған"}
    school = tally_world.schools["school"]
    for code, (mark, surveys, agreement) in KRG_SCHOOLS.items():
        name = {"KRG-T1": "№1 тест мектебі", "KRG-T3": "№3 тест мектебі"}[code]
        assert row_by_name(setup_rows, name)[1] == marks[mark]
        assert number(row_by_name(survey_rows, name)[1]) == surveys
        assert number(row_by_name(survey_rows, name)[2]) == agreement
    assert number(row_by_name(survey_rows, "Барлығы")[1]) == 15
    html = response.get_data(as_text=True)
    assert f'href="/tallies/2025-Q3/KRG/{school.id}"' in html
    assert "№2 тест мектебі" not in html  # a Temirtau school
    # Charts are drawn on the server: no script, no style attribute for the CSP to block.
    assert html.count("<svg") >= 3 and "<script>" not in html and 'style="' not in html


def test_school_page_for_its_curator_is_exact_and_links_records(client, login_as, tally_world):
    login_as("school")
    school = tally_world.schools["school"]
    response = client.get(f"/tallies/{Q3}/KRG/{school.id}?lang=ru")
    assert response.status_code == 200
    page = text(response)
    for label, value in (("Подано анкет", "13"), ("С соглашением, %", "54%"),
                         ("Соглашение соблюдается при проверке, %", "71%"), ("Средняя удовлетворённость (1–5)", "3,5")):
        assert f"{label} {value}" in page, label
    html = response.get_data(as_text=True)
    assert "/surveys?quarter=2025-Q3" in html and f"/outreach/schools/{school.id}" in html
    assert "/tally.pdf" not in html  # nothing leaves the school from its curator's page


def test_school_page_for_the_district_is_suppressed(client, login_as, tally_world):
    login_as("district")
    school3 = tally_world.schools["school3"]
    page = text(client.get(f"/tallies/{Q3}/KRG/{school3.id}?lang=ru"))
    assert "Подано анкет <5" in page
    assert "Статус В работе" in page


def test_empty_quarter_gives_zeros(client, login_as, tally_world):
    login_as("admin")
    response = client.get("/tallies/2024-Q1?lang=ru")
    assert response.status_code == 200
    rows = screen_tables(response)["surveys"]
    total = row_by_name(rows, "Итого")
    assert number(total[1]) == 0 and total[3] == "—"
    assert number(row_by_name(screen_tables(response)["outreach"], "Итого")[1]) == 0


def test_empty_database_gives_zeros(client, login_as, world):
    login_as("monitor")
    assert client.get(f"/tallies/{Q3}/TMR").status_code == 200
    assert client.get(f"/tallies/{Q3}/tally.pdf").status_code == 200


# ---------------------------------------------------------------- PDF, CSV, XLSX


def pdf_text(body):
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages)), len(reader.pages)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_region_pdf_agrees(client, login_as, tally_world, lang):
    login_as("monitor")
    response = client.get(f"/tallies/{Q3}/tally.pdf?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    content, pages = pdf_text(response.data)
    words = {"kk": ("Қарағанды облысы", "Қарағанды қаласы", "Теміртау қаласы", "Барлығы",
                    "Білім басқармасы басшысының орынбасары"),
             "ru": ("Карагандинская область", "г. Караганда", "г. Темиртау", "Итого",
                    "Заместитель руководителя управления образования")}[lang]
    region, krg, tmr, total, deputy = words
    assert region in content and deputy in content and f"1 / {pages}" in content
    # The main table: schools, set up, curator certified, overdue, activities, confirmations, surveys, without a
    # survey, share with an agreement.
    assert f"{krg} 2 1 1 0 2 7 15 0 60%" in content
    assert f"{tmr} 2 0 0 2 1 0 <5 1 —" in content
    assert f"{total} 4 1 1 2 3 7 16 1 63%" in content
    assert "<svg" not in content


def test_district_pdf_has_school_rows_and_both_signatures(client, login_as, tally_world):
    login_as("district")
    response = client.get(f"/tallies/{Q3}/KRG/tally.pdf?lang=ru")
    assert response.status_code == 200
    content, _pages = pdf_text(response.data)
    assert "г. Караганда" in content and "3 квартал 2025 г." in content
    assert "Тестовая школа №1 Завершено 1 0 2 6 13 54%" in content
    assert "Тестовая школа №3 В работе 0 0 0 1 <5 —" in content
    assert "Руководитель районного отдела образования" in content


def test_school_pdf_is_suppressed(client, login_as, tally_world):
    login_as("district")
    school3 = tally_world.schools["school3"]
    response = client.get(f"/tallies/{Q3}/KRG/{school3.id}/tally.pdf?lang=ru")
    assert response.status_code == 200
    content, _pages = pdf_text(response.data)
    assert "Тестовая школа №3" in content and "г. Караганда" in content
    assert "Подано анкет <5" in content and "Статус В работе" in content


def csv_rows(body):
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_region_csv_agrees(client, login_as, tally_world):
    login_as("admin")
    response = client.get(f"/tallies/{Q3}/tally.csv?lang=ru")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = csv_rows(response.data)
    header = rows[0]
    titles = {s.key: s.title for s in tallies.sections()}
    with client.application.test_request_context():
        from flask_babel import force_locale

        with force_locale("ru"):
            heads = {c.key: f"{titles[s.key]}: {c.label}" for s in tallies.sections() for c in s.columns}
    for code, figures, shares in (("KRG", KRG, SHOWN_SHARES["KRG"]), ("TMR", TMR, SHOWN_SHARES["TMR"]),
                                  ("", REGION, SHOWN_SHARES["region"])):
        row = next(r for r in rows[1:] if r[1] == code)
        for key in figures:
            if key not in heads or heads[key] not in header:
                continue
            expected = expected_cells(figures, key, shares)
            got = row[header.index(heads[key])]
            assert got == str(expected).replace("—", ""), (code, key)
        assert row[header.index(heads["agreement_share"])] == shares[0].rstrip("%").replace("—", "")
        assert row[header.index(heads["satisfaction"])] == shares[2].replace("—", "")


def test_district_xlsx_agrees(client, login_as, tally_world):
    login_as("district")
    response = client.get(f"/tallies/{Q3}/KRG/tally.xlsx?lang=kk")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    assert len(sheets) == 1 + len(tallies.sections())
    surveys = sheets["Жағдайлар бойынша сауалнамалар"]
    assert surveys[0][:3] == ["Мектеп", "Код", "Тапсырылған сауалнамалар"]
    by_code = {r[1]: r for r in surveys[1:]}
    assert by_code["KRG-T1"][2] == 13 and isinstance(by_code["KRG-T1"][2], int)
    assert by_code["KRG-T3"][2] == "<5"
    assert by_code["KRG-T1"][3] == 54 and by_code["KRG-T3"][3] is None
    assert surveys[-1][0] == "Барлығы" and surveys[-1][2] == 15 and surveys[-1][3] == 60
    assert surveys[-1][5] == 3.6
    summary = {r[0]: r[1] for r in sheets["Жиынтық"][1:]}
    assert summary["Қызметті ұйымдастыру: Мектептер"] == 2


def test_every_export_is_audited(client, login_as, tally_world):
    user = login_as("district")
    for path in (f"/tallies/{Q3}/KRG/tally.pdf", f"/tallies/{Q3}/KRG/tally.csv", f"/tallies/{Q3}/KRG/tally.xlsx",
                 f"/tallies/{Q3}/KRG/records/surveys.csv", f"/tallies/{Q3}/KRG/records/attendance.xlsx"):
        assert client.get(path).status_code == 200, path
    events = list(AuditEvent.select().where(AuditEvent.actor == user.id).order_by(AuditEvent.id))
    assert [e.action for e in events] == ["export.tally"] * 3 + ["export.surveys", "export.attendance"]
    assert all('"period": "2025-Q3"' in e.details for e in events)


# ---------------------------------------------------------------- raw records


def test_survey_records_are_scoped(client, login_as, tally_world):
    login_as("district")
    rows = csv_rows(client.get(f"/tallies/{Q3}/KRG/records/surveys.csv?lang=ru").data)
    assert len(rows) == 1 + 15
    assert {r[2] for r in rows[1:]} == {"KRG-T1", "KRG-T3"}
    assert "notes" not in rows[0] and "Примечания" not in rows[0]
    login_as("admin")
    rows = csv_rows(client.get(f"/tallies/{Q3}/records/surveys.csv").data)
    assert len(rows) == 1 + 16


def test_attendance_names_for_admins_only(client, login_as, tally_world):
    login_as("admin")
    rows = csv_rows(client.get(f"/tallies/{Q3}/records/attendance.csv?lang=ru").data)
    assert len(rows) == 1 + 4 and "Сәуле Нұрланова" in {r[6] for r in rows[1:]}
    for role in ("monitor", "district"):
        login_as(role)
        level = "" if role == "monitor" else "/KRG"
        path = f"/tallies/{Q3}{level}/records/attendance.csv"
        body = client.get(path).data.decode("utf-8-sig")
        assert "Нұрланова" not in body and "Бекова" not in body
        rows = list(csv.reader(io.StringIO(body)))
        assert sum(int(r[-1]) for r in rows[1:]) == (4 if role == "monitor" else 3)


def test_outreach_records_xlsx(client, login_as, tally_world):
    login_as("monitor")
    response = client.get(f"/tallies/{Q3}/TMR/records/outreach.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert len(rows) == 2 and rows[1][2] == "TMR-T2" and rows[1][9] == 45


# ---------------------------------------------------------------- access and bad addresses

VIEW = f"/tallies/{Q3}"


ACCESS = [
    (None, VIEW, 302),
    (None, f"{VIEW}/KRG/tally.pdf", 302),
    ("school", f"{VIEW}/KRG", 403),
    ("school", f"{VIEW}/tally.pdf", 403),
    ("school", f"{VIEW}/KRG/tally.csv", 403),
    ("school", f"{VIEW}/KRG/records/surveys.csv", 403),
    ("school2", f"{VIEW}/KRG", 403),
    ("school2", f"{VIEW}/TMR", 403),
    ("district", f"{VIEW}/KRG", 200),
    ("district", f"{VIEW}/TMR", 404),
    ("district", f"{VIEW}/TMR/tally.pdf", 404),
    ("district", f"{VIEW}/tally.csv", 403),
    ("district", f"{VIEW}/records/surveys.csv", 403),
    ("district2", f"{VIEW}/TMR", 200),
    ("district2", f"{VIEW}/KRG/records/surveys.csv", 404),
    ("monitor", f"{VIEW}/TMR", 200),
    ("monitor", f"{VIEW}/TMR/tally.xlsx", 200),
    ("admin", f"{VIEW}/KRG", 200),
    ("admin", f"{VIEW}/XYZ", 404),
    ("admin", "/tallies/2025-Q5", 404),
    ("admin", "/tallies/25-Q3", 404),
    ("admin", "/tallies/2099-Q1", 404),
    ("admin", "/tallies/2099", 404),
    ("admin", "/tallies/2025", 200),
    ("admin", "/tallies/2025/KRG/tally.csv", 200),
    ("admin", f"{VIEW}/KRG/records/nothing.csv", 404),
    ("admin", f"{VIEW}/KRG/tally.doc", 404),
]


@pytest.mark.parametrize("role", sorted({role or "anonymous" for role, _path, _status in ACCESS}))
def test_access(client, login_as, world, role):
    if role != "anonymous":
        login_as(role)
    for who, path, status in ACCESS:
        if (who or "anonymous") == role:
            assert client.get(path).status_code == status, path


def test_schools_other_than_ones_own_are_404(client, login_as, tally_world):
    schools = tally_world.schools
    login_as("school")
    assert client.get(f"{VIEW}/KRG/{schools['school'].id}").status_code == 200
    assert client.get(f"{VIEW}/KRG/{schools['school3'].id}").status_code == 404
    assert client.get(f"{VIEW}/TMR/{schools['school2'].id}").status_code == 404
    login_as("district")
    assert client.get(f"{VIEW}/KRG/{schools['school3'].id}").status_code == 200
    assert client.get(f"{VIEW}/TMR/{schools['school2'].id}").status_code == 404
    assert client.get(f"{VIEW}/TMR/{schools['school2'].id}/tally.pdf").status_code == 404
    login_as("admin")
    assert client.get(f"{VIEW}/TMR/{schools['school'].id}").status_code == 404  # not in that district
    assert client.get(f"{VIEW}/KRG/{schools['school'].id}/tally.csv").status_code == 200


def test_entry_points_lead_each_role_to_its_own_page(client, login_as, tally_world):
    current = Quarter.current().code
    login_as("admin")
    assert client.get("/tallies").headers["Location"].endswith(f"/tallies/{current}")
    login_as("district")
    assert client.get("/tallies").headers["Location"].endswith(f"/tallies/{current}/KRG")
    assert client.get(VIEW).headers["Location"].endswith(f"{VIEW}/KRG")
    login_as("school")
    school = tally_world.schools["school"]
    assert client.get(VIEW).headers["Location"].endswith(f"{VIEW}/KRG/{school.id}")


def test_bad_period_page_says_what_is_wrong(client, login_as, world):
    login_as("admin")
    response = client.get("/tallies/2025-Q9?lang=ru")
    assert response.status_code == 404
    assert "2025-Q9" in text(response) and "2025-Q3" in text(response)
    other = client.get(f"{VIEW}/ZZZ?lang=ru")
    login_as("district")
    hidden = client.get(f"{VIEW}/TMR?lang=ru")
    # Another district's page reads like an unknown one's.
    assert main_text(other).replace("ZZZ", "TMR") == main_text(hidden)
    assert other.status_code == hidden.status_code == 404


def main_text(response):
    html = response.get_data(as_text=True)
    return text(html[html.index("<main"):html.index("</main>")])

