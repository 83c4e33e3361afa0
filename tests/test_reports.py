"""Issue #5: the weekly open-washing report and the trend report, on a crawl history with changes.

The history: four crawls of the replay hub (dev_hub.json), placed in ISO weeks 2026-W45, W46 (two
runs) and W48 by rewriting `runs.started_at`, with the hub changed between crawls:

- before run 1: tiiuae/falcon-7b's card claims "fully open-source" (an Open Weights model: flagged);
- run 2 (W46, Tuesday): Qwen/Qwen2.5-0.5B moves from Apache-2.0 to CC-BY-NC-4.0 (a rug-pull), and
  bigscience/bloomz-560m briefly claims "fully open-source" (reverted before run 3, so the weekly
  comparison must not see it);
- run 3 (W46, Friday): microsoft/Phi-3.5-mini-instruct starts claiming "fully open-source" (new flag),
  falcon-7b's claim is removed (cleared flag), bloomz is back to its original card;
- run 4 (W48; W47 has no crawl): a new model, acme-ai/Acme-Llama-3.2-1B-open, declares Apache-2.0 on a
  Llama 3.2 base and claims to be fully open source, with HTML/script payloads in its card; another
  new model declares no licence at all; Qwen's downloads jump.

Expected numbers are computed here straight from the database tables with SQL, independently of
reports/, and the scenario's facts are asserted on top.
"""

from __future__ import annotations

import csv
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from hubscan.cli import main
from replayhub.state import HubState
from reports import ReportError, build_trend_report, build_washing_report, write_trend_report, write_washing_report
from reports.trends import Tier
from store.db import create_db_engine

RUN_STARTS = {
    1: "2026-11-02T06:00:00+00:00",  # Monday of 2026-W45
    2: "2026-11-10T06:00:00+00:00",  # Tuesday of 2026-W46
    3: "2026-11-13T06:00:00+00:00",  # Friday of 2026-W46
    4: "2026-11-24T06:00:00+00:00",  # Tuesday of 2026-W48
}
FALCON, QWEN, PHI, BLOOMZ = "tiiuae/falcon-7b", "Qwen/Qwen2.5-0.5B", "microsoft/Phi-3.5-mini-instruct", "bigscience/bloomz-560m"
ACME = "acme-ai/Acme-Llama-3.2-1B-open"
UNLICENSED = "solo-dev/tiny-unlicensed-lm"
LLAMA_BASE = "meta-llama/Llama-3.2-1B"
CLAIM = "{name} is a fully open-source model, free for everyone."

# Payloads as a card author would write them so that they survive Markdown rendering as text:
# HTML entities (decoded to "<script>" in the card's text) and inline code (kept verbatim).
SCRIPT_PAYLOAD = "<script>window.__pwned = 1</script>"
IMG_PAYLOAD = '<img src=x onerror="window.__pwned = 2">'
ACME_README = f"""---
license: apache-2.0
base_model: {LLAMA_BASE}
library_name: transformers
pipeline_tag: text-generation
---

# Acme Llama

Acme-Llama is a fully open-source model &lt;script&gt;window.__pwned = 1&lt;/script&gt; and `{IMG_PAYLOAD}` for everyone.

## Usage

```python
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained("{ACME}")
```
"""


def crawl(hub, db: Path) -> None:
    # weekly reports read full sweeps (the nightly incremental walks only see what changed)
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full"]) == 0


def sql(db: Path, query: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchall()


def readme(state: HubState, repo_id: str) -> str:
    content = state.get(repo_id).files["README.md"]
    return content if isinstance(content, str) else content.decode()


def with_claim(text: str, name: str) -> str:
    return text + "\n\n" + CLAIM.format(name=name) + "\n"


def relicense(state: HubState, repo_id: str, old: str, new: str) -> None:
    snap = state.get(repo_id)
    card = dict(snap.fields["cardData"], license=new)
    card.pop("license_link", None)
    tags = [f"license:{new}" if t == f"license:{old}" else t for t in snap.tags]
    text = readme(state, repo_id).replace(f"license: {old}", f"license: {new}")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("license_link:")) + "\n"
    state.update(repo_id, cardData=card, tags=tags)
    state.set_file(repo_id, "README.md", text)
    if "LICENSE" in snap.files:
        state.remove_file(repo_id, "LICENSE")


