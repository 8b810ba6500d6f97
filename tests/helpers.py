"""Small helpers for assertions on HTML answers."""

import re
from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(response_or_html):
    html = response_or_html if isinstance(response_or_html, str) else response_or_html.get_data(as_text=True)
    collector = _Collector()
    collector.feed(html)
    return collector


def text(response):
    return re.sub(r"\s+", " ", " ".join(parse(response).text))


def field_error(response, field_id):
    """The error text shown under a field, or None."""
    html = response.get_data(as_text=True)
    match = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else None


def input_value(response, name):
    for tag, attrs in parse(response).tags:
        if tag in ("input", "textarea") and attrs.get("name") == name:
            return attrs.get("value")
    return None


def simulate_survey_release(monkeypatch, rename=True):
    """A release of the survey form while items wait: version 2 removes the "bullying" category (items that chose
    it no longer fit) and, with ``rename``, renames the notes to "remarks" (their values move along; the template is
    not changed, so only the answers of the service show the new name)."""
    from wtforms import SelectField, TextAreaField

    from forms.offline import Release
    from forms.surveys import SurveyForm, _choose
    from models.surveys import CATEGORIES

    monkeypatch.setattr(SurveyForm, "version", 2)
    monkeypatch.setattr(SurveyForm, "releases", {2: Release(changed=("category",),
                                                            renamed={"notes": "remarks"} if rename else {})})
    monkeypatch.setattr(SurveyForm, "category", SelectField(
        SurveyForm.category.args[0], [], choices=_choose([c for c in CATEGORIES if c[0] != "bullying"])))
    if rename:
        monkeypatch.setattr(SurveyForm, "remarks", TextAreaField("Ескертпе"), raising=False)
        original = SurveyForm.survey_data
        monkeypatch.setattr(SurveyForm, "survey_data",
                            lambda self: {**original(self), "notes": self.remarks.data or ""})
