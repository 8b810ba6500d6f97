"""Certificates: the event's attendance rule, issue with numbers unique across the system, revocation, the
bilingual PDF (stored, and served again while what it prints is unchanged), public verification."""

import hashlib
import json
import os
import secrets
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError, fn

from db import db
from models.training import (
    KIND_TRAINING,
    KIND_WEBINAR,
    Attendance,
    Certificate,
    CertificatePdf,
    EventDay,
    Registration,
    TrainingEvent,
)
from services import DomainError, audit
from services.pdf import STATIC, render_pdf

TEMPLATE = "pdf/certificate.html"
STYLESHEETS = ("certificate.css",)
# PDF/A-3u: archival, with every character mapped to Unicode (text extraction, screen readers).
PDF_VARIANT = "pdf/a-3u"
# A code as made by secrets.token_urlsafe(16); anything else is not looked up.
CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# ---------------------------------------------------------------- who gets one


def required_days(event, n_days):
    return n_days if event.min_days is None else min(event.min_days, n_days)


def day_count(event):
    return EventDay.select().where(EventDay.event == event.id).count()


def is_eligible(registration):
    n_days = day_count(registration.event)
    attended = Attendance.select().where(Attendance.registration == registration.id).count()
    return n_days > 0 and attended >= required_days(registration.event, n_days)


def valid_certificate(registration):
    return Certificate.get_or_none(Certificate.registration == registration.id, Certificate.revoked_at.is_null())


def issue(registration, actor=None):
    """The registration's certificate, made now if it has none. The number is the event's code and the next
    sequence of the event; the UNIQUE constraints settle two issues at the same moment (retried)."""
    event = registration.event
    for _attempt in range(5):
        existing = Certificate.get_or_none(Certificate.registration == registration.id)
        if existing is not None:
            return existing
        seq = (Certificate.select(fn.MAX(Certificate.seq)).where(Certificate.event == event.id).scalar() or 0) + 1
        try:
            with db.atomic():
                certificate = Certificate.create(
                    registration=registration, event=event, seq=seq, number=f"{event.code}-{seq:04d}",
                    code=secrets.token_urlsafe(16), holder_name=registration.full_name, issued_by=actor)
                audit.record(actor, "training.certificate_issued", certificate, number=certificate.number)
                return certificate
        except IntegrityError:
            continue
    raise DomainError(_l("The certificate could not be issued. Try again."))


def issue_if_eligible(registration, actor=None):
    if is_eligible(registration):
        return issue(registration, actor)
    return None


def issue_for_event(actor, event):
    """Certificates for every participant who meets the rule and has none; returns how many were issued."""
    n_days = day_count(event)
    if not n_days:
        return 0
    has_one = Certificate.select(Certificate.registration)
    eligible = (Registration.select(Registration, TrainingEvent).join(TrainingEvent).switch(Registration)
                .join(Attendance).where(Registration.event == event.id, Registration.id.not_in(has_one))
                .group_by(Registration.id, TrainingEvent.id)
                .having(fn.COUNT(Attendance.id) >= required_days(event, n_days))
                .order_by(Registration.registered_at, Registration.id))
    issued = 0
    with db.atomic():
        for registration in eligible:
            issue(registration, actor)
            issued += 1
    return issued


def revoke(actor, certificate, reason, now=None):
    if certificate.revoked_at is not None:
        raise DomainError(_l("This certificate has already been revoked."))
    with db.atomic():
        certificate.revoked_at = now or datetime.utcnow()
        certificate.revoked_reason = reason
        certificate.revoked_by = actor
        certificate.save()
        # A revoked certificate is never served again: its stored PDF goes.
        CertificatePdf.delete().where(CertificatePdf.certificate == certificate.id).execute()
        audit.record(actor, "training.certificate_revoked", certificate, number=certificate.number, reason=reason)
    return certificate


# ---------------------------------------------------------------- the PDF


def verify_url(base_url, code):
    return base_url.rstrip("/") + "/verify/" + code


def dates_text(days):
    """"15.10.2024 – 16.10.2024" for consecutive days, else the days separated by commas."""
    if not days:
        return ""
    labels = [d.strftime("%d.%m.%Y") for d in days]
    consecutive = all((b - a).days == 1 for a, b in zip(days, days[1:], strict=False))
    if len(days) > 1 and consecutive:
        return f"{labels[0]} – {labels[-1]}"
    return ", ".join(labels)


def _event_texts(kind, title, organizer, dates, hours):
    """The certificate's words in the current language (called once under each of kk and ru)."""
    if kind == KIND_TRAINING:
        reason = _("for taking part in the training «%(title)s»", title=title)
    elif kind == KIND_WEBINAR:
        reason = _("for taking part in the webinar «%(title)s»", title=title)
    else:
        reason = _("for taking part in the seminar «%(title)s»", title=title)
    return {
        "heading": _("Certificate"),
        "reason": reason,
        "organizer": organizer,
        "dates": _("Dates: %(dates)s", dates=dates),
        "hours": _("Volume: %(hours)s academic hours", hours=hours),
        "issued": _("Issued on"),
        "director": _("Director"),
        "trainer": _("Trainer"),
        "verify": _("Scan the code to check that the certificate is genuine"),
    }


