"""Turning report data into files: HTML (Jinja2, autoescaped), Markdown, CSV and SVG.

Model-card text is untrusted. In HTML every value is escaped by Jinja's autoescape, the page carries
a Content-Security-Policy that forbids scripts, and charts escape their own text. In Markdown every
value goes through `md_escape` (Jinja `finalize`), so a card cannot inject HTML, links or table
cells. In CSV, cells that a spreadsheet would read as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).with_name("templates")

# What a page may load: nothing but inline styles and data: images. No script, from anywhere.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


class MdSafe(str):
    """Markdown the template built itself (e.g. an image reference): not escaped again."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|#!~])")


def md_escape(value: Any) -> str:
    """Escape a value for inline Markdown: no HTML, no links/images, no emphasis, no table breaks."""
    if value is None:
        return ""
    if isinstance(value, MdSafe):
        return value
    text = " ".join(str(value).split())  # newlines would end a table row or start a block
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def num(value: Any) -> str:
    return f"{int(value):,}" if value is not None else "–"


def pct(value: Any, digits: int = 1) -> str:
    return f"{float(value):.{digits}f}%" if value is not None else "–"


def _env(markdown: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=not markdown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=md_escape if markdown else None,
    )
    env.filters["num"] = num
    env.filters["pct"] = pct
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    env.globals["md_link"] = md_link
    return env


_ENVS: dict[bool, Environment] = {}


def render_html(template: str, **context: Any) -> str:
    env = _ENVS.get(False) or _ENVS.setdefault(False, _env(markdown=False))
    return env.get_template(template).render(**context)


def render_markdown(template: str, **context: Any) -> str:
    env = _ENVS.get(True) or _ENVS.setdefault(True, _env(markdown=True))
    return env.get_template(template).render(**context)


def md_image(alt: str, path: str) -> MdSafe:
    return MdSafe(f"![{md_escape(alt)}]({path})")


def md_link(text: Any, url: str) -> MdSafe:
    """A link whose target hubscan built (percent-encoded, no parentheses or spaces) and whose text is escaped."""
    return MdSafe(f"[{md_escape(text)}]({url})")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: formula-like strings get a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        value = " | ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
    return path


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_svg(path: Path, svg: Markup) -> Path:
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + str(svg) + "\n", encoding="utf-8")
    return path
