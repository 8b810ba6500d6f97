"""Outreach and setup: checklist_status() for a region's 500 schools against asking it school by school (the N+1
it avoids), and a district's leaflets as one PDF against one PDF per school, on the demo data (SQLite)."""

import random
import uuid
from datetime import date, timedelta

from bench.common import best_of, demo_app, report

SCHOOLS = 500
LEAFLETS = 10


def add_region(rng):
    """Schools up to SCHOOLS, a third with a checklist, half with outreach, in bulk."""
    from models.directory import District, School
    from models.outreach import OutreachActivity
    from models.setup import SchoolSetup

    districts = list(District.select())
    have = School.select().count()
    School.insert_many([dict(district=rng.choice(districts), code=f"B-{n:04d}", name_kk=f"№{n} мектеп",
                             name_ru=f"Школа №{n}") for n in range(have, SCHOOLS)]).execute()
    ids = [s.id for s in School.select(School.id).where(School.code.startswith("B-"))]
    SchoolSetup.insert_many([dict(school=i, order_number="1", order_date=date(2024, 10, 1),
                                  regulation_date=date(2024, 10, 2)) for i in ids[::3]]).execute()
    OutreachActivity.insert_many([dict(school=i, held_on=date(2024, 10, 1) + timedelta(days=rng.randrange(60)),
                                       format="general_meeting", grade_from=1, grade_to=11, language="kk",
                                       parents_reached=50, client_uuid=uuid.uuid4(), client_fingerprint="bench")
                                  for i in ids[::2]]).execute()


def main():
    from db import db
    from models.directory import District, School
    from services import outreach, setup

    app = demo_app()
    with app.test_request_context(), db.connection_context():
        add_region(random.Random(5))
        ids = [s.id for s in School.select(School.id)]
        assert len(ids) >= SCHOOLS
        together = best_of(lambda: setup.checklist_status(ids), repeat=3, number=5)
        one_by_one = best_of(lambda: [setup.checklist_status([i]) for i in ids], repeat=2, number=1)
        report("checklist_status_500_schools_ms", f"{together * 1000:.1f}", "informational")
        report("checklist_status_ratio_to_per_school_queries", f"{together / one_by_one:.3f}", "≤ 0.1")

        district = District.get(District.code == "KRG")
        schools = list(outreach.schools_with_district(School.select().where(School.district == district))
                       .order_by(School.code).limit(LEAFLETS))

        def url(slug):
            return "https://kelisim.example.kz/p/" + slug

        pages = outreach.leaflet_pages(schools, url)
        outreach.leaflet_pdf(pages[:1])  # warm fonts and the stylesheet
        one_document = best_of(lambda: outreach.leaflet_pdf(pages), repeat=3, number=1)
        separate = best_of(lambda: [outreach.leaflet_pdf([page]) for page in pages], repeat=3, number=1)
        report("district_leaflets_ms_per_page", f"{one_document * 1000 / len(schools):.1f}", "informational")
        report("district_leaflets_ratio_to_one_pdf_per_school", f"{one_document / separate:.2f}", "≤ 1.2")


if __name__ == "__main__":
    main()