def acme_repo() -> dict:
    return {
        "id": ACME,
        "author": "acme-ai",
        "createdAt": "2026-11-20T00:00:00.000Z",
        "lastModified": "2026-11-20T00:00:00.000Z",
        "private": False,
        "disabled": False,
        "gated": False,
        "downloads": 4321,
        "likes": 7,
        "tags": ["transformers", "safetensors", "llama", "text-generation", "license:apache-2.0", f"base_model:{LLAMA_BASE}", "region:us"],
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "cardData": {"license": "apache-2.0", "base_model": LLAMA_BASE, "library_name": "transformers", "pipeline_tag": "text-generation"},
        "files": {"README.md": ACME_README, "config.json": '{"model_type": "llama"}', "model.safetensors": 2_400_000_000, ".gitattributes": "*.safetensors filter=lfs\n"},
    }


def unlicensed_repo() -> dict:
    return {
        "id": UNLICENSED,
        "author": "solo-dev",
        "createdAt": "2026-11-21T00:00:00.000Z",
        "downloads": 12,
        "likes": 0,
        "tags": ["transformers", "safetensors", "gpt2", "text-generation"],
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "cardData": {},
        "files": {"README.md": "# tiny-unlicensed-lm\n\nA small GPT-2 style model I trained at home.\n", "config.json": "{}", "model.safetensors": 500_000_000},
    }


def build_history(tmp_dir: Path, dev_hub_data: dict, replay_hub) -> Path:
    """Crawl the scenario described in the module docstring; returns the database path."""
    state = HubState.from_fixture(dev_hub_data)
    originals = {repo_id: readme(state, repo_id) for repo_id in (FALCON, BLOOMZ, PHI)}
    state.set_file(FALCON, "README.md", with_claim(originals[FALCON], "Falcon-7B"))
    hub = replay_hub(state)
    db = tmp_dir / "history.db"
    crawl(hub, db)

    relicense(state, QWEN, "apache-2.0", "cc-by-nc-4.0")
    state.set_file(BLOOMZ, "README.md", with_claim(originals[BLOOMZ], "BLOOMZ"))
    crawl(hub, db)

    state.set_file(PHI, "README.md", with_claim(originals[PHI], "Phi-3.5-mini"))
    state.set_file(FALCON, "README.md", originals[FALCON])
    state.set_file(BLOOMZ, "README.md", originals[BLOOMZ])
    crawl(hub, db)

    state.add_repo(acme_repo())
    state.add_repo(unlicensed_repo())
    state.update(QWEN, downloads=5_000_000)
    crawl(hub, db)

    with sqlite3.connect(db) as conn:
        for run_id, started in RUN_STARTS.items():
            conn.execute("UPDATE runs SET started_at = ? WHERE id = ?", (started, run_id))
    return db


@pytest.fixture(scope="module")
def engine(history):
    return create_db_engine(str(history), read_only=True)


# --- independent expectations, straight from the tables -----------------------------------


def run_state(db: Path, run_id: int) -> dict[str, dict]:
    rows = sql(
        db,
        "SELECT o.repo_id, o.version_id, o.downloads, l.label, l.open_washing, e.licence, e.licence_family "
        "FROM observations o JOIN labels l ON l.version_id = o.version_id JOIN evidence e ON e.version_id = o.version_id "
        "WHERE o.run_id = ?",
        run_id,
    )
    return {r[0]: {"version": r[1], "downloads": r[2] or 0, "label": r[3], "flagged": bool(r[4]), "licence": r[5], "family": r[6]} for r in rows}


def expected_changes(db: Path, before_run: int, after_run: int) -> dict[str, set]:
    before, after = run_state(db, before_run), run_state(db, after_run)
    return {
        "new flags": {m for m, x in after.items() if x["flagged"] and not before.get(m, {}).get("flagged")},
        "cleared flags": {m for m, x in before.items() if x["flagged"] and not after.get(m, {}).get("flagged")},
        "label changes": {(m, before[m]["label"], x["label"]) for m, x in after.items() if m in before and before[m]["label"] != x["label"]},
        "licence changes": {(m, before[m]["licence"], x["licence"]) for m, x in after.items() if m in before and before[m]["licence"] != x["licence"]},
    }


# --- the weekly report: which runs, which numbers -------------------------------------------


