"""Issue 15: the first full sweep fetches and labels the most-downloaded models first.

Against the loopback Hub with the real huggingface_hub client; kills are real SIGKILLs of a crawl
process at exact failpoints (HUBSCAN_FAILPOINT), as in test_nightly.py.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.listing import ListingQuery
from crawler.sweep_order import POPULARITY_SORT, InterimLabels, Walk, plan, resume_point, start_url
from hubscan.cli import main
from replayhub import HubState

ROOT = Path(__file__).resolve().parents[1]
PAGE = 5  # the replay hub caps listing pages at 5: 23 models are 5 pages
N = 23


def card(licence: str) -> str:
    return f"---\nlicense: {licence}\n---\n# A model\n\nWeights and a card, nothing else.\n"


def hub_state(seed: int = 1) -> HubState:
    """N models whose downloads order is unrelated to their creation (default listing) order."""
    downloads = random.Random(seed).sample(range(10, 10_000), N)
    licences = ["mit", "apache-2.0", "llama3.1", "cc-by-nc-4.0", "gemma"]
    return HubState.from_fixture({"models": [
        {"id": f"org{i % 4}/model-{i:02d}", "downloads": downloads[i], "cardData": {"license": licences[i % 5]},
         "files": {"README.md": card(licences[i % 5]), "model.safetensors": 1000 + i}}
        for i in range(N)
    ]})


def by_popularity(state: HubState) -> list[str]:
    """What the Hub calls most downloaded first (ties: oldest first)."""
    return [snap.repo_id for _key, snap in state.scan("model", "downloads")]


def readme_requests(hub) -> list[str]:
    """Repo ids whose README was fetched, in the order the hub answered them."""
    return ["/".join(r.path.split("/")[1:3]) for r in hub.requests if r.kind == "models.resolve" and r.path.endswith("/README.md")]


def rows(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def crawl_process(hub, db: Path, *extra: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "HUBSCAN_RETRY_BASE_SECONDS": "0.01", **env}
    args = ["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--workers", "1", *extra]
    return subprocess.run([sys.executable, "-m", "hubscan", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)


def fetched(db: Path) -> set[str]:
    return {r[0] for r in rows(db, "SELECT repo_id FROM model_versions WHERE readme_status != 'pending'")}


def labelled(db: Path) -> set[str]:
    return {r[0] for r in rows(db, "SELECT v.repo_id FROM labels l JOIN model_versions v ON v.id = l.version_id")}


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")


def test_the_first_sweep_fetches_cards_most_downloaded_first_and_later_sweeps_keep_their_order(tmp_path, replay_hub):
    state = hub_state()
    hub = replay_hub(state, max_page_size=PAGE)
    db = tmp_path / "first.db"
    popular = by_popularity(state)
    assert popular != [snap.repo_id for _k, snap in state.scan("model")]  # the orders differ

    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--no-analyse", "--workers", "1"]) == 0
    assert readme_requests(hub) == popular  # one README each, most downloaded first
    sorts = [r.query.get("sort", [None])[-1] for r in hub.requests if r.kind == "models.list"]
    pages = -(-N // PAGE)
    # the popularity walk, then the completion walk in the default order (which fetches nothing new)
    assert sorts == [POPULARITY_SORT] * pages + [None] * pages
    assert rows(db, "SELECT status, full_sweep, mode, models_seen FROM runs") == [("ok", 1, "full", N)]
    assert rows(db, "SELECT COUNT(*) FROM observations") == [(N,)]

    # every later sweep as before: a full sweep in the default order, one walk, nothing re-fetched ...
    hub.reset_counts()
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--no-analyse"]) == 0
    assert [r.query.get("sort") for r in hub.requests if r.kind == "models.list"] == [None] * pages
    assert hub.count("models.resolve") == 0
    # ... and an incremental one by lastModified, stopping at the high-water mark
    changed = popular[-1]
    state.set_file(changed, "README.md", card("mit") + "\nUpdated.\n")
    hub.reset_counts()
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--no-analyse"]) == 0
    assert {tuple(r.query.get("sort", [])) for r in hub.requests if r.kind == "models.list"} == {("lastModified",)}
    assert readme_requests(hub) == [changed]
    assert rows(db, "SELECT mode, full_sweep FROM runs ORDER BY id") == [("full", 1), ("full", 1), ("incremental", 0)]


def test_a_later_full_sweep_runs_no_interim_analysis(tmp_path, replay_hub):
    hub = replay_hub(hub_state(), max_page_size=PAGE)
    db = tmp_path / "later.db"
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--no-analyse"]) == 0
    hub.state.update("org1/model-01", downloads=1)
    # an interim analysis would hit the failpoint and die; the second full sweep labels once, at its end
    done = crawl_process(hub, db, HUBSCAN_FAILPOINT="interim-analysis", HUBSCAN_INTERIM_ANALYSIS_SECONDS="0")
    assert done.returncode == 0, done.stderr
    assert labelled(tmp_path / "later.db") == {f"org{i % 4}/model-{i:02d}" for i in range(N)}


@pytest.mark.parametrize(
    ("failpoint", "every", "cards"),
    [
        # labelling after every page: killed as page 4 is stored, the 3 pages before are fetched and labelled
        ("page-committed:4", "0", 3 * PAGE),
        # the default pace (1, 2, 4, ... pages): killed just after the third interim analysis (page 4)
        ("interim-analysed:3", "", 4 * PAGE),
    ],
)
def test_a_first_crawl_killed_after_n_cards_has_labelled_exactly_the_n_most_downloaded(tmp_path, replay_hub, failpoint, every, cards):
    state = hub_state(seed=2)
    hub = replay_hub(state, max_page_size=PAGE)
    db = tmp_path / "killed.db"
    killed = crawl_process(hub, db, HUBSCAN_FAILPOINT=failpoint, HUBSCAN_INTERIM_ANALYSIS_SECONDS=every)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    top = set(by_popularity(state)[:cards])
    assert fetched(db) == top
    assert labelled(db) == top
    assert rows(db, "SELECT status, analysis FROM runs") == [("running", "pending")]

    resumed = crawl_process(hub, db)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stdout
    assert labelled(db) == fetched(db) == set(by_popularity(state))
    assert rows(db, "SELECT status, analysis FROM runs") == [("ok", "done")]


def test_a_resumed_first_crawl_keeps_the_order_and_misses_nothing_while_downloads_change(tmp_path, replay_hub):
    state = hub_state(seed=3)
    hub = replay_hub(state, max_page_size=PAGE)
    db = tmp_path / "resumed.db"
    before = by_popularity(state)
    killed = crawl_process(hub, db, "--no-analyse", HUBSCAN_FAILPOINT="page-committed:3")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert readme_requests(hub) == before[: 2 * PAGE]  # page 3 is stored, its READMEs not yet fetched

    # while the crawl was down, the Hub's download counts moved: a model the walk had not reached
    # becomes the most downloaded (the cursor is past its new place: the popularity walk never shows
    # it again), and one already fetched falls to the bottom (the popularity walk shows it twice)
    risen, fallen = before[-2], before[0]
    state.update(risen, downloads=1_000_000)
    state.update(fallen, downloads=0)

    resumed = crawl_process(hub, db, "--no-analyse")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stdout
    # the stored page first, then the rest in popularity order; the risen model by the completion walk
    rest = [r for r in by_popularity(state) if r not in before[: 3 * PAGE] and r != risen]
    assert readme_requests(hub) == before[: 3 * PAGE] + rest + [risen]
    # no gap, no duplicate: every model stored, fetched and observed once, none called disappeared
    everyone = set(before)
    assert fetched(db) == everyone
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT repo_id) FROM model_versions") == [(N, N)]
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT repo_id) FROM observations") == [(N, N)]
    assert rows(db, "SELECT COUNT(*) FROM models WHERE status = 'disappeared'") == [(0,)]
    assert rows(db, "SELECT id, status, full_sweep, models_seen FROM runs") == [(1, "ok", 1, N)]
    # the observation keeps what the Hub said last: the fallen model was listed again after its fall
    assert rows(db, "SELECT downloads FROM observations WHERE repo_id = ?", fallen) == [(0,)]


# --- the plan and the pace, as data ---------------------------------------------------------------


def test_only_the_first_unfiltered_full_sweep_walks_by_popularity():
    everything = ListingQuery()
    assert plan(everything, "full", first=True, stop_at=None) == [Walk(ListingQuery(sort="downloads")), Walk(everything)]
    assert plan(everything, "full", first=False, stop_at=None) == [Walk(everything)]
    assert plan(everything, "incremental", first=True, stop_at="2026-12-01") == [Walk(ListingQuery(sort="lastModified"), "2026-12-01")]
    for partial in (ListingQuery(author="org"), ListingQuery(search="bert"), ListingQuery(limit=10)):
        assert plan(partial, "full", first=True, stop_at=None) == [Walk(partial)]


def test_a_stored_cursor_resumes_the_walk_it_belongs_to():
    walks = plan(ListingQuery(), "full", first=True, stop_at=None)
    assert resume_point(walks, None) == 0
    assert resume_point(walks, "http://hub/api/models?limit=1000&sort=downloads&cursor=abc") == 0
    assert resume_point(walks, "http://hub/api/models?limit=1000&cursor=abc") == 1
    assert resume_point(walks, start_url("http://hub/", walks[1])) == 1
    assert "sort=" not in start_url("http://hub", walks[1]) and "cursor=" not in start_url("http://hub", walks[1])


def test_interim_analyses_double_their_spacing_and_wait_at_most_the_interval():
    now = [0.0]
    pace = InterimLabels(every_seconds=1800, clock=lambda: now[0])
    due_after = []
    for page in range(1, 17):
        pace.fetched(1000)
        now[0] += 60  # a page a minute
        if pace.due():
            due_after.append(page)
            pace.done()
    assert due_after == [1, 2, 4, 8, 16]  # cards waiting >= cards labelled: never more than half unlabelled
    for _ in range(29):  # a slow stretch: the interval decides
        pace.fetched(10)
        now[0] += 60
        assert not pace.due()
    pace.fetched(10)
    now[0] += 60
    assert pace.due()
    pace.done()
    now[0] += 7200
    assert not pace.due()  # nothing new fetched: nothing to label


def test_a_base_asked_about_before_the_walk_reaches_it_is_stored_and_fetched_once(tmp_path, replay_hub):
    """A popular fine-tune is labelled early, so its unpopular base is asked about (lineage) before the
    popularity walk lists it; the walk then lists it in a page of new models (one executemany that
    must take a row that also changes `origin`)."""
    state = hub_state(seed=4)
    # once the fine-tune is first, the base opens the last page, before four new models: the first
    # row of the page's update sets `origin`, the others do not
    base = by_popularity(state)[4 * PAGE - 1]
    state.add_repo({"id": "fans/popular-finetune", "downloads": 10**9, "cardData": {"license": "mit", "base_model": base},
                    "files": {"README.md": f"---\nlicense: mit\nbase_model: {base}\n---\n# A fine-tune\n", "model.safetensors": 10}})
    hub = replay_hub(state, max_page_size=PAGE)
    db = tmp_path / "lineage.db"
    done = crawl_process(hub, db)
    assert done.returncode == 0, done.stderr
    assert readme_requests(hub).count(base) == 1
    assert hub.count("models.info") == 1  # the base, asked about once, before the walk listed it
    assert rows(db, "SELECT origin, status FROM models WHERE repo_id = ?", base) == [("listing", "active")]
    assert rows(db, "SELECT COUNT(*) FROM model_versions WHERE repo_id = ?", base) == [(1,)]
    assert labelled(db) == set(by_popularity(state))


def test_interim_analyses_share_one_config_budget_per_run(tmp_path, replay_hub, monkeypatch):
    # a first crawl analyses several times; the config.json budget is per run, not per analysis
    from crawler.base_lookup import LineageStage

    budget = 4
    monkeypatch.setitem(LineageStage.__init__.__kwdefaults__, "config_budget", budget)
    monkeypatch.setenv("HUBSCAN_INTERIM_ANALYSIS_SECONDS", "0")
    state = HubState.from_fixture({"models": [
        {"id": f"org/open-{i:02d}", "downloads": 100 * (N - i), "cardData": {"license": "mit"},
         "files": {"README.md": card("mit"), "model.safetensors": 1000 + i, "config.json": '{"model_type": "bert"}'}}
        for i in range(N)
    ]})
    hub = replay_hub(state, max_page_size=PAGE)
    db = tmp_path / "h.db"
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--workers", "1"]) == 0
    configs = [r for r in hub.requests if r.kind == "models.resolve" and r.path.endswith("/config.json")]
    assert len(configs) == budget
    assert len(rows(db, "SELECT * FROM version_files WHERE path = 'config.json'")) == budget
