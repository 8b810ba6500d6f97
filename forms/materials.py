"""Forms of the materials library: a material's details, its file, a new version; event choices in set_choices()."""

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField, ValidationError

from forms import BaseForm, max_length, optional, required
from models.materials import (
    FILE_LANGUAGES,
    KIND_MODEL_REGULATION,
    KIND_OTHER,
    KIND_RECOMMENDATION,
    KIND_TEMPLATE,
    KIND_TRAINING,
    KINDS,
    size_label,
)
from services import DomainError
from services.materials import ACCEPT, check_file, clean_filename, event_choices, max_bytes

KIND_LABELS = {
    KIND_MODEL_REGULATION: _l("Model regulation"),
    KIND_RECOMMENDATION: _l("Methodological recommendation"),
    KIND_TRAINING: _l("Training material"),
    KIND_TEMPLATE: _l("Template"),
    KIND_OTHER: _l("Other"),
}

FILE_LANGUAGE_LABELS = {
    "kk": _l("Kazakh"),
    "ru": _l("Russian"),
    "en": _l("English"),
    "kk+ru": _l("Kazakh and Russian"),
}


def _coerce_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def in_choices(form, field):
    if field.data not in {value for value, _label in field.choices}:
        raise ValidationError(_l("Choose a value from the list."))


class MaterialForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in KINDS], validate_choice=False,
                       validators=[required(), in_choices])
    title_kk = StringField(_l("Title in Kazakh"), validators=[required(), max_length(300)])
    title_ru = StringField(_l("Title in Russian"), validators=[required(), max_length(300)])
    description_kk = TextAreaField(_l("Short description in Kazakh"), validators=[optional(), max_length(2000)])
    description_ru = TextAreaField(_l("Short description in Russian"), validators=[optional(), max_length(2000)])
    file_language = SelectField(_l("Language of the file"),
                                choices=[(code, FILE_LANGUAGE_LABELS[code]) for code in FILE_LANGUAGES],
                                validate_choice=False, validators=[required(), in_choices])
    event = SelectField(_l("Training event (optional)"), coerce=_coerce_int, validate_choice=False,
                        validators=[in_choices])

    def details(self):
        """The material's fields as plain data for the service."""
        data = {name: getattr(self, name).data or "" for name in
                ("kind", "title_kk", "title_ru", "description_kk", "description_ru", "file_language")}
        data["event_id"] = (self.event.data or None) if "event" in self else None
        return data


class UploadForm(BaseForm):
    """A file checked by its content (services.materials.check_file); the bytes are read once, here."""

    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload."))],
                     description=LazyString(lambda: gettext("PDF, DOCX, XLSX, PPTX, PNG or JPEG; at most %(limit)s.",
                                                             limit=size_label(max_bytes()))),
                     render_kw={"accept": ACCEPT})

    def validate_file(self, field):
        filename = clean_filename(field.data.filename)
        data = field.data.stream.read(max_bytes() + 1)  # enough to tell "too large"
        try:
            check_file(filename, data)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        self.upload = (filename, data)


class NewMaterialForm(MaterialForm, UploadForm):
    pass


class VersionForm(UploadForm):
    pass


class FilterForm(BaseForm):
    """The library's filter (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), validate_choice=False, validators=[optional(), in_choices],
                       choices=[("", _l("All kinds"))] + [(k, KIND_LABELS[k]) for k in KINDS
                                                            if k != KIND_MODEL_REGULATION])


def set_choices(form):
    """Training events to link a material to, when the training feature is installed; else no event field."""
    if "event" not in form:
        return
    events = event_choices()
    if events is None:
        del form.event
    else:
        form.event.choices = [(0, "—"), *events]