def test_week_reads_its_latest_run_and_compares_with_the_previous_week_that_has_runs(engine):
    w46 = build_washing_report(engine, "2026-W46")
    assert (w46.run.id, w46.previous[0], w46.previous[1].id) == (3, "2026-W45", 1)
    latest = build_washing_report(engine)
    assert latest.week == "2026-W48" and latest.run.id == 4
    assert latest.previous[0] == "2026-W46" and latest.previous[1].id == 3  # W47 has no crawl
    first = build_washing_report(engine, "2026-W45")
    assert first.previous is None and first.changes is None
    assert [p.week for p in latest.timeline] == ["2026-W45", "2026-W46", "2026-W48"]
    assert [p.run.id for p in latest.timeline] == [1, 3, 4]
    with pytest.raises(ReportError, match="no finished crawl in week 2026-W47"):
        build_washing_report(engine, "2026-W47")
    with pytest.raises(ReportError, match="expected YYYY-Www"):
        build_washing_report(engine, "2026-48")


def test_failed_and_partial_runs_are_not_report_runs(history, tmp_path):
    copy = tmp_path / "copy.db"
    with sqlite3.connect(history) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
        # a later partial sweep in W48 (it saw 3 models) and a failed crawl in W49
        dst.execute(
            "INSERT INTO runs (id, started_at, finished_at, status, endpoint, full_sweep, params, models_seen, versions_new, readmes_fetched, "
            "files_fetched, datasets_fetched, disappeared, problems, api_calls, resolver_calls, retries, rate_limited) "
            "VALUES (5, '2026-11-26T06:00:00+00:00', '2026-11-26T06:01:00+00:00', 'ok', 'x', 0, '{}', 3, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0), "
            "(6, '2026-12-01T06:00:00+00:00', NULL, 'failed', 'x', 1, '{}', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)"
        )
        dst.execute("INSERT INTO observations SELECT 5, repo_id, version_id, downloads, likes FROM observations WHERE run_id = 4 ORDER BY repo_id LIMIT 3")
    engine = create_db_engine(str(copy), read_only=True)
    report = build_washing_report(engine)
    assert (report.week, report.run.id, report.summary.models) == ("2026-W48", 4, len(run_state(history, 4)))
    with pytest.raises(ReportError, match="no finished crawl in week 2026-W49"):
        build_washing_report(engine, "2026-W49")
    assert build_trend_report(engine).run.id == 4


def test_headline_numbers_match_the_tables(history, engine, dev_hub_data):
    report = build_washing_report(engine, "2026-W48")
    state = run_state(history, 4)
    public = [m for m in dev_hub_data["models"] if not m.get("private")]
    assert report.summary.models == len(state) == len(public) + 2  # plus the two new models
    counts = Counter(x["label"] for x in state.values())
    downloads = Counter()
    for x in state.values():
        downloads[x["label"]] += x["downloads"]
    total = sum(downloads.values())
    for share in report.summary.labels:
        assert share.models == counts.get(share.label, 0), share.label
        assert share.share == pytest.approx(100 * counts.get(share.label, 0) / len(state))
        assert share.downloads == downloads.get(share.label, 0)
        assert share.download_share == pytest.approx(100 * downloads.get(share.label, 0) / total)
    flagged = {m for m, x in state.items() if x["flagged"]}
    assert report.summary.flagged == len(flagged)
    assert report.summary.flagged_share == pytest.approx(100 * len(flagged) / len(state))
    # the scenario: Acme (W-OS + W-LAUNDER) and Phi are flagged this week, falcon no longer is
    assert {ACME, PHI} <= flagged and FALCON not in flagged

    # the open-washing list: every flagged model, most downloaded first, with its claim and the failed gate
    assert [f.repo_id for f in report.flagged] == sorted(flagged, key=lambda m: (-state[m]["downloads"], m))
    acme = next(f for f in report.flagged if f.repo_id == ACME)
    assert acme.organisation == "acme-ai" and acme.label == "Weights Available"
    assert set(acme.codes) >= {"W-OS", "W-LAUNDER"}
    assert acme.claim.startswith("Acme-Llama is a fully open-source model") and SCRIPT_PAYLOAD in acme.claim
    assert "lineage gate (B1)" in acme.falls_short and LLAMA_BASE in acme.falls_short
    assert acme.url == f"https://huggingface.co/{ACME}"
    phi = next(f for f in report.flagged if f.repo_id == PHI)
    assert phi.codes == ("W-OS",) and phi.claim == CLAIM.format(name="Phi-3.5-mini")
    assert "code+data information gate (S0)" in phi.falls_short and "missing:" in phi.falls_short

    # the timeline agrees with each week's run
    for point in report.timeline:
        week_state = run_state(history, point.run.id)
        assert point.summary.flagged == sum(x["flagged"] for x in week_state.values())
        assert point.summary.count("Open Weights") == sum(x["label"] == "Open Weights" for x in week_state.values())


