"""Outreach activity forms (offline-capable when new) and the parent's confirmation form."""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, TextAreaField, ValidationError
from wtforms.validators import DataRequired

from forms import BaseForm, input_required, max_length, number_range, optional, required
from forms.offline import OfflineForm
from models.outreach import FORMATS
from services.setup import local_today
from templating import fmt_date

# Largest number of parents one activity can reach: a general meeting of the region's largest schools.
MAX_PARENTS_REACHED = 5000
# Outreach before the year of the order is not what the order asks about.
EARLIEST_ACTIVITY = date(2024, 1, 1)

FORMAT_LABELS = {
    "general_meeting": _l("General parent meeting"),
    "class_meetings": _l("Class parent meetings"),
    "messenger": _l("Messenger groups"),
    "website": _l("School website or social media"),
    "leaflet": _l("Printed leaflet"),
    "consultations": _l("Individual consultations"),
    "other": _l("Other"),
}
ACTIVITY_LANGUAGE_LABELS = {"kk": _l("Kazakh"), "ru": _l("Russian"), "kk_ru": _l("Kazakh and Russian")}
GRADE_BAND_LABELS = {"1-4": _l("Grades 1–4"), "5-9": _l("Grades 5–9"), "10-11": _l("Grades 10–11")}
PARENT_LANGUAGE_LABELS = {"kk": "Қазақ тілі", "ru": "Русский язык"}
WOULD_TURN_LABELS = {"yes": _l("Yes"), "no": _l("No"), "unsure": _l("Not sure yet")}


def grade_choices():
    return [(n, str(n)) for n in range(1, 12)]


def past_date(earliest):
    """A validator: the date is neither in the future (in the region's time) nor before ``earliest``."""

    def check(form, field):
        if field.data is None:
            return
        if field.data > local_today():
            raise ValidationError(_("The date cannot be in the future."))
        if field.data < earliest:
            raise ValidationError(_("The date cannot be before %(date)s.", date=fmt_date(earliest)))

    return check


class OutreachFields(BaseForm):
    """What one information activity for parents was; used as is for corrections."""

    held_on = DateField(_l("Date"), validators=[input_required(), past_date(EARLIEST_ACTIVITY)])
    format = SelectField(_l("Format"), choices=[(key, FORMAT_LABELS[key]) for key in FORMATS],
                         validators=[required()], validate_choice=False)
    grade_from = SelectField(_l("From grade"), coerce=int, choices=grade_choices(), default=1,
                             validate_choice=False)
    grade_to = SelectField(_l("To grade"), coerce=int, choices=grade_choices(), default=11, validate_choice=False)
    language = SelectField(_l("Language"), choices=list(ACTIVITY_LANGUAGE_LABELS.items()), validate_choice=False,
                           validators=[required()])
    parents_reached = IntegerField(_l("Parents reached"), validators=[
        input_required(), number_range(1, MAX_PARENTS_REACHED)],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_PARENTS_REACHED})
    description = TextAreaField(_l("Short description"), validators=[optional(), max_length(1000)],
                                description=_l("What was said and by whom; no names of children."))

    def validate_format(self, field):
        if field.data not in FORMAT_LABELS:
            raise ValidationError(_l("Choose a format from the list."))

    def validate_language(self, field):
        if field.data not in ACTIVITY_LANGUAGE_LABELS:
            raise ValidationError(_l("Choose a language from the list."))

    def validate_grade_from(self, field):
        if field.data not in range(1, 12):
            raise ValidationError(_l("Choose a grade from 1 to 11."))

    def validate_grade_to(self, field):
        if field.data not in range(1, 12):
            raise ValidationError(_l("Choose a grade from 1 to 11."))
        if isinstance(self.grade_from.data, int) and field.data < self.grade_from.data:
            raise ValidationError(_l("The last grade cannot be lower than the first."))

    def activity_data(self):
        return {name: self[name].data if name != "description" else (self[name].data or "")
                for name in ("held_on", "format", "grade_from", "grade_to", "language", "parents_reached",
                             "description")}


class OutreachForm(OfflineForm, OutreachFields):
    """A new activity, possibly queued on the phone and sent later exactly once."""

    kind = "outreach"
    title = _l("Outreach activity")
    summary = ("format", "held_on")
    version = 1  # raise it (and say what changed in releases) when a release changes a field: forms/offline.py


class ConfirmationForm(OfflineForm):
    kind = "confirmation"
    title = _l("Parent confirmation")
    version = 1

    informed = BooleanField(_l("I have been informed about the school mediation service"), validators=[
        DataRequired(message=_l("Tick the box to confirm that you have been informed."))])
    grade_band = RadioField(_l("My child's grades (optional)"), choices=list(GRADE_BAND_LABELS.items()),
                            validators=[optional()])
    language = RadioField(_l("The language I prefer (optional)"), choices=list(PARENT_LANGUAGE_LABELS.items()),
                          validators=[optional()])
    would_turn = RadioField(_l("Would you turn to the service if a conflict arose? (optional)"),
                            choices=list(WOULD_TURN_LABELS.items()), validators=[optional()])

    def confirmation_data(self):
        return {name: self[name].data or "" for name in ("grade_band", "language", "would_turn")}
