"""The case outcome survey (offline-capable when filed, plain when corrected) and the list filters."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, TextAreaField, ValidationError

from forms import BaseForm, input_required, max_length, number_range, optional, required
from forms.offline import OfflineForm
from models.surveys import ADULT_KINDS, CATEGORIES, FOLLOW_UPS, OUTCOMES, PROCEDURES, REFERRALS, STUDENT_BANDS
from services.quarters import recent

EARLIEST = date(2020, 1, 1)
NOTES_MAX = 2000
# Twelve digits in a row, spaces or dashes allowed between them: an IIN.
IIN_LIKE = re.compile(r"(?<!\d)\d(?:[ \t-]?\d){11}(?!\d)")
_UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_LOWER = "a-zа-яёәғқңөұүһі"
# A capitalised word, then a grade 1–11 and a class letter: "Айгерім 7Б", "Ivan 10A", "Марат 5 А".
NAME_AND_CLASS = re.compile(rf"(?<!\w)[{_UPPER}][{_LOWER}]+\s+(?:1[01]|[1-9])\s?[-\"«']?[{_UPPER}{_LOWER}](?!\w)")


def personal_data_problem(text):
    """Why the notes look like they identify a person, or None."""
    if IIN_LIKE.search(text or ""):
        return _l("Remove the 12-digit number: it looks like an IIN, and the survey is anonymous.")
    if NAME_AND_CLASS.search(text or ""):
        return _l("Remove the name and class (like “Айгерім 7Б”): they may identify a child, and the survey is "
                  "anonymous.")
    return None


def no_personal_data(form, field):
    problem = personal_data_problem(field.data)
    if problem:
        raise ValidationError(problem)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def count(label, hi):
    return IntegerField(label, [optional(), number_range(0, hi)], default=0)


def _choose(choices):
    return [("", _l("— choose —")), *choices]


def _not_in_future(field):
    if field.data and field.data > date.today():
        raise ValidationError(_l("The date cannot be in the future."))
    if field.data and field.data < EARLIEST:
        raise ValidationError(_l("Enter a date from %(day)s on.", day=EARLIEST.strftime("%d.%m.%Y")))


class SurveyFields(BaseForm):
    received_on = DateField(_l("Date the case came in"), [input_required()])
    closed_on = DateField(_l("Date the case was closed"), [input_required()],
                          description=_l("The survey counts in the quarter of this date."))
    category = SelectField(_l("Conflict category"), [required()], choices=_choose(CATEGORIES))
    students_1_4 = count(_l("Students of grades 1–4"), 200)
    students_5_9 = count(_l("Students of grades 5–9"), 200)
    students_10_11 = count(_l("Students of grades 10–11"), 200)
    teachers = count(_l("Teachers"), 50)
    parents = count(_l("Parents"), 50)
    administration = count(_l("School administration"), 20)
    other_adults = count(_l("Other adults"), 50)
    referral = SelectField(_l("Who referred the case"), [required()], choices=_choose(REFERRALS))
    procedure = SelectField(_l("Procedure"), [required()], choices=_choose(PROCEDURES))
    student_mediators = BooleanField(_l("Student mediators took part"))
    student_mediator_count = count(_l("How many student mediators"), 20)
    outcome = SelectField(_l("Outcome"), [required()], choices=_choose(OUTCOMES))
    follow_up = RadioField(_l("Did the agreement hold at follow-up?"), [required()], choices=FOLLOW_UPS,
                           default="not_checked")
    follow_up_on = DateField(_l("Date of the follow-up check"), [optional()])
    satisfaction = RadioField(_l("The parties' satisfaction (1 — not at all, 5 — fully)"),
                              [input_required(), number_range(1, 5)], coerce=_int_or_none, validate_choice=False,
                              choices=[(n, str(n)) for n in range(1, 6)])
    notes = TextAreaField(_l("Notes"), [optional(), max_length(NOTES_MAX), no_personal_data],
                          description=_l("Do not write names, IINs, classes next to names, addresses or phone "
                                         "numbers: the survey is anonymous."))

    def validate_received_on(self, field):
        _not_in_future(field)

    def validate_closed_on(self, field):
        _not_in_future(field)
        if field.data and self.received_on.data and field.data < self.received_on.data:
            raise ValidationError(_l("The case cannot close before it came in."))

    def validate_student_mediator_count(self, field):
        if self.student_mediators.data and not field.data:
            raise ValidationError(_l("Enter how many student mediators took part."))
        if not self.student_mediators.data and field.data:
            raise ValidationError(_l("Tick “Student mediators took part”, or leave the number at 0."))

    def validate_follow_up_on(self, field):
        if field.data and self.follow_up.data != "not_checked":
            _not_in_future(field)
            if self.closed_on.data and field.data < self.closed_on.data:
                raise ValidationError(_l("The follow-up cannot come before the case was closed."))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        counts = [self[name].data or 0 for name in STUDENT_BANDS + ADULT_KINDS]
        if not any(self[name].errors for name in STUDENT_BANDS + ADULT_KINDS) and sum(counts) < 2:
            self.students_1_4.errors.append(_l("A conflict has at least two parties: enter how many students and "
                                               "adults took part."))
            ok = False
        if self.follow_up.data in ("yes", "no") and not self.follow_up_on.data and not self.follow_up_on.errors:
            # Checked here: the date is optional (empty is fine) until the follow-up has been made.
            self.follow_up_on.errors.append(_l("Enter the date of the follow-up check."))
            ok = False
        return ok

    def survey_data(self):
        """The plain values the service stores."""
        data = {name: self[name].data for name in SURVEY_FIELDS}
        for name in STUDENT_BANDS + ADULT_KINDS + ("student_mediator_count",):
            data[name] = data[name] or 0
        data["student_mediators"] = bool(data["student_mediators"])
        if data["follow_up"] == "not_checked":
            data["follow_up_on"] = None
        data["notes"] = data["notes"] or ""
        return data


SURVEY_FIELDS = ("received_on", "closed_on", "category", *STUDENT_BANDS, *ADULT_KINDS, "referral", "procedure",
                 "student_mediators", "student_mediator_count", "outcome", "follow_up", "follow_up_on",
                 "satisfaction", "notes")


class SurveyForm(SurveyFields, OfflineForm):
    """Filed by a school curator, often from a phone without a connection."""

    kind = "survey"
    title = _l("Case survey")
    summary = ("category", "closed_on")
    version = 1  # raise it (and say what changed in releases) when a release changes a field: forms/offline.py


class SurveyCorrectionForm(SurveyFields):
    """A correction of a survey already stored (within its quarter)."""


class SurveyFilterForm(BaseForm):
    class Meta:
        csrf = False

    quarter = SelectField(_l("Quarter"), validate_choice=False)
    category = SelectField(_l("Conflict category"), choices=[("", _l("All categories")), *CATEGORIES],
                           validate_choice=False)
    outcome = SelectField(_l("Outcome"), choices=[("", _l("All outcomes")), *OUTCOMES], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quarter.choices = [("", _l("All quarters"))] + [(q.code, q.label) for q in recent(8)]

    def filters(self):
        """Only known values; anything else in the address is ignored."""
        allowed = {name: {value for value, _label in self[name].choices} for name in ("category", "outcome")}
        result = {name: self[name].data for name in ("category", "outcome") if self[name].data in allowed[name]}
        result["quarter"] = self.quarter.data
        return {k: v for k, v in result.items() if v}


def field_labels():
    """Each survey field's label, for the history of corrections."""
    return {name: getattr(SurveyFields, name).args[0] for name in SURVEY_FIELDS}
