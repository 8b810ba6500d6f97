"""The flags' thresholds form, the monitoring report's form (its quarter and its texts in kk and ru) and the
confirmation of its publishing."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField, ValidationError
from wtforms.validators import StopValidation

from forms import BaseForm, input_required, max_length, number_range, optional
from models.monitoring import REPORT_TEXTS, THRESHOLDS

MAX_TEXT = 20000


class WholeNumberField(IntegerField):
    """An integer field whose "not a number" message is the project's, in the reader's language."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = int(valuelist[0])
        except (TypeError, ValueError):
            self.data = None
            raise ValueError(_l("Enter a whole number.")) from None


def _in_range(lo, hi):
    """The range check, left out when the value was not a number at all (that message says enough)."""
    check = number_range(lo, hi)

    def validate(form, field):
        if field.process_errors:
            raise StopValidation()
        check(form, field)

    return validate


def _threshold(name, label, description):
    _default, lo, hi = THRESHOLDS[name]
    return WholeNumberField(label, description=description, validators=[input_required(), _in_range(lo, hi)],
                            render_kw={"inputmode": "numeric", "min": lo, "max": hi})


class ThresholdsForm(BaseForm):
    quiet_quarters = _threshold(
        "quiet_quarters", _l("Quarters without a case"),
        _l("A school is flagged when it has filed no case survey for this many quarters in a row (1 to 8)."))
    agreement_drop_points = _threshold(
        "agreement_drop_points", _l("Fall of the agreement share, percentage points"),
        _l("A school is flagged when its share of cases with an agreement falls by more than this against its "
           "previous four quarters (1 to 100)."))
    agreement_min_cases = _threshold(
        "agreement_min_cases", _l("Cases needed for the comparison"),
        _l("The agreement shares are compared only when the school filed at least this many cases in the quarter "
           "and in the four before it (1 to 100)."))

    def values(self):
        return {name: self[name].data for name in THRESHOLDS}


def _text(label):
    return TextAreaField(label, validators=[optional(), max_length(MAX_TEXT)], render_kw={"rows": 8})


class ReportTextsForm(BaseForm):
    findings_kk = _text(_l("Findings, in Kazakh"))
    findings_ru = _text(_l("Findings, in Russian"))
    recommendations_kk = _text(_l("Recommendations, in Kazakh"))
    recommendations_ru = _text(_l("Recommendations, in Russian"))

    def texts(self):
        return {name: self[name].data or "" for name in REPORT_TEXTS}


class NewReportForm(ReportTextsForm):
    quarter = SelectField(_l("Quarter"), choices=[], validate_choice=False, validators=[input_required()])

    def validate_quarter(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a quarter from the list."))


def new_report_form(quarters, taken):
    """The form for a new report, offering the recent quarters that have no report yet."""
    form = NewReportForm()
    form.quarter.choices = [(q.code, q.label) for q in quarters if q.code not in taken]
    # The quarter first, then the texts.
    form._fields.move_to_end("quarter", last=False)
    return form


class PublishForm(BaseForm):
    """Publishing, which can never be undone, is confirmed on a page that names the quarter: the post carries that
    quarter, so a bare "Publish" button (or a post meant for another report) publishes nothing."""

    quarter = HiddenField()

    def __init__(self, report, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        if not self.is_submitted():
            self.quarter.data = report.quarter

    def validate_quarter(self, field):
        if field.data != self.report.quarter:
            raise ValidationError(_l("Confirm publishing on this page: it names the quarter the report is for."))
