"""The tally's charts, drawn on the server as inline SVG (no script, no chart library): plain horizontal bars and
100 % stacked bars. Each row has its label on one line and its bar under it, so a chart reads at phone width and
scales up on a desktop and in the PDF. Colours are presentation attributes (the page's CSP forbids style=)."""

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from services import tallies

WIDTH = 360
ROW = 34
LABEL_Y = 12
BAR_Y = 16
BAR_H = 12
VALUE_W = 58
BAR_W = WIDTH - VALUE_W
FONT = 'font-family="DejaVu Sans, sans-serif" font-size="12"'
# Longest label drawn in full at that size; longer ones end in "…" (the tables carry the full names).
LABEL_CHARS = 50
BAR_COLOUR = "#0b5d8f"
MARK_COLOURS = ("#1e6b34", "#d08c1e", "#b8c0c8")
OUTCOME_COLOURS = ("#1e6b34", "#7fb069", "#d08c1e", "#8a6fb0")
EMPTY = "#e3e7eb"


# Rows per SVG: a long chart (200 districts) is several pictures, so a printed page can break between them.
ROWS_PER_SVG = 12


def _svg(rows, draw, title):
    """SVG pictures of ``rows``, ROWS_PER_SVG at a time; ``draw(y, row)`` gives one row's elements."""
    pictures = []
    for start in range(0, max(1, len(rows)), ROWS_PER_SVG):
        chunk = rows[start:start + ROWS_PER_SVG]
        height = max(1, len(chunk)) * ROW + 4
        body = "".join(part for index, row in enumerate(chunk) for part in draw(index * ROW, row))
        pictures.append(f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {WIDTH} {height}" '
                        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}" {FONT}>'
                        f'{body}</svg>')
    return "".join(pictures)


def _figure(title, svg, legend=()):
    keys = "".join(f'<li><svg class="key" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">'
                   f'<rect width="10" height="10" fill="{colour}"/></svg> {escape(label)}</li>'
                   for label, colour in legend)
    legend_html = f'<ul class="chart-legend">{keys}</ul>' if keys else ""
    return Markup(f'<figure class="chart"><figcaption>{escape(title)}</figcaption>{legend_html}{svg}</figure>')


def _label(y, text):
    text = text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1].rstrip() + "…"
    return f'<text x="0" y="{y + LABEL_Y}" fill="#1b1f24">{escape(text)}</text>'


def _value(y, text):
    return f'<text x="{WIDTH - 3}" y="{y + BAR_Y + BAR_H - 2}" text-anchor="end" fill="#1b1f24">{escape(text)}</text>'


def bar_chart(title, bars):
    """bars: [(label, value, text)], value a number or None (nothing drawn, as for "<5"); bars scale to the
    largest value."""
    top = max([v for _label, v, _text in bars if isinstance(v, int | float)] + [0])

    def draw(y, bar):
        label, value, text = bar
        yield _label(y, label)
        yield f'<rect x="0" y="{y + BAR_Y}" width="{BAR_W - 6}" height="{BAR_H}" fill="{EMPTY}"/>'
        if isinstance(value, int | float) and top > 0 and value > 0:
            width = max(1.0, (BAR_W - 6) * value / top)
            yield f'<rect x="0" y="{y + BAR_Y}" width="{width:.1f}" height="{BAR_H}" fill="{BAR_COLOUR}"/>'
        yield _value(y, text)

    return _figure(title, _svg(bars, draw, title))


def stacked_chart(title, rows, legend):
    """rows: [(label, values or None, text)]; each drawn row fills the width in proportion to its values; a row
    with values None is written out (``text``) but not drawn. legend: [(label, colour)] matching the values."""
    def draw(y, row):
        label, values, text = row
        yield _label(y, label)
        whole = sum(values or ())
        if not values or whole <= 0:
            yield f'<rect x="0" y="{y + BAR_Y}" width="{BAR_W - 6}" height="{BAR_H}" fill="{EMPTY}"/>'
        else:
            x = 0.0
            for value, (_name, colour) in zip(values, legend, strict=True):
                width = (BAR_W - 6) * value / whole
                if width > 0:
                    yield f'<rect x="{x:.1f}" y="{y + BAR_Y}" width="{width:.1f}" height="{BAR_H}" fill="{colour}"/>'
                x += width
        yield _value(y, text)

    return _figure(title, _svg(rows, draw, title), legend)