def test_changes_since_last_week_are_the_rug_pull_feed(history, engine):
    w46 = build_washing_report(engine, "2026-W46")
    expected = expected_changes(history, 1, 3)
    got = w46.changes
    assert {c.repo_id for c in got.new_flags} == expected["new flags"]
    assert {c.repo_id for c in got.cleared_flags} == expected["cleared flags"]
    assert {(c.repo_id, c.before, c.after) for c in got.label_changes} == expected["label changes"]
    assert {(c.repo_id, c.before, c.after) for c in got.licence_changes} == expected["licence changes"]
    # the scenario, as a reader would check it
    assert PHI in expected["new flags"] and FALCON in expected["cleared flags"]
    assert (QWEN, "Open Weights", "Weights Available") in expected["label changes"]
    assert (QWEN, "Apache-2.0", "CC-BY-NC-4.0") in expected["licence changes"]
    qwen = next(c for c in got.licence_changes if c.repo_id == QWEN)
    assert qwen.direction == "tighter" and got.licence_changes[0].direction == "tighter"
    assert QWEN in {c.repo_id for c in got.rug_pulls}
    # bloomz's claim came and went between the two weekly runs: not a change of the week
    assert BLOOMZ not in {c.repo_id for c in got.all()}
    assert got.new_models == 0 and got.gone_models == 0

    w48 = build_washing_report(engine, "2026-W48")
    expected = expected_changes(history, 3, 4)
    assert {c.repo_id for c in w48.changes.new_flags} == expected["new flags"] == {ACME}
    assert w48.changes.new_flags[0].direction == "new model"
    assert {c.repo_id for c in w48.changes.cleared_flags} == expected["cleared flags"] == set()
    assert not w48.changes.label_changes and not w48.changes.licence_changes
    assert w48.changes.new_models == 2


def test_organisations_and_licence_laundering(history, engine):
    report = build_washing_report(engine, "2026-W48", top_organisations=5)
    rows = sql(
        history,
        "SELECT m.author, COUNT(*), SUM(COALESCE(o.downloads, 0)), SUM(l.open_washing) FROM observations o "
        "JOIN models m ON m.repo_id = o.repo_id JOIN labels l ON l.version_id = o.version_id "
        "WHERE o.run_id = 4 GROUP BY m.author ORDER BY 3 DESC, 1 LIMIT 5",
    )
    assert [(o.organisation, o.models, o.downloads, o.flagged) for o in report.organisations] == [tuple(r) for r in rows]
    for org in report.organisations:
        assert sum(org.label_counts.values()) == org.models

    pairs = {(p.derivative_id, p.base_id): p for p in report.laundering}
    assert (ACME, LLAMA_BASE) in pairs
    acme = pairs[(ACME, LLAMA_BASE)]
    assert (acme.derivative_licence, acme.derivative_family, acme.base_licence, acme.base_family) == ("Apache-2.0", "osi-permissive", "llama3.2", "vendor-community")
    # every pair really is looser-than-base, and every such pair is listed
    declared = sql(
        history,
        "SELECT o.repo_id, vb.base_id, e.licence_family, be.licence_family FROM observations o "
        "JOIN version_bases vb ON vb.version_id = o.version_id JOIN evidence e ON e.version_id = o.version_id "
        "JOIN models bm ON bm.repo_id = vb.base_id JOIN evidence be ON be.version_id = bm.current_version_id WHERE o.run_id = 4",
    )
    rank = {"osi-permissive": 4, "open-data": 4, "osi-copyleft": 3, "use-restricted": 2, "vendor-community": 2, "non-commercial": 1, "unknown": 0}
    assert set(pairs) == {(d, b) for d, b, fam, base_fam in declared if rank[fam] > rank[base_fam]}


def test_a_base_link_removed_while_the_report_reads_drops_its_pair(engine, monkeypatch):
    from reports import run_view

    with engine.connect() as conn:
        before = run_view.laundering(conn, 4)
    assert any((p.derivative_id, p.base_id) == (ACME, LLAMA_BASE) for p in before)
    relations = run_view.relations

    def one_removed(cursor, version_ids):  # a crawl writing between the report's two reads
        return {key: r for key, r in relations(cursor, version_ids).items() if key[1] != LLAMA_BASE}

    monkeypatch.setattr(run_view, "relations", one_removed)
    with engine.connect() as conn:
        after = run_view.laundering(conn, 4)
    assert after == [p for p in before if p.base_id != LLAMA_BASE]


