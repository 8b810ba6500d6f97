"""Base forms: whitespace stripped from every field, CSRF everywhere, shared validators."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

# Control characters other than tab and newline never belong in a form value.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    if isinstance(value, str):
        return _CONTROL.sub("", value).strip()
    return value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [clean_text, *unbound_field.kwargs.get("filters", [])]
            return unbound_field.bind(form=form, filters=filters, **options)


class EmptyForm(BaseForm):
    """CSRF protection for bare buttons (logout, revoke, reset, ...)."""


def required():
    return DataRequired(message=_l("This field is required."))


def input_required():
    return InputRequired(message=_l("This field is required."))


def max_length(n):
    return Length(max=n, message=_l("At most %(max)d characters.", max=n))


class _NumberRange(NumberRange):
    """NumberRange that refuses an integer too large for a float instead of failing on it (WTForms' NaN check
    converts the value to a float: OverflowError for 99999...9 with 400 digits)."""

    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except OverflowError:
            raise ValidationError(self.message) from None


def number_range(lo, hi):
    return _NumberRange(min=lo, max=hi, message=_l("Enter a number from %(min)s to %(max)s.", min=lo, max=hi))


def optional():
    return Optional()


def iin_checksum_ok(digits):
    """The control digit of a Kazakh IIN/BIN (12 digits), per the two-pass weighting rule."""
    if not re.fullmatch(r"\d{12}", digits):
        return False
    nums = [int(c) for c in digits]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        check = sum(n * w for n, w in zip(nums[:11], weights, strict=True)) % 11
        if check != 10:
            return check == nums[11]
    return False


def validate_bin(form, field):
    if field.data and not iin_checksum_ok(field.data):
        raise ValidationError(_l("A BIN is 12 digits with a valid check digit."))
