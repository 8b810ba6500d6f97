"""What the forms of the offline mechanism carry: drafts kept on the device while typing (DraftForm), and for the
forms that may wait in the outbox (OfflineForm) the client_uuid made on the phone (or here for plain posts) and the
form's version, so that an item queued before a release is accepted or reopened with its values, never dropped.

A form opts in by its class alone: the form macro (templates/_macros/forms.html) reads ``html_attrs()`` and renders
the hidden version field; static/js/offline.js does the rest."""

import uuid
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FileField, HiddenField, ValidationError

from forms import BaseForm
from services.offline import canonical_uuid, parse_uuid


class DraftForm(BaseForm):
    """A form whose typing is kept on the device as a draft until it is sent (one per form page and account).

    Set ``draft`` to the form's name ("setup"); an OfflineForm takes its ``kind``."""

    draft = None

    def html_attrs(self):
        """The attributes of the <form> element that switch the script's help on."""
        return {"data-draft": self.draft} if self.draft else {}


@dataclass(frozen=True)
class Release:
    """What one version of a form changed, for the items queued under an older one."""

    changed: tuple = ()  # fields added, made required, narrowed (a choice removed) or given another meaning
    renamed: dict = field(default_factory=dict)  # {old name: new name}: queued values move to the new name


class OfflineForm(DraftForm):
    """Base for forms that may be queued in the phone's outbox and sent later, exactly once.

    A subclass names its ``kind`` (the outbox, drafts, exported files and the load harness know it by that name),
    its ``title`` (how the outbox and an import's report name an item), its ``summary`` (the fields whose values
    tell two items apart in the list: a category, a date) and its ``version``. A release that adds, renames or
    narrows a field raises ``version`` and says what changed in ``releases[version]``. Answer through
    views.offline.saved/invalid/conflict/refused and serve the GET page through views.offline.form_page."""

    kind = None
    title = None
    summary = ()
    version = 1
    releases = {}

    client_uuid = HiddenField(default=lambda: str(uuid.uuid4()), filters=[canonical_uuid])
    # The version of the page the values were typed in; a post without one is taken as the current version.
    form_version = HiddenField()

    class Meta:
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            return form.carried_over(formdata) if formdata is not None else None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.form_version.data or not self.is_submitted():
            self.form_version.data = str(self.version)

    def html_attrs(self):
        attrs = {"data-offline": self.kind, "data-form-version": str(self.version)}
        if self.summary:
            attrs["data-summary"] = " ".join(self.summary)
        return attrs

    # ---- versions

    def sent_version(self):
        """The version the submitted values were typed under (the current one when the post names none)."""
        if getattr(self, "_sent", None):
            return self._sent
        try:
            sent = int(self.form_version.data)
        except (TypeError, ValueError):
            return self.version
        return sent if 1 <= sent <= self.version else self.version

    @classmethod
    def releases_after(cls, version):
        return [cls.releases[v] for v in sorted(cls.releases) if version < v <= cls.version]

    @classmethod
    def renamed_after(cls, version):
        renamed = {}
        for release in cls.releases_after(version):
            for old, new in release.renamed.items():
                renamed = {k: (new if v == old else v) for k, v in renamed.items()}
                renamed.setdefault(old, new)
        return renamed

    @classmethod
    def changed_after(cls, version):
        """The fields a release since ``version`` changed, in the form's order."""
        names = set(cls.renamed_after(version).values())
        for release in cls.releases_after(version):
            names.update(release.changed)
        return sorted(names)

    def carried_over(self, formdata):
        """The posted values with the fields renamed since their version under their new names."""
        raw = formdata.get("form_version")
        try:
            version = int(raw)
        except (TypeError, ValueError):
            return formdata
        renamed = self.renamed_after(version) if 1 <= version < self.version else {}
        if not renamed:
            return formdata
        carried = MultiDict(formdata.items(multi=True))
        for old, new in renamed.items():
            if old in carried and new not in carried:
                carried.setlist(new, carried.poplist(old))
        return carried

    def reopen(self):
        """For values typed under an older version that no longer fit: what the outbox needs to reopen them in
        this version of the form (the fields to mark, the renames to apply to the queued values), else None."""
        sent = self.sent_version()
        if sent >= self.version or not self.errors:
            return None
        return {"version": self.version, "changed": self.changed_after(sent), "renamed": self.renamed_after(sent)}

    # ---- validation

    def validate_client_uuid(self, field):
        # A post without the field would otherwise get a fresh default and lose its idempotency.
        if not field.raw_data or parse_uuid(field.data) is None:
            raise ValidationError(_l("This form is missing its submission code. Reload the page and send it again."))

    def validate(self, extra_validators=None):
        self._sent = self.sent_version()
        ok = super().validate(extra_validators)
        if self.client_uuid.errors:
            # The page shown again carries a good code, so sending it once more works.
            self.client_uuid.data = str(uuid.uuid4())
        if not ok and self.sent_version() < self.version:
            self.form_errors.append(_l("This form has changed since it was filled in. The marked fields are new "
                                       "or changed: check them and send it again."))
            self.form_version.data = str(self.version)  # the page shown again is this version
        return ok

    def content(self, exclude=("csrf_token", "client_uuid", "form_version")):
        """The submitted values (for the idempotency fingerprint); the version is not content."""
        return {name: f.data for name, f in self._fields.items() if name not in exclude}


class ExportForm(BaseForm):
    """The choice of what goes into the outbox file (saved on the device by the script: nothing is posted)."""

    class Meta:
        csrf = False

    export_drafts = BooleanField(_l("Also the drafts"))


class ImportForm(BaseForm):
    """A file exported from another device's outbox."""

    file = FileField(_l("The outbox file (.json)"), description=_l(
        "The file another device saved with “Save to a file” on its outbox page."),
        render_kw={"accept": ".json,application/json"})

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Choose the file to import."))


def offline_forms():
    """{kind: form class} of every offline-capable form (the forms package is imported by then: views import it)."""
    found, todo = {}, [OfflineForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.kind:
                found[sub.kind] = sub
    return found