# --- the files --------------------------------------------------------------------------------


def test_written_files_carry_the_same_numbers(history, engine, tmp_path):
    files = write_washing_report(engine, tmp_path, week="2026-W46")
    assert files["html"].name == "washing-2026-W46.html"
    report = build_washing_report(engine, "2026-W46")
    state = run_state(history, 3)

    with files["csv"].open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["repo_id"] for r in rows] == [f.repo_id for f in report.flagged]
    assert {r["repo_id"] for r in rows} == {m for m, x in state.items() if x["flagged"]}
    phi = next(r for r in rows if r["repo_id"] == PHI)
    assert phi["claim"] == CLAIM.format(name="Phi-3.5-mini") and phi["new_this_week"] == "true"
    assert int(phi["downloads"]) == state[PHI]["downloads"]

    with files["changes_csv"].open(newline="", encoding="utf-8") as fh:
        changes = list(csv.DictReader(fh))
    assert {(r["kind"], r["repo_id"]) for r in changes} >= {("new flag", PHI), ("cleared flag", FALCON), ("label change", QWEN), ("licence change", QWEN)}
    licence = next(r for r in changes if r["kind"] == "licence change" and r["repo_id"] == QWEN)
    assert (licence["before"], licence["after"], licence["direction"]) == ("Apache-2.0", "CC-BY-NC-4.0", "tighter")

    soup = BeautifulSoup(files["html"].read_text(encoding="utf-8"), "html.parser")
    numbers = soup.select_one("#headline .numbers").get_text(" ", strip=True)
    assert f"{len(state)} models crawled" in numbers
    flagged = sum(x["flagged"] for x in state.values())
    assert f"{flagged} flagged for open-washing ({100 * flagged / len(state):.1f}%)" in numbers
    shares = {tr.find_all("td")[0].get_text(): tr.find_all("td")[1].get_text() for tr in soup.select("#label-shares tbody tr")}
    assert shares == {label: str(n) for label, n in {**{s.label: 0 for s in report.summary.labels}, **Counter(x["label"] for x in state.values())}.items()}
    assert [a.get_text() for a in soup.select("#flagged-table tbody td:nth-of-type(2) a")] == [f.repo_id for f in report.flagged]
    assert [a.get_text() for a in soup.select("#new-flags tbody a")] == [c.repo_id for c in report.changes.new_flags]
    assert [a.get_text() for a in soup.select("#cleared-flags tbody a")] == [c.repo_id for c in report.changes.cleared_flags]
    assert QWEN in soup.select_one("#licence-changes").get_text()
    assert len(soup.select("svg.chart")) == 4 and soup.select("svg.labels-over-time rect.segment")

    md = files["markdown"].read_text(encoding="utf-8")
    assert f"- Models crawled: **{len(state)}**" in md
    assert f"[{PHI.replace('_', chr(92) + '_')}](https://huggingface.co/{PHI})" in md
    assert "### Licence changes (the rug-pull feed: tightened licences first) (1)" in md
    for name in ("chart_labels", "chart_labels_weighted", "chart_flagged", "chart_organisations"):
        assert files[name].read_text().lstrip().startswith("<?xml") and f"]({files[name].name})" in md


def test_untrusted_card_text_is_escaped_everywhere(engine, tmp_path):
    files = write_washing_report(engine, tmp_path, week="2026-W48")
    html = files["html"].read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;window.__pwned = 2&#34;&gt;" in html
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["script", "img", "iframe", "object", "embed"])
    assert not [(tag.name, attr) for tag in soup.find_all(True) for attr in tag.attrs if attr.lower().startswith("on")]
    # the payload is there, as text a reader can see
    row = next(tr for tr in soup.select("#flagged-table tbody tr") if tr.find("a").get_text() == ACME)
    claim = row.select_one("td.claim").get_text()
    assert SCRIPT_PAYLOAD in claim and IMG_PAYLOAD in claim
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert "default-src 'none'" in csp and "script-src" not in csp

    md = files["markdown"].read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;window.\\_\\_pwned = 1&lt;/script&gt;" in md
    for path in (p for key, p in files.items() if key.startswith("chart_")):
        assert "<script" not in path.read_text().lower()


# --- the trend report -------------------------------------------------------------------------


