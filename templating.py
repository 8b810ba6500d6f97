"""Jinja filters and globals: locale-aware dates and numbers, the language switcher."""

from datetime import date, datetime

from flask import current_app, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def date_pattern():
    return "d MMM yyyy" if str(get_locale()) == "en" else "dd.MM.yyyy"


def fmt_date(value):
    if not value:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, date_pattern())


def fmt_datetime(value):
    if not value:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return fmt_date(value)
    return format_datetime(value, date_pattern() + " HH:mm")


def fmt_number(value):
    return format_decimal(value or 0)


def lang_url(code):
    args = request.args.to_dict(flat=True)
    args["lang"] = code
    if request.endpoint and request.method == "GET":
        try:
            return url_for(request.endpoint, **(request.view_args or {}), **args)
        except Exception:  # an endpoint that cannot be rebuilt: fall back to home
            pass
    return url_for("main.home", lang=code)


def page_url(page):
    args = request.args.to_dict(flat=True)
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def field_attrs(f):
    """ARIA attributes tying a control to its help text and errors."""
    described = []
    attrs = {}
    if f.description:
        described.append(f"{f.id}-help")
    if f.errors:
        described.append(f"{f.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if f.flags.required:
        attrs["aria-required"] = "true"
    return attrs


def init_app(app):
    app.jinja_env.filters.update(date=fmt_date, datetime=fmt_datetime, number=fmt_number)
    app.jinja_env.globals.update(lang_url=lang_url, page_url=page_url, field_attrs=field_attrs,
                                 LANGUAGE_NAMES=LANGUAGE_NAMES, current_locale=lambda: str(get_locale()),
                                 languages=lambda: current_app.config["LANGUAGES"])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
