"""Certificate PDFs: an HTML template rendered by WeasyPrint with the Noto CJK fonts, QR code and seal mark."""

import base64
import math
from io import BytesIO

from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils.html import escape

# WeasyPrint and pyHanko take over two seconds to import: they are imported where used, so that web
# processes and commands that never render or sign a PDF start quickly.

SEAL_RED = "#c8102e"


def _star_points(cx: float = 100, cy: float = 102, outer: float = 24, inner: float = 9.6) -> str:
    """A five-pointed star as a polygon (a ★ glyph would pull a whole extra font into the PDF)."""
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + 36 * i)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return " ".join(points)


_STAR = _star_points()


def svg_data_uri(svg: bytes | str) -> str:
    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")


def qr_png_data_uri(url: str) -> str:
    """A PNG QR code (cheaper for WeasyPrint to draw than an SVG path of hundreds of modules)."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, box_size=4)
    code.add_data(url)
    buffer = BytesIO()
    code.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def seal_svg(name: str, caption: str = "电子证照专用章") -> str:
    """A round red mark with the issuer's name along the rim: a visual cue only, the signature is what counts."""
    chars = list(name[:16])
    span = min(250.0, 24.0 * len(chars))
    size = 22 if len(chars) <= 11 else 18
    glyphs = []
    for i, char in enumerate(chars):
        angle = -span / 2 + span * (i + 0.5) / len(chars)
        x = 100 + 70 * math.sin(math.radians(angle))
        y = 100 - 70 * math.cos(math.radians(angle))
        glyphs.append(
            f'<text x="{x:.2f}" y="{y:.2f}" transform="rotate({angle:.2f} {x:.2f} {y:.2f})" text-anchor="middle" '
            f'dominant-baseline="central" font-family="Noto Serif CJK SC" font-size="{size}" '
            f'fill="{SEAL_RED}">{escape(char)}</text>'
        )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200">'
        f'<circle cx="100" cy="100" r="95" fill="none" stroke="{SEAL_RED}" stroke-width="5"/>'
        + "".join(glyphs)
        + f'<polygon points="{_STAR}" fill="{SEAL_RED}"/>'
        f'<text x="100" y="158" text-anchor="middle" font-family="Noto Serif CJK SC" font-size="15" '
        f'fill="{SEAL_RED}">{escape(caption)}</text></svg>'
    )


def html_to_pdf(html: str) -> bytes:
    """Render with no network or file access: everything the template needs is inline (data: URIs)."""
    import weasyprint

    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    pdf = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    if not any("CJK" in name for name in pdf_font_names(pdf)):
        raise ImproperlyConfigured("PDF 未嵌入中文字体：请安装 fonts-noto-cjk（Noto Sans/Serif CJK SC）。")
    return pdf


def licence_pdf_render(template_name: str, context: dict) -> bytes:
    html = render_to_string(f"licences/pdf/{template_name}.html", context)
    return html_to_pdf(html)


def pdf_font_names(pdf: bytes) -> list[str]:
    """Base font names used by the pages (subset prefixes such as "ABCDEF+" stripped)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(pdf), strict=False)
    names: set[str] = set()
    pending = [reader.root["/Pages"]]
    while pending:
        node = pending.pop().get_object()
        if "/Kids" in node:
            pending.extend(node["/Kids"])
            continue
        resources = node.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for font in (fonts.get_object() if fonts is not None else {}).values():
            base = str(font.get_object().get("/BaseFont", ""))
            names.add(base.lstrip("/").split("+", 1)[-1])
    return sorted(names)
