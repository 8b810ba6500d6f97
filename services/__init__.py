"""Business rules per feature; no request, session, g or flash in here."""


class DomainError(Exception):
    """A rule was broken; ``message`` is a lazy translatable string for the reader."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