# ---------------------------------------------------------------- the tally's charts


def _count_text(value):
    return value if isinstance(value, str) else format_decimal(value)


def _rows(tally):
    return [(tallies.unit_name(row["names"]), row) for row in tally["rows"]]


def _completion(tally):
    legend = [(str(tallies.MARK_LABELS[m]), c) for m, c in zip(
        (tallies.MARK_COMPLETE, tallies.MARK_IN_PROGRESS, tallies.MARK_NOT_STARTED), MARK_COLOURS, strict=True)]
    rows = []
    for name, row in _rows(tally):
        f = row["figures"]
        values = [f[tallies.MARK_COMPLETE], f[tallies.MARK_IN_PROGRESS], f[tallies.MARK_NOT_STARTED]]
        rows.append((name, values, f"{format_decimal(values[0])} / {format_decimal(f['schools'])}"))
    return stacked_chart(str(_l("Checklist completion by district")), rows, legend)


def _outcome_values(figures, suppress):
    """The outcome counts of a row, or None when one of them is a small count that a bar would give away."""
    values = [figures[f"out_{value}"] for value, _label in tallies.survey_choices("OUTCOMES")]
    if suppress and any(1 <= v <= 4 for v in values):
        return None
    return values


def _outcomes_by_unit(tally, suppress):
    legend = list(zip([str(label) for _v, label in tallies.survey_choices("OUTCOMES")], OUTCOME_COLOURS, strict=False))
    rows = []
    for name, row in _rows(tally):
        values = _outcome_values(row["figures"], suppress)
        total = tallies.small(row["figures"]["surveys"]) if suppress else row["figures"]["surveys"]
        text = _count_text(total) if values is not None or total == 0 else str(_l("not drawn"))
        rows.append((name, values, text))
    return stacked_chart(str(_l("Case outcomes by district")), rows, legend)


def _cases_by(tally, prefix, name, title, suppress):
    bars = []
    for value, label in tallies.survey_choices(name):
        n = tally["total"][f"{prefix}_{value}"]
        shown = tallies.small(n) if suppress else n
        bars.append((str(label), shown if isinstance(shown, int) else None, _count_text(shown)))
    return bar_chart(title, bars)


def _surveys_by_unit(tally, suppress):
    bars = []
    for name, row in _rows(tally):
        n = row["figures"]["surveys"]
        shown = tallies.small(n) if suppress else n
        bars.append((name, shown if isinstance(shown, int) else None, _count_text(shown)))
    return bar_chart(str(_l("Case surveys filed, by district")), bars)


def _items(tally):
    bars = [(label, done, f"{format_decimal(done)} / {format_decimal(schools)}")
            for label, done, schools in tallies.item_counts(tally)]
    return bar_chart(str(_l("Schools that have done each checklist item")), bars)


def tally_charts(tally, suppress=True):
    """The charts of a tally, in the current locale: by district for the region; for a district or a school,
    its checklist items and its cases by outcome and by category."""
    has_surveys = tallies.PART_SURVEYS in tally["parts"]
    charts = []
    if tally["level"] == "region":
        charts.append(_completion(tally))
        if has_surveys:
            charts += [_outcomes_by_unit(tally, suppress), _surveys_by_unit(tally, suppress)]
    if tally["level"] != "school":
        charts.append(_items(tally))
    if has_surveys and tally["level"] != "region":
        charts += [_cases_by(tally, "out", "OUTCOMES", str(_l("Cases by outcome")), suppress),
                   _cases_by(tally, "cat", "CATEGORIES", str(_l("Cases by category")), suppress)]
    return charts


# ---------------------------------------------------------------- monitoring trends: quarters along the bottom

TREND_H = 150
PLOT_TOP = 16
PLOT_BOTTOM = 112
PLOT_LEFT = 46
SERIES_COLOURS = ("#0b5d8f", "#d08c1e")