def event_texts(event, days):
    """{"kk": {...}, "ru": {...}}: a certificate carries both languages on one page."""
    dates = dates_text([d.day for d in days])
    texts = {}
    for lang in ("kk", "ru"):
        with force_locale(lang):
            texts[lang] = _event_texts(event.kind, getattr(event, f"title_{lang}"),
                                       getattr(event, f"organizer_{lang}"), dates, event.hours)
    return texts


def _page(certificate, base_url):
    return {"number": certificate.number, "holder": certificate.holder_name,
            "issued": certificate.issued_at.strftime("%d.%m.%Y"), "url": verify_url(base_url, certificate.code)}


def document(texts, pages, title):
    """The context of one PDF with one page per certificate (a single document renders far faster than PDFs
    merged page by page)."""
    return {"title": title, "texts": texts, "pages": [dict(page, qr=qr_image(page["url"])) for page in pages]}


def render(context):
    return render_pdf(TEMPLATE, context, "kk", stylesheets=STYLESHEETS, pdf_variant=PDF_VARIANT)


def qr_image(url):
    """The QR code as a PNG data URI, one pixel per module, drawn sharp by image-rendering: pixelated.

    Not services.qr.data_uri: WeasyPrint parses an SVG QR code's path in about 40 ms, a PNG in well under one,
    which decides whether 300 certificates render in seconds or in half a minute."""
    import segno

    return segno.make(url, error="m").png_data_uri(scale=1, border=4)


_design_digest = None


def _design():
    """A digest of the template and stylesheet: editing them re-renders stored certificates."""
    global _design_digest
    if _design_digest is None:
        digest = hashlib.sha256(PDF_VARIANT.encode())
        root = os.path.dirname(STATIC)
        for path in (os.path.join(root, "templates", TEMPLATE), os.path.join(STATIC, "css", "pdf", STYLESHEETS[0])):
            with open(path, "rb") as fh:
                digest.update(fh.read())
        _design_digest = digest.hexdigest()
    return _design_digest


def content_hash(texts, page):
    canonical = json.dumps({"texts": texts, "page": page, "design": _design()}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _single(certificate, base_url):
    texts, page = event_texts(certificate.event, certificate.event.ordered_days()), _page(certificate, base_url)
    return texts, page, f"{texts['kk']['heading']} {certificate.number}"


def certificate_document(certificate, base_url):
    """The context the service renders for one certificate (the benchmark renders it bare, too)."""
    texts, page, title = _single(certificate, base_url)
    return document(texts, [page], title)


def certificate_pdf(certificate, base_url):
    """The certificate's PDF: the stored one while what it prints is unchanged, else rendered and stored."""
    if certificate.revoked_at is not None:
        raise DomainError(_l("This certificate has been revoked."))
    if not certificate.holder_name:
        raise DomainError(_l("The holder's personal data has been erased: the certificate can no longer be printed."))
    texts, page, title = _single(certificate, base_url)
    digest = content_hash(texts, page)
    stored = CertificatePdf.get_or_none(CertificatePdf.certificate == certificate.id)
    if stored is not None and stored.content_hash == digest:
        return bytes(stored.data)
    data = render(document(texts, [page], title))
    with db.atomic():
        CertificatePdf.delete().where(CertificatePdf.certificate == certificate.id).execute()
        CertificatePdf.create(certificate=certificate, content_hash=digest, data=data)
    return data


def event_certificates(event):
    """The certificates to print: valid, and whose holder's name was not erased."""
    return list(Certificate.select().where(Certificate.event == event.id, Certificate.revoked_at.is_null(),
                                           Certificate.holder_name != "").order_by(Certificate.seq))


def event_pdf(event, base_url):
    """Every valid certificate of the event in one PDF, one page each, in number order."""
    certificates = event_certificates(event)
    if not certificates:
        raise DomainError(_l("This event has no certificates yet."))
    texts = event_texts(event, event.ordered_days())
    return render(document(texts, [_page(c, base_url) for c in certificates], f"{event.code} — {event.title_kk}"))


# ---------------------------------------------------------------- verification and look-up


def verify(code, now=None):
    """The certificate with this verification code, counted as looked up; None for anything unknown."""
    code = code or ""
    if not 16 <= len(code) <= 32 or not set(code) <= CODE_CHARS:
        return None
    certificate = (Certificate.select(Certificate, TrainingEvent).join(TrainingEvent)
                   .where(Certificate.code == code).first())
    if certificate is None:
        return None
    (Certificate.update(verify_count=Certificate.verify_count + 1, last_verified_at=now or datetime.utcnow())
     .where(Certificate.id == certificate.id).execute())
    return certificate

