"""Shared services: PDF rendering, QR codes, quarters, idempotent submissions."""

import io
import uuid
from datetime import date

import pytest
from pypdf import PdfReader

from services import offline, pdf, qr
from services.quarters import Quarter, recent


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_render_pdf_in_kazakh_with_every_letter(app, tmp_path):
    app.jinja_loader.searchpath.append(str(tmp_path))
    (tmp_path / "probe.html").write_text(
        '{% extends "pdf/_base.html" %}{% block content %}<h1>{{ title }}</h1><p>{{ _("Sign in") }}</p>'
        '<img src="{{ qr }}" alt=""><img src="https://example.com/x.png" alt="">'
        '<img src="/static/../config.py" alt="">{% endblock %}', encoding="utf-8")
    with app.test_request_context():
        data = pdf.render_pdf("probe.html", {"title": "Әә Ғғ Ққ Ңң Өө Ұұ Үү Һһ Іі", "qr": qr.data_uri("x")}, "kk")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Әә Ғғ Ққ Ңң Өө Ұұ Үү Һһ Іі" in text
    assert "Кіру" in text


def test_fetcher_serves_only_static():
    fetcher = pdf.StaticOnlyFetcher()
    assert fetcher.fetch("kelisim-static:/css/pdf/base.css").status == 200
    for url in ("https://example.com/a.css", "file:///etc/passwd", "kelisim-static:/../config.py"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_qr_svg():
    assert qr.svg("https://kelisim.kz/v/abc").startswith("<svg")
    assert qr.data_uri("x").startswith("data:image/svg+xml")


@pytest.mark.parametrize("day, code", [(date(2025, 1, 1), "2025-Q1"), (date(2025, 3, 31), "2025-Q1"),
                                       (date(2025, 4, 1), "2025-Q2"), (date(2025, 12, 31), "2025-Q4")])
def test_quarter_of(day, code):
    assert Quarter.of(day).code == code


def test_quarter_bounds_and_navigation():
    q = Quarter.parse("2024-Q4")
    assert (q.start, q.end) == (date(2024, 10, 1), date(2024, 12, 31))
    assert q.next().code == "2025-Q1" and q.previous().code == "2024-Q3"
    assert Quarter.parse("2024-Q5") is None and Quarter.parse("x") is None and Quarter.parse(None) is None
    assert [x.code for x in recent(3, date(2025, 2, 1))] == ["2025-Q1", "2024-Q4", "2024-Q3"]
    assert q.has_ended(date(2025, 1, 1)) and not q.has_ended(date(2024, 12, 31))


def test_parse_uuid_accepts_only_v4():
    good = str(uuid.uuid4())
    assert offline.parse_uuid(good) is not None
    assert offline.parse_uuid(str(uuid.uuid1())) is None
    assert offline.parse_uuid("not-a-uuid") is None
    assert offline.parse_uuid(good.upper()) == uuid.UUID(good)
    assert offline.parse_uuid(good.replace("-", "")) is None


def test_fingerprint_is_stable_and_sensitive():
    a = offline.fingerprint({"b": 1, "a": date(2025, 1, 2)})
    assert a == offline.fingerprint({"a": date(2025, 1, 2), "b": 1})
    assert a != offline.fingerprint({"a": date(2025, 1, 3), "b": 1})


def test_rate_limit_window(app):
    from datetime import datetime, timedelta

    from services import ratelimit

    key = ratelimit.address_key("10.0.0.1")
    start = datetime(2026, 1, 1, 12, 0)
    assert all(ratelimit.allow("t", key, 3, 60, now=start) for _ in range(3))
    assert not ratelimit.allow("t", key, 3, 60, now=start + timedelta(seconds=30))
    assert ratelimit.allow("t", "other", 3, 60, now=start)
    assert ratelimit.allow("t", key, 3, 60, now=start + timedelta(seconds=61))
