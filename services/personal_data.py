"""Personal data of training participants (name, phone, email, consent): a region admin finds a person, exports
everything stored about them, and erases it on request. An erased certificate stays issued and verifiable, without
the name; the registration keeps its event, district, school, position and attendance, so tallies do not change."""

import re
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from db import db
from models.audit import AuditEvent
from models.auth import User
from models.directory import District, School
from models.training import Attendance, Certificate, CertificatePdf, EventDay, Registration, TrainingEvent
from services import DomainError, audit
from services.exports import csv_bytes
from services.training import name_key, normalize_phone, same_person

# What an erased registration holds instead of the name; its phone becomes "erased-<id>" (one phone per event).
ERASED_NAME = "—"
ERASED_PHONE_PREFIX = "erased-"
# Rows a search shows: enough to find a person, too few to list the participants wholesale.
SEARCH_LIMIT = 50
# Digits typed that search inside phone numbers (fewer would match almost every participant).
MIN_PHONE_DIGITS = 4


def is_erased(registration):
    return registration.phone.startswith(ERASED_PHONE_PREFIX)


def _with_event_and_school():
    return (Registration.select(Registration, TrainingEvent, School, District).join(TrainingEvent)
            .switch(Registration).join(School).switch(Registration).join(District))


def search(needle):
    """Registrations whose name holds the words typed, or whose phone is (or contains) the number typed; the
    newest events first, at most SEARCH_LIMIT."""
    needle = (needle or "").strip()[:100]
    phone = normalize_phone(needle)
    digits = re.sub(r"\D", "", needle)
    query = _with_event_and_school()
    if phone:
        query = query.where(Registration.phone == phone)
    elif len(digits) >= MIN_PHONE_DIGITS and not re.search(r"[^\W\d_]", needle):
        query = query.where(Registration.phone.contains(digits))
    elif name_key(needle):
        query = query.where(Registration.name_key.contains(name_key(needle)))
    else:
        return []
    return list(query.order_by(TrainingEvent.first_day.desc(), Registration.id.desc()).limit(SEARCH_LIMIT))


def person_registrations(registration):
    """Every registration of the person behind ``registration``: the same phone and the same name (as the public
    certificate search matches a person), newest first. An erased one stands alone."""
    if is_erased(registration):
        return [registration]
    same_phone = _with_event_and_school().where(Registration.phone == registration.phone)
    found = [r for r in same_phone if same_person(r.name_key, registration.name_key)]
    return sorted(found, key=lambda r: (r.event.first_day, r.id), reverse=True)


def erased_at(registration):
    """When the registration was erased (from the audit trail), or None."""
    return (AuditEvent.select(fn.MAX(AuditEvent.at))
            .where(AuditEvent.action == "personal_data.erased", AuditEvent.object_type == "Registration",
                   AuditEvent.object_id == str(registration.id)).scalar())


# ---------------------------------------------------------------- export


def _iso(value):
    return value.isoformat() if value else None


def _place(record):
    return {"code": record.code, "name_kk": record.name_kk, "name_ru": record.name_ru}


def _history(registration, certificate):
    """Audit entries about the registration, its attendance and its certificate (who did what, when)."""
    attended = [str(a.id) for a in registration.attendance]
    subjects = ((AuditEvent.object_type == "Registration") & (AuditEvent.object_id == str(registration.id))) | (
        (AuditEvent.object_type == "Attendance") & AuditEvent.object_id.in_(attended or ["-"]))
    if certificate is not None:
        subjects |= (AuditEvent.object_type == "Certificate") & (AuditEvent.object_id == str(certificate.id))
    query = (AuditEvent.select(AuditEvent, User).join(User, join_type=JOIN.LEFT_OUTER, on=(AuditEvent.actor == User.id))
             .where(subjects).order_by(AuditEvent.at, AuditEvent.id))
    return [{"at_utc": _iso(e.at), "action": e.action, "by": e.actor.username if e.actor_id else None}
            for e in query]


