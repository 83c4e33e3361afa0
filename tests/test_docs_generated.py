"""The generated parts of the documentation (hubscan/docblocks.py) are complete and current.

README.md's rules table and washing-code table come from policy/rules.yaml and policy/washing.yaml;
docs/schema.md's table reference comes from the comments in store/schema.py. Run
`python -m hubscan.docgen` to rewrite them.
"""

from __future__ import annotations

from hubscan import docblocks
from store import schema

SCHEMA_DOC = docblocks.ROOT / "docs" / "schema.md"
README = docblocks.ROOT / "README.md"


def test_every_generated_part_is_current() -> None:
    stale = [str(p.relative_to(docblocks.ROOT)) for p in docblocks.stale_files()]
    assert stale == [], "run `python -m hubscan.docgen`"


def test_every_table_and_column_has_a_comment() -> None:
    assert [t.name for t in schema.metadata.sorted_tables if not (t.comment or "").strip()] == []
    assert [f"{t.name}.{c.name}" for t in schema.metadata.sorted_tables for c in t.columns if not (c.comment or "").strip()] == []


def test_the_schema_reference_has_every_table_once() -> None:
    names = docblocks.names_in(SCHEMA_DOC.read_text(encoding="utf-8"))
    tables = [n.split(":", 1)[1] for n in names if n.startswith("table:")]
    assert sorted(tables) == sorted(schema.metadata.tables) and len(tables) == len(set(tables))


def test_the_readme_shows_the_rules_and_the_washing_codes_from_the_policy() -> None:
    text = README.read_text(encoding="utf-8")
    assert {"rules", "washing-codes", "export-keys"} <= set(docblocks.names_in(text))
    import policy

    for rule in policy.load("rules")["rules"]:
        assert f"| {rule['code']}" in text
    for code in policy.load("washing")["codes"]:
        assert f"`{code['code']}`" in text


def test_a_changed_comment_makes_the_reference_stale(monkeypatch) -> None:
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    monkeypatch.setattr(schema.runs.c.status, "comment", "something else")
    assert docblocks.render(text) != text


def test_the_readme_stays_a_guide_of_at_most_25000_characters() -> None:
    # operations, testing and benchmarks live in docs/; the README is what a researcher reads first
    assert len(README.read_text(encoding="utf-8")) <= 25_000


def test_the_licence_page_lists_every_licence_of_the_policy() -> None:
    from extract.licence_catalog import CATALOGUE

    text = (docblocks.ROOT / "docs" / "licences.md").read_text(encoding="utf-8")
    assert {"licence-families", "licences"} <= set(docblocks.names_in(text))
    assert all(f"| `{key}`" in text for key in CATALOGUE)
