"""The client_uuid every offline-capable form carries (made on the phone, or here for plain posts)."""

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, ValidationError

from forms import BaseForm
from services.offline import canonical_uuid, parse_uuid


class OfflineForm(BaseForm):
    """Base for forms that may be queued in the phone's outbox and sent later, exactly once.

    Render the <form> with ``data-offline="<kind>"`` and answer through views.offline.saved/invalid/conflict.
    """

    client_uuid = HiddenField(default=lambda: str(uuid.uuid4()), filters=[canonical_uuid])

    def validate_client_uuid(self, field):
        # A post without the field would otherwise get a fresh default and lose its idempotency.
        if not field.raw_data or parse_uuid(field.data) is None:
            raise ValidationError(_l("This form is missing its submission code. Reload the page and send it again."))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.client_uuid.errors:
            # The page shown again carries a good code, so sending it once more works.
            self.client_uuid.data = str(uuid.uuid4())
        return ok

    def content(self, exclude=("csrf_token", "client_uuid")):
        """The submitted values (for the idempotency fingerprint)."""
        return {name: f.data for name, f in self._fields.items() if name not in exclude}
