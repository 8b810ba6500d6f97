"""Finding a training participant (by name or phone) and erasing their personal data on request."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired

from forms import BaseForm, max_length, required


class SearchForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or phone number"), validators=[required(), max_length(100)],
                    description=_l("A part of the name, or the phone number (at least four digits)."),
                    render_kw={"autocomplete": "off", "autocapitalize": "none"})


class ErasureForm(BaseForm):
    reason = TextAreaField(_l("The person's request"), validators=[required(), max_length(500)],
                           description=_l("How and when the person asked, for example “letter of 12.03.2025”. "
                                          "Do not write the name or the phone number here: this stays in the "
                                          "audit trail."))
    confirm = BooleanField(_l("The person asked for this; I understand that it cannot be undone."),
                           validators=[DataRequired(message=_l("Tick the box to confirm the erasure."))])
