"""Issue #14: the README and docs/ cannot drift from the code.

- docs/cli.md is the argparse help of every command (`python -m hubscan.docgen` writes it);
- every ```console example in README.md and docs/*.md runs against a fresh demo database and prints
  what the page shows (`python -m hubscan.docgen --examples README.md docs/*.md` rewrites them).
The checker works on any markdown file: it reads fenced `console` blocks, not the README's sections.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from hubscan import docgen

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PAGES_WITH_EXAMPLES = [p for p in PAGES if any(b.examples for b in docgen.console_blocks(p.read_text(encoding="utf-8").splitlines()))]


@pytest.fixture(scope="module")
def demo_dir():
    workdir = docgen.demo_workdir()  # runs `hubscan demo` once for the module
    yield workdir
    shutil.rmtree(workdir, ignore_errors=True)


def test_cli_reference_is_current():
    expected = docgen.cli_reference()
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == expected, "docs/cli.md is stale: run `python -m hubscan.docgen`"


def test_the_readme_shows_its_examples_on_the_demo_database():
    blocks = docgen.console_blocks((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    commands = [e.command for b in blocks for e in b.examples]
    # explain, query and report on the demo in the README; the longer walks live in docs/ (also run here)
    assert len(commands) >= 6
    assert {c.split()[1] for c in commands if c.startswith("hubscan ")} >= {"explain", "query", "report"}
    in_docs = [e for p in PAGES[1:] for b in docgen.console_blocks(p.read_text(encoding="utf-8").splitlines()) for e in b.examples]
    assert len(in_docs) >= 20
    hubscan_commands = [c for c in commands if c.startswith("hubscan ")]
    assert hubscan_commands and all("--db hubscan-demo.db" in c for c in hubscan_commands)
    assert all(e.expected for b in blocks for e in b.examples), "an example without its output"


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES, ids=[str(p.relative_to(ROOT)) for p in PAGES_WITH_EXAMPLES])
def test_every_console_example_prints_what_the_page_shows(page, demo_dir):
    workdir = docgen.fresh_copy(demo_dir)
    try:
        outcomes = docgen.run_file(page, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    stale = [o for o in outcomes if not o.ok]
    report = []
    for o in stale:
        diff = difflib.unified_diff(docgen.normalise(o.example.expected), o.actual, "page", "actual", lineterm="", n=1)
        report.append(f"{page.name}:{o.example.line}: $ {o.example.command}\n" + "\n".join(diff))
    assert not stale, "\n\n".join(report) + "\n\nrun: python -m hubscan.docgen --examples README.md docs/*.md"


# --- the checker itself -----------------------------------------------------------------------


def test_ellipsis_matches_any_text_and_nothing_else_does():
    assert docgen.matches(["run 4 ok in ... s"], ["run 4 ok in 12 s"])
    assert docgen.matches(["a", "...", "z"], ["a", "b", "c", "z"])
    assert docgen.matches(["same  "], ["same", ""])  # trailing blanks are not output
    assert not docgen.matches(["run 4 ok"], ["run 5 ok"])
    assert not docgen.matches(["a ... z"], ["a b y"])


def test_a_stale_example_is_found_and_rewritten_in_place(demo_dir, tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Any page\n\nText.\n\n```console\n"
        "$ hubscan query \"SELECT COUNT(*) AS runs FROM runs\" --db hubscan-demo.db --format csv\nruns\n3\n\n"
        "$ hubscan query \"SELECT 'run ' || MAX(id) AS last FROM runs\" --db hubscan-demo.db --format csv\nlast\nrun ...\n"
        "```\n\n```text\n$ not run\n```\n",
        encoding="utf-8",
    )
    workdir = docgen.fresh_copy(demo_dir)
    try:
        outcomes = docgen.run_file(page, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    assert [o.ok for o in outcomes] == [False, True]  # the count is wrong; `...` covers the run id
    assert docgen.rewrite(page, outcomes)
    text = page.read_text(encoding="utf-8")
    assert "runs\n4\n" in text and "run ...\n" in text and "$ not run" in text and text.startswith("# Any page\n\nText.")
