"""The one CSV writer and the one XLSX writer of every download (tallies, records, rosters, personal data).

What people typed reaches these files, and the files are opened in spreadsheet programs, which run a cell that
looks like a formula (=HYPERLINK(...) sends the sheet's neighbours away; =cmd|' /C calc'!A0 runs a program). So:
- CSV: a text cell that starts with = + - @, a tab or a carriage return gets a leading apostrophe (OWASP's and
  defusedcsv's rule), unless it is a plain number such as "-5" or a phone number "+77011234567";
- XLSX: every text cell is written as text, never as a formula; numbers stay numbers.
"""

import csv
import io
import re

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def inert(value):
    """A cell's value as a spreadsheet program cannot run it (numbers and other non-text values unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_bytes(rows):
    """rows (the header first) -> UTF-8 CSV bytes with a byte-order mark, so that spreadsheet programs read the
    Kazakh and Russian letters right; None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if value is None else inert(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def sheet_name(title, used):
    name = re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31].strip() or "Sheet"
    while name in used:
        name = name[:28] + f" {len(used)}"
    used.add(name)
    return name


def xlsx_bytes(sheets):
    """sheets: [(title, rows)] -> XLSX bytes; numbers stay numbers, every text is a text cell ("<5", "=1+1")."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    used = set()
    for title, rows in sheets:
        sheet = workbook.create_sheet(sheet_name(title, used))
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, str):
                    cell = WriteOnlyCell(sheet, value)
                    cell.data_type = "s"  # openpyxl makes "=..." a formula otherwise
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
