"""The school's setup checklist form and the region's deadline form."""

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, ValidationError
from wtforms.validators import Regexp

from forms import BaseForm, input_required, max_length, optional, required
from forms.offline import DraftForm
from forms.outreach import past_date
from models.setup import COUNCIL_KINDS, ITEMS
from services.setup import ITEM_LABELS, SETUP_FIELDS

# Mediation services existed in some schools long before the order of 2024.
EARLIEST_SETUP = date(2010, 1, 1)

YES_NO = {"": "—", "yes": _l("Yes"), "no": _l("No")}
COUNCIL_LABELS = {"pedagogical_council": _l("Pedagogical council"), "directors_meeting": _l("Director's meeting")}
PHONE = r"^\+?[0-9][0-9 ()\-]{8,22}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
WEB_ADDRESS = r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$"


def _setup_date(label, description=None):
    return DateField(label, validators=[optional(), past_date(EARLIEST_SETUP)], description=description)


class SetupForm(DraftForm):
    draft = "setup"  # what is typed is kept on the device until saved (forms/offline.py)

    order_number = StringField(_l("Number of the school order that created the service"),
                               validators=[optional(), max_length(64)])
    order_date = _setup_date(_l("Date of the order"))
    regulation_date = _setup_date(_l("Date the regulation of the service was approved"))
    regulation_from_model = SelectField(_l("Is the regulation based on the region's model regulation?"),
                                        choices=list(YES_NO.items()), validate_choice=False)
    council_kind = SelectField(_l("Considered by"),
                               choices=[("", "—"), *((k, COUNCIL_LABELS[k]) for k in COUNCIL_KINDS)],
                               validate_choice=False)
    council_date = _setup_date(_l("Date of the council or meeting"))
    curator_name = StringField(_l("Curator's full name"), validators=[optional(), max_length(200)])
    curator_position = StringField(_l("Curator's position"), validators=[optional(), max_length(200)],
                                   description=_l("For example: deputy director for educational work, psychologist."))
    curator_phone = StringField(_l("Curator's phone for parents"), validators=[
        optional(), max_length(32), Regexp(PHONE, message=_l("Enter a phone number, for example +7 701 234 56 78."))],
        render_kw={"inputmode": "tel", "autocomplete": "off"})
    curator_email = StringField(_l("Curator's email for parents"), validators=[
        optional(), max_length(254), Regexp(EMAIL, message=_l("Enter an email address, for example name@school.kz."))],
        render_kw={"inputmode": "email", "autocomplete": "off"})
    curator_public = BooleanField(_l("The curator agrees that their name, position and contact are shown to parents "
                                     "on the school's confirmation page and leaflet"))
    website_url = StringField(_l("Address of the page about the service on the school's website"), validators=[
        optional(), max_length(500),
        Regexp(WEB_ADDRESS, message=_l("Enter a web address starting with http:// or https://."))],
        render_kw={"inputmode": "url", "placeholder": "https://"})

    def validate_regulation_from_model(self, field):
        if field.data not in YES_NO:
            raise ValidationError(_l("Choose an answer from the list."))

    def validate_council_kind(self, field):
        if field.data and field.data not in COUNCIL_LABELS:
            raise ValidationError(_l("Choose an answer from the list."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # (filled field, field it needs, message): optional fields skip their inline validators when empty.
        needs = [
            (self.order_number, self.order_date, _l("Enter the date of the order.")),
            (self.order_date, self.order_number, _l("Enter the number of the order.")),
            (self.council_kind, self.council_date, _l("Enter the date of the council or meeting.")),
            (self.council_date, self.council_kind, _l("Choose the pedagogical council or the director's meeting.")),
            (self.curator_name, self.curator_position, _l("Enter the curator's position.")),
        ]
        for given, needed, message in needs:
            if given.data and not needed.data and not needed.errors:
                needed.errors.append(message)
                valid = False
        contact = self.curator_phone.data or self.curator_email.data
        if self.curator_public.data and not (self.curator_name.data and contact):
            self.curator_public.errors.append(
                _l("To show the curator to parents, enter the name and a phone or an email."))
            valid = False
        return valid

    @classmethod
    def initial(cls, setup):
        """The form's values for a checklist row (or an empty form for None)."""
        if setup is None:
            return {}
        data = {name: getattr(setup, name) for name in SETUP_FIELDS}
        data["regulation_from_model"] = {True: "yes", False: "no"}.get(setup.regulation_from_model, "")
        return data

    def setup_data(self):
        data = {name: self[name].data for name in SETUP_FIELDS}
        for name in ("order_number", "council_kind", "curator_name", "curator_position", "curator_phone",
                     "curator_email", "website_url"):
            data[name] = data[name] or ""
        data["regulation_from_model"] = {"yes": True, "no": False}.get(data["regulation_from_model"])
        data["curator_public"] = bool(data["curator_public"])
        return data


class DeadlineForm(BaseForm):
    item = SelectField(_l("Checklist item"), choices=[(key, ITEM_LABELS[key]) for key in ITEMS],
                       validators=[required()], validate_choice=False)
    due_on = DateField(_l("Due date"), validators=[input_required()])
    title_kk = StringField(_l("Title in Kazakh"), validators=[required(), max_length(300)])
    title_ru = StringField(_l("Title in Russian"), validators=[required(), max_length(300)])

    def validate_item(self, field):
        if field.data not in ITEM_LABELS:
            raise ValidationError(_l("Choose a checklist item from the list."))

    def validate_due_on(self, field):
        if field.data and not date(2020, 1, 1) <= field.data <= date(2100, 12, 31):
            raise ValidationError(_l("Enter a date between 2020 and 2100."))
