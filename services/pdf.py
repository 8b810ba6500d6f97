"""The one place that calls WeasyPrint: render_pdf(template, context, locale).

One module-level FontConfiguration and pre-parsed stylesheet; a URL fetcher that serves only files
under static/ (nothing from the network, nothing else from disk); rendering inside force_locale so
that every string and date is in the document's language.
"""

import mimetypes
import os
import threading
from urllib.parse import unquote, urlsplit

from flask import render_template
from flask_babel import force_locale
from weasyprint import CSS, HTML, URLFetcher
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcherResponse

STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "static")
BASE_URL = "kelisim-static:/"
FONT_CONFIG = FontConfiguration()
_css_lock = threading.Lock()
_css_cache = {}


class StaticOnlyFetcher(URLFetcher):
    """Serves kelisim-static:/..., /static/... and data: URLs from static/; refuses everything else."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.scheme not in ("kelisim-static", "file", "") or parts.netloc:
            raise ValueError(f"blocked resource: {url}")
        relative = path.lstrip("/")
        if relative.startswith("static/"):
            relative = relative[len("static/"):]
        full = os.path.realpath(os.path.join(STATIC, relative))
        if not full.startswith(os.path.realpath(STATIC) + os.sep) or not os.path.isfile(full):
            raise ValueError(f"blocked resource: {url}")
        with open(full, "rb") as fh:
            body = fh.read()
        mime = mimetypes.guess_type(full)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})


FETCHER = StaticOnlyFetcher()


def stylesheet(name):
    """A pre-parsed stylesheet from static/css/pdf/, parsed once per process."""
    with _css_lock:
        if name not in _css_cache:
            path = os.path.join(STATIC, "css", "pdf", name)
            _css_cache[name] = CSS(filename=path, font_config=FONT_CONFIG, url_fetcher=FETCHER)
        return _css_cache[name]


def render_html(template, context, locale):
    with force_locale(locale):
        return render_template(template, **context)


def render_pdf(template, context, locale, stylesheets=("base.css",), pdf_variant=None):
    """Bytes of the PDF that ``template`` renders with the plain-dict ``context`` in ``locale``."""
    html = render_html(template, context, locale)
    return html_to_pdf(html, stylesheets, pdf_variant)


def html_to_pdf(html, stylesheets=("base.css",), pdf_variant=None):
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=FETCHER)
    options = {"pdf_variant": pdf_variant} if pdf_variant else {}
    return document.write_pdf(stylesheets=[stylesheet(name) for name in stylesheets], font_config=FONT_CONFIG,
                              **options)
