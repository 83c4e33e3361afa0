"""Parts of the documentation written from their one source: the policy files and the schema.

A generated part sits between two markers in a markdown file:

    <!-- generated: rules -->
    ... written by `python -m hubscan.docgen`, never by hand ...
    <!-- end: rules -->

| name | source | where |
|---|---|---|
| `rules` | policy/rules.yaml: the labels and every gate's rule | README.md |
| `washing-codes` | policy/washing.yaml: the open-washing codes | README.md |
| `export-keys` | store/export.py: the keys of `hubscan export`, in order | README.md |
| `licence-families`, `licences` | policy/licences.yaml, resolved (SPDX names, OSI flags, derived families) | docs/licences.md |
| `table:NAME` | store/schema.py: table NAME's comment and its columns' comments | docs/schema.md |

`python -m hubscan.docgen` rewrites every marked part of README.md and docs/*.md;
tests/test_docs_generated.py fails when one is stale, when a table has no part in docs/schema.md,
or when a column has no comment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
FILES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
MARKED = re.compile(r"(<!-- generated: (?P<name>[\w:.-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def rules_table() -> str:
    """The gates in the order they run, from policy/rules.yaml."""
    import policy

    data = policy.load("rules")
    lines = [
        f"Rule set `{data['version']}` (policy/rules.yaml). The gates run in this order (OSI's, in its validation) and the first that",
        "fails decides the label; the lineage rules then cap it at what its bases allow:",
        "",
        "| rule | gate | what it checks | fails to |",
        "|---|---|---|---|",
    ]
    for rule in data["rules"]:
        code = rule["code"] + (f" / {rule['failed_code']}" if "failed_code" in rule else "")
        lines.append(f"| {code} | {rule['gate']} | {_cell(rule['checks'])} | {_cell(rule['fails_to'])} |")
    return "\n".join(lines) + "\n"


def washing_table() -> str:
    """The open-washing codes, from policy/washing.yaml."""
    from classify.washing import glossary

    lines = ["| code | what it means | fires when |", "|---|---|---|"]
    for code in glossary():
        lines.append(f"| `{code['code']}` | {code['title']} | {_cell(code['rule'])} |")
    return "\n".join(lines) + "\n"


def export_keys() -> str:
    from store.export import EXPORT_KEYS

    return ", ".join(f"`{key}`" for key in EXPORT_KEYS) + ".\n"


def licence_families_table() -> str:
    """The family order of policy/licences.yaml, most open first."""
    import policy

    lines = ["| family | open for the weights | rank (looser/tighter) | means |", "|---|---|---|---|"]
    for f in policy.load("licences")["families"]:
        lines.append(f"| `{f['id']}` | {f['open'] or 'no'} | {f['rank']} | {_cell(f['means'])} |")
    return "\n".join(lines) + "\n"


def licences_table() -> str:
    """Every licence of the catalogue as hubscan resolves it: what a reader would otherwise need Python for."""
    from extract.licence_catalog import CATALOGUE

    lines = ["| id | name | family | OSI flag | why this family | reference |", "|---|---|---|---|---|---|"]
    for e in CATALOGUE.values():
        if e.osi_approved is None:
            osi = "none (no SPDX licence)"
        else:
            osi = f"{'yes' if e.osi_approved else 'no'} (SPDX list{': ' + e.spdx_id if e.spdx_id else ''})"
        why = e.rationale or ("derived from the SPDX list (`spdx_rules`)" if e.osi_approved is not None else "")
        hub = " (Hub id)" if e.hub_id else ""
        ref = f"[link]({e.url})" if e.url else "–"
        lines.append(f"| `{e.key}`{hub} | {_cell(e.name)} | {e.family} | {osi} | {_cell(why)} | {ref} |")
    return "\n".join(lines) + "\n"


def _type_name(column) -> str:
    try:
        return str(column.type.compile()).lower()
    except Exception:  # noqa: BLE001 - a dialect-specific type: its class name says enough
        return type(column.type).__name__.lower()


def table_reference(name: str) -> str:
    """One table of store/schema.py: its comment as the heading, every column with its type and comment."""
    from store import schema

    table = schema.metadata.tables[name]
    key = {c.name for c in table.primary_key.columns}
    lines = [f"### `{name}`: {table.comment}", "", "| column | type | meaning |", "|---|---|---|"]
    for column in table.columns:
        kind = _type_name(column) + (", key" if column.name in key else "") + ("" if column.nullable or column.name in key else ", not null")
        lines.append(f"| `{column.name}` | {kind} | {_cell(column.comment or '')} |")
    return "\n".join(lines) + "\n"


def source(name: str) -> Callable[[], str] | None:
    if name == "rules":
        return rules_table
    if name == "washing-codes":
        return washing_table
    if name == "export-keys":
        return export_keys
    if name == "licence-families":
        return licence_families_table
    if name == "licences":
        return licences_table
    if name.startswith("table:"):
        from store import schema

        table = name.split(":", 1)[1]
        return (lambda: table_reference(table)) if table in schema.metadata.tables else None
    return None


def render(text: str, where: str = "") -> str:
    """`text` with every generated part rewritten from its source."""

    def one(match: re.Match) -> str:
        make = source(match["name"])
        if make is None:
            raise ValueError(f"{where}: unknown generated part '{match['name']}'")
        return match.group(1) + make() + match.group(4)

    return MARKED.sub(one, text)


def names_in(text: str) -> list[str]:
    return [m["name"] for m in MARKED.finditer(text)]


def stale_files() -> list[Path]:
    return [path for path in FILES if (text := path.read_text(encoding="utf-8")) != render(text, str(path))]


def write_all() -> list[Path]:
    written = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        new = render(text, str(path))
        if new != text:
            path.write_text(new, encoding="utf-8")
            written.append(path)
    return written