def test_trend_tiers_months_and_crawl_dates(history, engine, dev_hub_data, tmp_path):
    tiers = (Tier("all", "all models"), Tier("over-100000", "more than 100,000 downloads", min_downloads=100_000), Tier("top-5", "top 5", top=5))
    report = build_trend_report(engine, tiers=tiers)
    assert report.run.id == 4
    assert report.crawl_dates() == ["2026-11-02", "2026-11-10", "2026-11-13", "2026-11-24"]

    latest = run_state(history, 4)
    created = dict(sql(history, "SELECT repo_id, SUBSTR(created_at, 1, 7) FROM models"))
    members = {
        "all": set(latest),
        "over-100000": {m for m, x in latest.items() if x["downloads"] > 100_000},
        "top-5": set(sorted(latest, key=lambda m: (-latest[m]["downloads"], m))[:5]),
    }
    assert QWEN in members["top-5"]  # its downloads jumped before run 4
    no_licence = {m for m, x in latest.items() if x["licence"] in (None, "unknown")}
    assert UNLICENSED in no_licence
    with_datasets = {r[0] for r in sql(history, "SELECT o.repo_id FROM observations o JOIN version_datasets d ON d.version_id = o.version_id WHERE o.run_id = 4")}
    for tier, models in members.items():
        months = Counter(created[m] for m in models)
        got = {x.key: x for x in report.by_month if x.tier == tier}
        assert {k: x.models for k, x in got.items()} == dict(months), tier
        for month, x in got.items():
            in_month = [m for m in models if created[m] == month]
            assert x.label_counts == dict(Counter(latest[m]["label"] for m in in_month))
            assert x.facts["no_licence"] == len(no_licence & set(in_month))
            assert x.facts["datasets"] == len(with_datasets & set(in_month))
        crawl = report.latest(tier)
        assert crawl.models == len(models)
        assert crawl.label_counts == dict(Counter(latest[m]["label"] for m in models))

    # by crawl date: Qwen counts as Open Weights on 2026-11-02 and as Weights Available from 2026-11-10 on
    first, second = report.slice("crawl", "all", "2026-11-02"), report.slice("crawl", "all", "2026-11-10")
    assert second.label_counts.get("Open Weights", 0) == first.label_counts.get("Open Weights", 0) - 1
    assert second.label_counts.get("Weights Available", 0) == first.label_counts.get("Weights Available", 0) + 1

    since = build_trend_report(engine, since="2026-11-10", tiers=tiers)
    assert since.crawl_dates() == ["2026-11-10", "2026-11-13", "2026-11-24"]
    november = since.slice("month", "all", "2026-11")
    assert since.months() == ["2026-11"] and november.models == 2
    assert november.label_counts == dict(Counter(latest[m]["label"] for m in (ACME, UNLICENSED)))
    assert november.facts["no_licence"] == 1 and november.fact_share("no_licence") == 50.0
    with pytest.raises(ReportError, match="no finished crawl since"):
        build_trend_report(engine, since="2027-01-01")

    files = write_trend_report(engine, tmp_path, tiers=tiers)
    with files["by_month_csv"].open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["tier"], r["creation_month"], int(r["models"])) for r in rows} == {(x.tier, x.key, x.models) for x in report.by_month}
    soup = BeautifulSoup(files["html"].read_text(encoding="utf-8"), "html.parser")
    assert not soup.find_all("script")
    assert len(soup.select("svg.chart")) == 3 * len(tiers) + 2
    latest_rows = [tr.find_all("td")[1].get_text() for tr in soup.select("#latest-table tbody tr")]
    assert latest_rows == [str(len(members[t.key])) for t in tiers]


def test_default_trend_tiers_and_cli(history, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", "trends", "--db", str(history), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    html = next(out.glob("trends-2026-11-24.html"))
    assert str(html) in printed
    text = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "more than 1,000 downloads" in text and "top 1,000 by downloads" in text

    assert main(["report", "washing", "--db", str(history), "--week", "2026-W46", "--out", str(out)]) == 0
    assert (out / "washing-2026-W46.html").exists() and "washing-2026-W46.md" in capsys.readouterr().out
    assert main(["report", "washing", "--db", str(history), "--week", "2026-W47", "--out", str(out)]) == 2
    assert "no finished crawl in week 2026-W47" in capsys.readouterr().err
    assert main(["report", "washing", "--db", str(tmp_path / "missing.db"), "--out", str(out)]) == 2
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()