def quarter_chart(title, ticks, series, kind="bar", top=None, suffix=""):
    """A small chart of a figure quarter by quarter: ``ticks`` label the quarters (oldest first); ``series`` is
    [(name, values)] with None where a value is not shown (nothing drawn); bars side by side, or lines with a dot
    per quarter. The scale runs from 0 to ``top`` (the largest value when None), written at the left."""
    numbers = [v for _name, values in series for v in values if isinstance(v, int | float)]
    top = top or max(numbers + [0]) or 1
    slot = (WIDTH - PLOT_LEFT) / max(1, len(ticks))
    height = PLOT_BOTTOM - PLOT_TOP

    def y_of(value):
        return PLOT_BOTTOM - height * min(value, top) / top

    parts = [f'<line x1="{PLOT_LEFT}" y1="{PLOT_BOTTOM}" x2="{WIDTH}" y2="{PLOT_BOTTOM}" stroke="#6b7580"/>',
             f'<line x1="{PLOT_LEFT}" y1="{PLOT_TOP}" x2="{WIDTH}" y2="{PLOT_TOP}" stroke="{EMPTY}"/>',
             f'<text x="{PLOT_LEFT - 4}" y="{PLOT_TOP + 4}" text-anchor="end" fill="#1b1f24">'
             f'{escape(format_decimal(top))}{escape(suffix)}</text>',
             f'<text x="{PLOT_LEFT - 4}" y="{PLOT_BOTTOM}" text-anchor="end" fill="#1b1f24">0</text>']
    for index, label in enumerate(ticks):
        x = PLOT_LEFT + slot * (index + 0.5)
        numeral, _space, year = label.partition(" ")
        parts.append(f'<text x="{x:.1f}" y="{PLOT_BOTTOM + 14}" text-anchor="middle" fill="#1b1f24">'
                     f'{escape(numeral)}</text>')
        if index == 0 or numeral == "I":
            parts.append(f'<text x="{x:.1f}" y="{PLOT_BOTTOM + 28}" text-anchor="middle" fill="#555">'
                         f'{escape(year)}</text>')
    for number, (_name, values) in enumerate(series):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        if kind == "bar":
            width = slot * 0.7 / len(series)
            for index, value in enumerate(values):
                if isinstance(value, int | float) and value > 0:
                    x = PLOT_LEFT + slot * index + slot * 0.15 + width * number
                    parts.append(f'<rect x="{x:.1f}" y="{y_of(value):.1f}" width="{width:.1f}" '
                                 f'height="{PLOT_BOTTOM - y_of(value):.1f}" fill="{colour}"/>')
            continue
        points = [(PLOT_LEFT + slot * (index + 0.5), y_of(value)) if isinstance(value, int | float) else None
                  for index, value in enumerate(values)]
        for start, end in zip(points, points[1:], strict=False):
            if start and end:
                parts.append(f'<line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" y2="{end[1]:.1f}" '
                             f'stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="3" fill="{colour}"/>' for p in points if p]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {WIDTH} {TREND_H}" '
           f'width="{WIDTH}" height="{TREND_H}" role="img" aria-label="{escape(title)}" {FONT}>{"".join(parts)}</svg>')
    legend = [(name, SERIES_COLOURS[n % len(SERIES_COLOURS)]) for n, (name, _v) in enumerate(series)]
    return _figure(title, svg, legend if len(series) > 1 else ())


def trend_charts(rows):
    """The charts of a monitoring trend (services.monitoring.point_view rows, oldest first), in the current
    locale; the page and the PDF print the same numbers in a table beside them."""
    ticks = [row["tick"] for row in rows]

    def values(key):
        return [row[key] if isinstance(row[key], int | float) else None for row in rows]

    return [
        quarter_chart(str(_l("Cases filed")), ticks, [(str(_l("Cases filed")), values("cases"))]),
        quarter_chart(str(_l("Agreements, %")), ticks, [
            (str(_l("With an agreement")), values("agreement_share")),
            (str(_l("Held at follow-up")), values("held_share"))], kind="line", top=100, suffix="%"),
        quarter_chart(str(_l("Mean satisfaction (1–5)")), ticks,
                      [(str(_l("Mean satisfaction (1–5)")), values("satisfaction"))], kind="line", top=5),
        quarter_chart(str(_l("Parents")), ticks, [(str(_l("Parents reached")), values("parents_reached")),
                                                  (str(_l("Parents' confirmations")), values("confirmations"))]),
        quarter_chart(str(_l("Schools with a trained curator")), ticks,
                      [(str(_l("Schools with a trained curator")), values("curators_trained"))]),
    ]
