"""Quarters ("2025-Q3"): derived from dates, parsed from addresses, listed for filters."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

_PATTERN = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day):
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text):
        """The quarter for "2025-Q3", or None for anything else."""
        match = _PATTERN.match(text or "")
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            return None
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def current(cls, today=None):
        return cls.of(today or date.today())

    @property
    def code(self):
        return f"{self.year}-Q{self.number}"

    @property
    def start(self):
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self):
        return self.next().start - timedelta(days=1)

    def next(self):
        return Quarter(self.year + (self.number == 4), self.number % 4 + 1)

    def previous(self):
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    def has_ended(self, today=None):
        return (today or date.today()) > self.end

    @property
    def label(self):
        return _l("Q%(n)s %(year)s", n=self.number, year=self.year)

    def __str__(self):
        return self.code


def recent(n=8, today=None):
    """The current quarter and the n-1 before it, newest first."""
    quarter = Quarter.current(today)
    result = []
    for _ in range(n):
        result.append(quarter)
        quarter = quarter.previous()
    return result
