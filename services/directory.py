"""Schools: creation, edits and the CSV/XLSX import (all or nothing, upsert by code)."""

import csv
import io
import os
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l

from db import db
from forms import iin_checksum_ok
from models.directory import District, School
from services import DomainError, audit


def _check_code_free(code, school_id=None):
    query = School.select().where(School.code == code)
    if school_id:
        query = query.where(School.id != school_id)
    if query.exists():
        raise DomainError(_l("A school with this code already exists."), field="code")


def create_school(actor, district, code, name_kk, name_ru, bin=None):
    _check_code_free(code)
    with db.atomic():
        school = School.create(district=district, code=code, name_kk=name_kk, name_ru=name_ru, bin=bin or None)
        audit.record(actor, "school.created", school)
    return school


def update_school(actor, school, district, code, name_kk, name_ru, bin=None):
    _check_code_free(code, school.id)
    with db.atomic():
        school.district, school.code, school.name_kk, school.name_ru = district, code, name_kk, name_ru
        school.bin = bin or None
        school.updated_at = datetime.utcnow()
        school.save()
        audit.record(actor, "school.updated", school)
    return school


# ---------------------------------------------------------------- import

HEADER_WORDS = {"district", "district_code", "район", "аудан", "code", "код"}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)  # (line number, reason)


def read_rows(path):
    """(line number, list of cells) for each row of a CSV or XLSX file."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".xlsx":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(path, read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds on a broken file
            raise DomainError(_l("The file could not be read as XLSX: %(reason)s", reason=str(exc))) from exc
        return [
            (n, ["" if c is None else str(c).strip() for c in row])
            for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    if ext in (".csv", ".txt"):
        with open(path, "rb") as fh:
            raw = fh.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError(_l("The CSV file must be saved in UTF-8.")) from exc
        dialect = csv.excel
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            pass
        return [(n, [c.strip() for c in row]) for n, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1)]
    raise DomainError(_l("Only .csv and .xlsx files can be imported."))


def validate_rows(rows):
    """Turn raw rows into school records; return (records, errors)."""
    districts = {d.code: d for d in District.select()}
    records, errors, seen = [], [], {}
    for line, cells in rows:
        if not any(cells):
            continue
        if line == 1 and cells[0].strip().lower() in HEADER_WORDS:
            continue
        cells = (cells + [""] * 5)[:5]
        district_code, code, name_kk, name_ru, bin_ = (c.strip() for c in cells)
        problems = []
        if district_code.upper() not in districts:
            problems.append(_l("unknown district code “%(code)s”", code=district_code))
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", code):
            problems.append(_l("the school code must be 1–32 Latin letters, digits, hyphens or underscores"))
        elif code in seen:
            problems.append(_l("school code %(code)s repeats line %(line)s", code=code, line=seen[code]))
        if not name_kk:
            problems.append(_l("the Kazakh name is missing"))
        if not name_ru:
            problems.append(_l("the Russian name is missing"))
        if len(name_kk) > 300 or len(name_ru) > 300:
            problems.append(_l("a name is longer than 300 characters"))
        if bin_ and not iin_checksum_ok(bin_):
            problems.append(_l("the BIN must be 12 digits with a valid check digit"))
        if problems:
            errors.append((line, problems))
            continue
        seen[code] = line
        records.append(dict(district=districts[district_code.upper()], code=code,
                            name_kk=name_kk, name_ru=name_ru, bin=bin_ or None))
    return records, errors


def import_schools(rows, actor=None, progress=None):
    """Validate every row, then write all of them or nothing; returns an ImportReport."""
    records, errors = validate_rows(rows)
    report = ImportReport(errors=errors)
    if errors or not records:
        return report
    existing = {s.code: s for s in School.select().where(School.code.in_([r["code"] for r in records]))}
    now = datetime.utcnow()
    with db.atomic():
        for record in records:
            school = existing.get(record["code"])
            if school is None:
                School.create(created_at=now, updated_at=now, **record)
                report.created += 1
            else:
                for key, value in record.items():
                    setattr(school, key, value)
                school.updated_at = now
                school.save()
                report.updated += 1
            if progress:
                progress(1)
        audit.record(actor, "school.imported", object_type="School", created=report.created, updated=report.updated)
    return report
