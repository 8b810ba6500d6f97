"""QR codes (segno) as SVG, for pages and PDFs; no network, no images on disk."""

import io

import segno


def svg(data, scale=4, border=2, dark="#000"):
    """The QR code for ``data`` as an SVG document (str)."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=scale, border=border, dark=dark, xmldecl=False,
                                     svgns=True, nl=False)
    return out.getvalue().decode()


def data_uri(data, scale=4, border=2):
    """The QR code as a data: URI, usable in <img src> on pages (CSP allows data: images) and in PDFs."""
    return segno.make(data, error="m").svg_data_uri(scale=scale, border=border)