def _record(registration):
    certificate = Certificate.get_or_none(Certificate.registration == registration.id)
    attendance = (Attendance.select(Attendance, EventDay).join(EventDay)
                  .where(Attendance.registration == registration.id).order_by(EventDay.day))
    event = registration.event
    return {
        "event": {"code": event.code, "title_kk": event.title_kk, "title_ru": event.title_ru, "kind": event.kind,
                  "days": [_iso(d.day) for d in event.ordered_days()], "hours": event.hours},
        "full_name": registration.full_name,
        "position": registration.position,
        "district": _place(registration.district),
        "school": _place(registration.school),
        "phone": registration.phone,
        "email": registration.email,
        "consent_at_utc": _iso(registration.consent_at),
        "registered_at_utc": _iso(registration.registered_at),
        "private_link_token": registration.token,
        "attendance": [{"day": _iso(a.day.day), "at_utc": _iso(a.at), "method": a.method} for a in attendance],
        "certificate": None if certificate is None else {
            "number": certificate.number, "holder_name": certificate.holder_name,
            "issued_at_utc": _iso(certificate.issued_at), "revoked_at_utc": _iso(certificate.revoked_at),
            "revoked_reason": certificate.revoked_reason, "verification_code": certificate.code,
            "times_verified": certificate.verify_count, "last_verified_at_utc": _iso(certificate.last_verified_at)},
        "history": _history(registration, certificate),
    }


def export(actor, registration, fmt, now=None):
    """Everything stored about the person behind ``registration``: a dict (JSON) or CSV bytes; recorded in the
    audit trail."""
    registrations = person_registrations(registration)
    records = [_record(r) for r in registrations]
    audit.record(actor, "personal_data.exported", registration, format=fmt,
                 registrations=[r.id for r in registrations])
    if fmt == "csv":
        header, rows = csv_table(records)
        return csv_bytes([header, *rows])
    return {"exported_at_utc": _iso(now or datetime.utcnow()), "about": "Kelisim: training registrations",
            "registrations": records}


def csv_table(records):
    """(header, rows): one row per registration, attendance and certificate flattened."""
    header = [str(h) for h in (
        _l("Event"), _l("Event title"), _l("Dates"), _l("Full name"), _l("Position"), _l("District or city"),
        _l("School"), _l("Phone"), _l("Email"), _l("Consent given (UTC)"), _l("Registered (UTC)"),
        _l("Days attended"), _l("Certificate"), _l("Issued (UTC)"), _l("Revoked (UTC)"))]
    rows = []
    for r in records:
        certificate = r["certificate"] or {}
        rows.append([r["event"]["code"], r["event"]["title_kk"], " ".join(r["event"]["days"]), r["full_name"],
                     r["position"], r["district"]["code"], r["school"]["code"], r["phone"], r["email"],
                     r["consent_at_utc"], r["registered_at_utc"], " ".join(a["day"] for a in r["attendance"]),
                     certificate.get("number", ""), certificate.get("issued_at_utc") or "",
                     certificate.get("revoked_at_utc") or ""])
    return header, rows


# ---------------------------------------------------------------- erasure


def erase(actor, registration, reason):
    """Erase the name, phone and email of the person behind ``registration`` from every registration of theirs,
    and the name from their certificates (which stay issued; their stored PDFs go). Returns how many
    registrations were erased."""
    registrations = [r for r in person_registrations(registration) if not is_erased(r)]
    if not registrations:
        raise DomainError(_l("This person's data has already been erased."))
    ids = [r.id for r in registrations]
    with db.atomic():
        for r in registrations:
            (Registration.update(full_name=ERASED_NAME, name_key="", phone=f"{ERASED_PHONE_PREFIX}{r.id}", email="",
                                 token=secrets.token_urlsafe(16), client_fingerprint="-")
             .where(Registration.id == r.id).execute())
            audit.record(actor, "personal_data.erased", r, reason=reason)
        # Fingerprints are digests of what was sent, names and phones included.
        Attendance.update(client_fingerprint="-").where(Attendance.registration.in_(ids)).execute()
        certificates = Certificate.select(Certificate.id).where(Certificate.registration.in_(ids))
        CertificatePdf.delete().where(CertificatePdf.certificate.in_(certificates)).execute()
        Certificate.update(holder_name="").where(Certificate.registration.in_(ids)).execute()
    return len(ids)
