"""Certificates: one rendered through the service's own code (from the database to stored PDF bytes) against the
same HTML through bare WeasyPrint (the baseline, same run, warm); and the 300 certificates of one event as one PDF,
rendered in a child process so that its peak resident memory (getrusage ru_maxrss, the whole process) is its own."""

import json
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import date, datetime

from bench.common import best_of, demo_app, report

BATCH = 300
BASE_URL = "https://kelisim.example.kz/"


def batch_event(size):
    """An event with ``size`` participants who attended and hold certificates (bulk inserts: setup, not timed)."""
    from db import db
    from models.directory import School
    from models.training import Attendance, Registration
    from services import certificates, training

    schools = list(School.select())
    event = training.create_event(None, dict(
        title_kk="Мектеп медиациясы: негіздер", title_ru="Школьная медиация: основы", kind="seminar", hours=16,
        venue="Қарағанды", online_url="", organizer_kk="Психологиялық қолдау орталығы",
        organizer_ru="Центр психологической поддержки", capacity=size, registration_opens=date(2025, 9, 1),
        registration_closes=date(2025, 10, 14), min_days=None, status="closed",
        days=[date(2025, 10, 15), date(2025, 10, 16)]))
    now = datetime(2025, 10, 1, 6, 0)
    with db.atomic():
        rows = [dict(event=event.id, token=uuid.uuid4().hex, full_name=f"Қатысушы Әлібекұлы Нұрсұлтан {n}",
                     name_key=f"қатысушы {n}", position="curator", district=schools[n % len(schools)].district_id,
                     school=schools[n % len(schools)].id, phone=f"+7701{n:07d}", consent_at=now, registered_at=now,
                     client_uuid=uuid.uuid4(), client_fingerprint="-") for n in range(size)]
        Registration.insert_many(rows).execute()
        registrations = Registration.select(Registration.id).where(Registration.event == event.id)
        Attendance.insert_many([dict(registration=r.id, day=d.id, at=now, method="roster", client_uuid=uuid.uuid4(),
                                     client_fingerprint="-") for r in registrations for d in event.ordered_days()
                                ]).execute()
    certificates.issue_for_event(None, event)
    return event


def batch_child():
    """Runs in its own process: prints the batch's milliseconds per page and the process's peak memory."""
    from pypdf import PdfReader

    from db import db
    from services import certificates

    app = demo_app()
    with app.test_request_context(), db.connection_context():
        event = batch_event(BATCH)
        certificates.event_pdf(event, BASE_URL)  # warm: fonts, stylesheet, templates
        start, cpu = time.perf_counter(), time.process_time()
        data = certificates.event_pdf(event, BASE_URL)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    import io

    pages = len(PdfReader(io.BytesIO(data)).pages)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"pages": pages, "ms_per_page": seconds * 1000 / pages, "cpu_ms_per_page": cpu * 1000 / pages,
                      "peak_mb": peak}))


def single_certificate():
    """(service seconds, bare seconds, served-again seconds) for one certificate, each warm, best of rounds."""
    import weasyprint

    from db import db
    from models.training import Certificate, CertificatePdf
    from services import certificates, pdf

    app = demo_app()
    with app.test_request_context(), db.connection_context():
        certificate = Certificate.select().where(Certificate.revoked_at.is_null()).order_by(Certificate.id).first()

        def service():
            CertificatePdf.delete().where(CertificatePdf.certificate == certificate.id).execute()
            certificates.certificate_pdf(certificate, BASE_URL)

        # The very HTML the service renders, its stylesheet inlined: all that bare WeasyPrint needs.
        html = pdf.render_html(certificates.TEMPLATE, certificates.certificate_document(certificate, BASE_URL), "kk")
        with open(os.path.join(pdf.STATIC, "css", "pdf", certificates.STYLESHEETS[0]), encoding="utf-8") as fh:
            html = html.replace("</head>", f"<style>{fh.read()}</style></head>", 1)

        def bare():
            weasyprint.HTML(string=html).write_pdf(pdf_variant=certificates.PDF_VARIANT)

        # Bare WeasyPrint given what the service keeps warm (fonts, the parsed stylesheet): what is left is the
        # service's own work (database, words in two languages, QR code, template, digest, storing).
        tuned_html = pdf.render_html(certificates.TEMPLATE, certificates.certificate_document(certificate, BASE_URL),
                                     "kk")

        def tuned():
            weasyprint.HTML(string=tuned_html, url_fetcher=pdf.FETCHER).write_pdf(
                stylesheets=[pdf.stylesheet(certificates.STYLESHEETS[0])], font_config=pdf.FONT_CONFIG,
                pdf_variant=certificates.PDF_VARIANT)

        for fn in (service, bare, tuned):
            fn()
        rounds = dict(repeat=7, number=5)
        service_s, bare_s, tuned_s = best_of(service, **rounds), best_of(bare, **rounds), best_of(tuned, **rounds)
        certificates.certificate_pdf(certificate, BASE_URL)
        again_s = best_of(lambda: certificates.certificate_pdf(certificate, BASE_URL), **rounds)
    return service_s, bare_s, tuned_s, again_s


def main():
    service_s, bare_s, tuned_s, again_s = single_certificate()
    report("certificate_service_ms", f"{service_s * 1000:.1f}", "informational")
    report("certificate_bare_weasyprint_ms", f"{bare_s * 1000:.1f}", "informational")
    report("certificate_ratio_service_to_bare", f"{service_s / bare_s:.2f}", "≤ 1.3")
    report("certificate_ratio_service_to_bare_with_warm_fonts_and_css", f"{service_s / tuned_s:.2f}",
           "informational (the service's own layers)")
    report("certificate_served_again_ms", f"{again_s * 1000:.2f}", "informational (stored PDF, no rendering)")
    child = subprocess.run([sys.executable, "-m", "bench.bench_certificates", "--batch-child"], capture_output=True,
                           text=True, check=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    batch = json.loads(child.stdout.strip().splitlines()[-1])
    assert batch["pages"] == BATCH, batch
    report(f"certificates_batch_{BATCH}_ms_per_page", f"{batch['ms_per_page']:.1f}", "≤ 20")
    report(f"certificates_batch_{BATCH}_cpu_ms_per_page", f"{batch['cpu_ms_per_page']:.1f}",
           "informational (CPU time: what a busy machine's wall clock hides)")
    report(f"certificates_batch_{BATCH}_peak_rss_mb", f"{batch['peak_mb']:.0f}",
           "≤ 400 (ru_maxrss of the rendering process)")


if __name__ == "__main__":
    batch_child() if "--batch-child" in sys.argv else main()
