"""Training forms: the event (region admins), public registration and self check-in (offline-capable),
certificate look-up and revocation. District and school choices are set in set_place_choices()."""

import json
import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.validators import DataRequired, Regexp

from forms import BaseForm, input_required, max_length, number_range, optional, required
from forms.offline import OfflineForm
from models.directory import District, School
from models.training import KIND_LABELS, POSITION_LABELS, STATUS_LABELS
from services.training import MAX_DAYS, normalize_phone

RULE_EVERY_DAY, RULE_MIN_DAYS = "all", "min"
# Up to this many schools in the directory, the registration page carries them all (choosing works offline).
EMBEDDED_SCHOOLS = 1500
DEFAULT_ORGANIZER_KK = "Қарағанды облысы білім басқармасының Психологиялық қолдау орталығы"
DEFAULT_ORGANIZER_RU = "Центр психологической поддержки управления образования Карагандинской области"


def _coerce_int(value):
    """The id chosen, or 0 (nothing chosen) for anything that is not one, a number beyond any id included."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


def _choose(labels):
    return [("", _l("— choose —")), *labels.items()]


class DateListField(StringField):
    """Dates typed as dd.mm.yyyy (or yyyy-mm-dd), separated by commas, spaces or new lines."""

    def process_formdata(self, valuelist):
        self.data = []
        if not valuelist or not valuelist[0].strip():
            return
        days = set()
        for token in re.split(r"[,;\s]+", valuelist[0].strip()):
            try:
                days.add(parse_day(token))
            except ValueError:
                raise ValueError(_l("“%(value)s” is not a date; write dates as dd.mm.yyyy.", value=token)) from None
        self.data = sorted(days)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(d.strftime("%d.%m.%Y") for d in self.data or [])


def parse_day(text):
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if date(2020, 1, 1) <= day <= date(2100, 12, 31):
            return day
    raise ValueError(text)


class EventForm(BaseForm):
    title_kk = StringField(_l("Title in Kazakh"), validators=[required(), max_length(300)])
    title_ru = StringField(_l("Title in Russian"), validators=[required(), max_length(300)])
    kind = SelectField(_l("Kind"), choices=_choose(KIND_LABELS), validators=[required()])
    dates = DateListField(_l("Dates"), validators=[input_required()],
                          description=_l("One or more days as dd.mm.yyyy, separated by commas."))
    hours = IntegerField(_l("Hours"), validators=[input_required(), number_range(1, 500)],
                         description=_l("Academic hours printed on the certificate."))
    venue = StringField(_l("Venue"), validators=[optional(), max_length(300)])
    online_url = URLField(_l("Online link"), validators=[
        optional(), max_length(500),
        Regexp(r"^https?://\S+$", message=_l("Enter an address that starts with http:// or https://."))])
    organizer_kk = StringField(_l("Organizer in Kazakh"), validators=[required(), max_length(300)],
                               default=DEFAULT_ORGANIZER_KK)
    organizer_ru = StringField(_l("Organizer in Russian"), validators=[required(), max_length(300)],
                               default=DEFAULT_ORGANIZER_RU)
    capacity = IntegerField(_l("Places"), validators=[input_required(), number_range(1, 5000)])
    registration_opens = DateField(_l("Registration opens"), validators=[input_required()])
    registration_closes = DateField(_l("Registration closes"), validators=[input_required()])
    rule = SelectField(_l("Certificate for"), default=RULE_EVERY_DAY, choices=[
        (RULE_EVERY_DAY, _l("Attending every day")),
        (RULE_MIN_DAYS, _l("Attending at least the number of days below"))])
    min_days = IntegerField(_l("Days to attend"), validators=[optional(), number_range(1, MAX_DAYS)])
    status = SelectField(_l("Status"), choices=list(STATUS_LABELS.items()), default="draft")

    def validate_dates(self, field):
        if len(field.data) > MAX_DAYS:
            raise ValidationError(_l("An event has at most %(n)s days.", n=MAX_DAYS))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.venue.data and not self.online_url.data:  # both are optional one by one
            self.venue.errors.append(_l("Give the venue, the online link, or both."))
            return False
        return ok

    def validate_registration_closes(self, field):
        opens = self.registration_opens.data
        if opens and field.data and field.data < opens:
            raise ValidationError(_l("Registration cannot close before it opens."))
        if field.data and self.dates.data and field.data > self.dates.data[-1]:
            raise ValidationError(_l("Registration must close by the last day of the event."))

    def validate_min_days(self, field):
        if self.rule.data == RULE_MIN_DAYS:
            if not field.data:
                raise ValidationError(_l("Give the number of days."))
            if self.dates.data and field.data > len(self.dates.data):
                raise ValidationError(_l("The event has only %(n)s days.", n=len(self.dates.data)))

    def event_data(self):
        """The plain data services.training.create_event / update_event take."""
        names = ("title_kk", "title_ru", "kind", "hours", "venue", "online_url", "organizer_kk", "organizer_ru",
                 "capacity", "registration_opens", "registration_closes", "status")
        data = {name: self[name].data for name in names}
        for name in ("venue", "online_url"):  # optional: a field left out of the post is None, stored as ""
            data[name] = data[name] or ""
        data["days"] = self.dates.data
        data["min_days"] = self.min_days.data if self.rule.data == RULE_MIN_DAYS else None
        return data

    def fill(self, event, days):
        """Show an existing event (on GET)."""
        self.process(obj=event)
        self.dates.data = days
        self.rule.data = RULE_EVERY_DAY if event.min_days is None else RULE_MIN_DAYS


def full_name_field(label):
    return StringField(label, validators=[required(), max_length(200)],
                       render_kw={"autocomplete": "name", "autocapitalize": "words"})


def phone_field():
    return TelField(_l("Mobile phone"), validators=[required(), max_length(32)],
                    description=_l("For example +7 701 123 45 67."),
                    render_kw={"autocomplete": "tel", "inputmode": "tel"})


class PersonMixin:
    """Name and phone, as typed and as the service compares them."""

    def validate_full_name(self, field):
        if not re.search(r"[^\W\d_]", field.data or ""):
            raise ValidationError(_l("Write your full name in letters."))

    def validate_phone(self, field):
        if normalize_phone(field.data) is None:
            raise ValidationError(_l("Enter a Kazakhstan phone number, for example +7 701 123 45 67 or 87011234567."))

    @property
    def phone_normalized(self):
        return normalize_phone(self.phone.data)


class RegistrationForm(PersonMixin, OfflineForm):
    kind = "registration"
    title = _l("Registration")
    version = 1

    full_name = full_name_field(_l("Full name"))
    position = SelectField(_l("Position"), choices=_choose(POSITION_LABELS), validators=[required()])
    district = SelectField(_l("District or city"), coerce=_coerce_int, validate_choice=False, validators=[required()])
    show_schools = SubmitField(_l("Show the schools of this district"))
    school = SelectField(_l("School"), coerce=_coerce_int, validate_choice=False, validators=[required()])
    phone = phone_field()
    email = EmailField(_l("Email (optional)"), validators=[
        optional(), max_length(254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an email address like name@example.kz."))],
        render_kw={"autocomplete": "email", "autocapitalize": "none"})
    consent = BooleanField(
        _l("I agree to the processing of my personal data (name, position, school, phone, email) for the "
           "registration, the attendance record and the certificate."),
        validators=[DataRequired(message=_l("Consent is needed to register and to issue your certificate."))])

    def validate_position(self, field):
        if field.data not in POSITION_LABELS:
            raise ValidationError(_l("Choose a position from the list."))

    def validate_district(self, field):
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_l("Choose a district from the list."))

    def validate_school(self, field):
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_l("Choose a school of the district from the list."))

    def registration_data(self):
        return dict(full_name=self.full_name.data, position=self.position.data, district_id=self.district.data,
                    school_id=self.school.data, phone=self.phone_normalized, email=(self.email.data or "").lower())


def district_schools(district_id):
    """[(id, name)] of a district's schools, by name in the reader's language."""
    query = School.select(School.id, School.name_kk, School.name_ru).where(School.district == district_id)
    return sorted(((s.id, s.name) for s in query), key=lambda row: row[1])


def set_place_choices(form, schools_url):
    """Districts, and the schools of the chosen district (none until one is chosen: without JavaScript the
    "show the schools" button brings them). static/js/training.js fills the schools as the district changes, from
    the list kept in the page (a region's schools: choosing works offline) or, for a larger directory, from
    ``schools_url``."""
    district_id = form.district.data or 0
    form.district.choices = [(0, _l("— choose —"))] + [(d.id, d.name) for d in District.select().order_by(District.id)]
    form.school.choices = [(0, _l("— choose —") if district_id else _l("— first choose the district —"))]
    form.school.choices += district_schools(district_id)
    form.school.render_kw = {"data-schools-url": schools_url, "data-empty": str(_l("— choose —"))}
    if School.select().count() <= EMBEDDED_SCHOOLS:
        by_district = {}
        for school in School.select(School.id, School.district, School.name_kk, School.name_ru):
            by_district.setdefault(school.district_id, []).append((school.id, school.name))
        form.school.render_kw["data-schools"] = json.dumps(
            {key: sorted(rows, key=lambda row: row[1]) for key, rows in by_district.items()}, ensure_ascii=False)


class CheckinForm(PersonMixin, OfflineForm):
    kind = "checkin"
    title = _l("Check in")
    version = 1

    full_name = full_name_field(_l("Full name, as when you registered"))
    phone = phone_field()


class LookupForm(PersonMixin, BaseForm):
    full_name = full_name_field(_l("Full name, as when you registered"))
    phone = phone_field()


class RevokeForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[required(), max_length(500)],
                           description=_l("Kept with the certificate; not shown on the public verification page."))
