"""Issue 15: the weekly report's fast path (the changed models found in one pass, flags and the leading
organisations from sets and indexes) says what a from-scratch recomputation says, on SQLite and
PostgreSQL.

The history is written straight into the tables (five runs over three ISO weeks): models get new
versions with new labels and licences, unchanged versions are relabelled (a base changed), one version
is first labelled two runs after it was seen, some versions have no label events at all (a database
from before them), models appear, vanish and come back, a few are private, one has no organisation,
derivatives declare bases (verified or not, public or private). The recomputation below reads every
row into Python and applies the report's rules directly: no SQL beyond `SELECT *`.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))
from backends import BACKENDS, fresh_database, postgres_server  # noqa: E402,F401 (fixtures)

from classify.rules import RANK  # noqa: E402
from classify.washing import WashingReason, reason_text  # noqa: E402
from extract.licence_catalog import OPENNESS_RANK  # noqa: E402
from reports import changes as ch  # noqa: E402
from reports import run_view as rv  # noqa: E402
from reports.scope import private_repos  # noqa: E402
from reports.washing_report import build_washing_report  # noqa: E402
from store import rollups  # noqa: E402
from store import schema as s  # noqa: E402
from store.db import open_engine  # noqa: E402

DAYS = ("2026-11-16", "2026-11-23", "2026-11-25", "2026-11-30", "2026-12-02")  # W47, W48, W48, W49, W49
LABELS = ("No Weights", "Weights Available", "Open Weights", "Open Source", "Open Source and Open Data")
LICENCES = (("apache-2.0", "osi-permissive"), ("mit", "osi-permissive"), ("llama3.1", "vendor-community"),
            ("cc-by-nc-4.0", "non-commercial"), ("openrail", "use-restricted"), (None, "unknown"))
AUTHORS = ("alpha", "beta", "gamma", "delta", "epsilon", None)


def _reasons(rng: random.Random, flagged: bool) -> list:
    if not flagged:
        return []
    if rng.random() < 0.5:  # a typed reason that quotes its claim
        return [{"code": "W-OS", "detail": "claims open source", "claim_kind": "open-source", "quote": f"Fully open source {rng.randrange(99)}.", "source": "card"}]
    return [rng.choice(("W-OW: an open-weights claim under a restrictive licence", "W-LAUNDER: looser than its base"))]


def build_history(url: str, models: int = 90, seed: int = 15) -> None:
    rng = random.Random(seed)
    rows: dict[str, list] = {k: [] for k in ("runs", "models", "versions", "evidence", "labels", "events", "observations", "bases")}
    for i, day in enumerate(DAYS, 1):
        rows["runs"].append({"id": i, "started_at": f"{day}T06:00:00+00:00", "status": "ok", "endpoint": "http://hub", "full_sweep": True, "params": {}})
    next_version, next_event = [0], [0]
    label_row: dict[int, dict] = {}

    def event(version: int, run: int | None, label: str, flagged: bool, reasons: list) -> None:
        next_event[0] += 1
        rows["events"].append({"id": next_event[0], "version_id": version, "run_id": run, "recorded_at": "2026-12-03", "label": label,
                               "rule": "L1", "rule_version": "test", "open_washing": flagged, "washing_reasons": reasons})

    def version(repo: str, run: int, events: str = "now") -> int:
        next_version[0] += 1
        v = next_version[0]
        licence, family = rng.choice(LICENCES)
        claims = [{"about_self": True, "kind": rng.choice(("open-source", "open-weights")), "sentence": f"We release {repo} openly.", "source": "card"}]
        rows["versions"].append({"id": v, "repo_id": repo, "sha": f"{v:040x}", "first_seen_run": run, "metadata": {}, "readme_status": "ok"})
        rows["evidence"].append({"version_id": v, "extractor_version": 1, "inputs_digest": "d", "extracted_at": "2026-12-03", "licence": licence,
                                 "licence_family": family, "data": {"claims": {"claims": claims if rng.random() < 0.7 else []},
                                                                    "licence": {"name": licence}, "padding": "x" * 50}})
        label, flagged = rng.choice(LABELS), rng.random() < 0.3
        reasons = _reasons(rng, flagged)
        label_row[v] = {"version_id": v, "rule_version": "test", "extractor_version": 1, "inputs_digest": "d", "classified_at": "2026-12-03",
                        "label": label, "rule": "L1", "open_washing": flagged, "washing_reasons": reasons, "explanation": {"gates": [
                            {"name": "weights", "rule": "L1", "passed": not flagged, "reason": "terms"}]}}
        if events == "now":
            event(v, run, label, flagged, reasons)
        elif events == "later":  # seen unlabelled, first labelled two runs on
            event(v, min(run + 2, len(DAYS)), label, flagged, reasons)
        return v

    repos = [f"{AUTHORS[i % len(AUTHORS)] or 'solo'}/model-{i:03d}" for i in range(models)]
    current: dict[str, int] = {}
    present: dict[str, set[int]] = {}
    for i, repo in enumerate(repos):
        first = 4 if i % 15 == 3 else 1  # a few models appear in the report's week
        rows["models"].append({"repo_id": repo, "author": AUTHORS[i % len(AUTHORS)], "status": "active", "gated": "false",
                               "private": i % 11 == 5, "disabled": False, "first_seen_run": first})
        current[repo] = version(repo, first, events="none" if i % 10 == 7 else "later" if i % 13 == 2 else "now")
        runs = set(range(first, len(DAYS) + 1))
        if i % 17 == 4:
            runs -= {4, 5}  # gone in the report's week
        if i % 19 == 6:
            runs -= {4}  # missed one crawl, back for the report's
        present[repo] = runs
    downloads = {repo: rng.randrange(0, 5000) for repo in repos}
    for run in range(1, len(DAYS) + 1):
        if run > 1:
            for repo in rng.sample(repos, 14):  # new versions
                if run >= min(present[repo]):
                    current[repo] = version(repo, run, events="later" if rng.random() < 0.1 else "now")
            for repo in rng.sample(repos, 8):  # relabelled, same version (its base or a dataset changed)
                v = current[repo]
                label, flagged = rng.choice(LABELS), rng.random() < 0.4
                reasons = _reasons(rng, flagged)
                event(v, run, label, flagged, reasons)
                label_row[v].update(label=label, open_washing=flagged, washing_reasons=reasons)
        for repo in repos:
            if run in present[repo]:
                rows["observations"].append({"run_id": run, "repo_id": repo, "version_id": current[repo], "downloads": downloads[repo] + run, "likes": 0})
    for i, repo in enumerate(repos):  # derivatives declare bases: verified or not, public or private
        if i % 4 == 1:
            base = repos[(i * 7) % models]
            if base != repo:
                rows["bases"].append({"version_id": current[repo], "base_id": base, "relation": "finetune", "base_key": base.lower(),
                                      "status": rng.choice(("ok", "ok", "pending", "missing", None))})
    for row in rows["models"]:
        row["current_version_id"] = current[row["repo_id"]]
    latest = {o["repo_id"]: o for o in rows["observations"]}  # each model's newest observation, as the crawl keeps it
    rows["latest"] = [{k: o[k] for k in ("repo_id", "run_id", "version_id", "downloads", "likes")} for o in latest.values()]
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            for table, key in ((s.runs, "runs"), (s.models, "models"), (s.model_versions, "versions"), (s.evidence, "evidence"),
                               (s.labels, None), (s.label_events, "events"), (s.observations, "observations"), (s.model_latest, "latest"),
                               (s.version_bases, "bases")):
                conn.execute(table.insert(), list(label_row.values()) if key is None else rows[key])
    finally:
        engine.dispose()


# --- the recomputation ----------------------------------------------------------------------


def _all(conn, table) -> list:
    return list(conn.execute(select(table)).mappings())


def recompute(conn, current: int, previous: int, include_private: bool) -> dict:
    models = {m["repo_id"]: m for m in _all(conn, s.models)}
    labels = {r["version_id"]: r for r in _all(conn, s.labels)}
    evidence = {r["version_id"]: r for r in _all(conn, s.evidence)}
    events: dict[int, list] = {}
    for e in sorted(_all(conn, s.label_events), key=lambda e: e["id"]):
        events.setdefault(e["version_id"], []).append(e)
    obs: dict[int, dict[str, dict]] = {}
    for o in _all(conn, s.observations):
        obs.setdefault(o["run_id"], {})[o["repo_id"]] = o
    shown = lambda repo: include_private or not models[repo]["private"]  # noqa: E731

    def facts(v: int, run: int):
        history = events.get(v, [])
        upto = [e for e in history if e["run_id"] is not None and e["run_id"] <= run]
        source = (upto[-1] if upto else history[0]) if history else labels.get(v)
        ev = evidence.get(v) or {}
        if source is None:
            return None, False, (), ev.get("licence"), ev.get("licence_family")
        return source["label"], bool(source["open_washing"]), tuple(reason_text(x) for x in source["washing_reasons"] or ()), ev.get("licence"), ev.get("licence_family")

    def first(reasons):
        return reasons[0] if reasons else ""

    order = lambda o: (-(o["downloads"] or 0), o["repo_id"])  # noqa: E731
    now, before = obs[current], obs[previous]
    new_flags, cleared, label_changes, licences, new_models = [], [], [], [], 0
    for o in sorted((o for o in now.values() if shown(o["repo_id"])), key=order):
        repo, nv, p = o["repo_id"], o["version_id"], before.get(o["repo_id"])
        relabelled = any(e["run_id"] is not None and previous < e["run_id"] <= current for e in events.get(nv, []))
        if p is not None and p["version_id"] == nv and not relabelled:
            continue
        author, dl = models[repo]["author"], o["downloads"] or 0
        a = facts(nv, current)
        if p is None:
            new_models += 1
            if a[1]:
                new_flags.append(ch.Change(ch.NEW_FLAG, repo, author, dl, None, a[0], "new model", first(a[2])))
            continue
        b = facts(p["version_id"], previous)
        if a[1] and not b[1]:
            new_flags.append(ch.Change(ch.NEW_FLAG, repo, author, dl, None, a[0], "new version" if p["version_id"] != nv else "relabelled", first(a[2])))
        if b[1] and not a[1]:
            cleared.append(ch.Change(ch.CLEARED_FLAG, repo, author, dl, b[0], a[0], "flag cleared", first(b[2])))
        if b[0] != a[0] and None not in (a[0], b[0]):
            up = "changed" if a[0] not in RANK or b[0] not in RANK else "up" if RANK[a[0]] > RANK[b[0]] else "down"
            if b[3] != a[3]:
                detail = f"licence {b[3] or 'none'} → {a[3] or 'none'}"
            elif p["version_id"] == nv:
                detail = f"relabelled, same version and licence ({a[3] or 'none'}): its base, a linked dataset or the rules changed"
            else:
                detail = f"new version, same licence ({a[3] or 'none'})"
            label_changes.append(ch.Change(ch.LABEL_CHANGE, repo, author, dl, b[0], a[0], up, detail))
        if b[3] != a[3]:
            rb, ra = OPENNESS_RANK.get(b[4] or "unknown"), OPENNESS_RANK.get(a[4] or "unknown")
            way = "same openness" if ra is None or rb is None or ra == rb else "looser" if ra > rb else "tighter"
            licences.append(ch.Change(ch.LICENCE_CHANGE, repo, author, dl, b[3], a[3], way, f"{b[4] or 'unknown'} → {a[4] or 'unknown'}; label {b[0]} → {a[0]}"))
    gone = sorted((o for o in before.values() if o["repo_id"] not in now and shown(o["repo_id"])), key=order)
    for o in gone:
        b = facts(o["version_id"], previous)
        if b[1]:
            cleared.append(ch.Change(ch.CLEARED_FLAG, o["repo_id"], models[o["repo_id"]]["author"], o["downloads"] or 0, b[0], None, "no longer listed", first(b[2])))
    licences.sort(key=lambda c: (c.direction != "tighter", -c.downloads, c.repo_id))
    changes = ch.Changes(previous, current, tuple(new_flags), tuple(cleared), tuple(label_changes), tuple(licences), new_models, len(gone))

    flagged = []
    for o in sorted((o for o in now.values() if shown(o["repo_id"])), key=order):
        lab = labels.get(o["version_id"])
        if lab is None or not lab["open_washing"]:
            continue
        typed = [WashingReason.from_stored(x) for x in lab["washing_reasons"] or ()]
        ev = evidence.get(o["version_id"]) or {}
        claim, source = rv._quoted_claim(typed) or rv._claim(ev.get("data") or {}, rv._codes(typed), ev.get("licence"))
        flagged.append((o["repo_id"], models[o["repo_id"]]["author"], lab["label"], ev.get("licence"), o["downloads"] or 0, rv._codes(typed), claim,
                        source, rv._falls_short(_failed_gates(lab["explanation"]), typed), tuple(rv._bounded(str(x), 600) for x in typed)))

    def organisations(run: int, public_only: bool) -> dict:
        out: dict = {}
        for o in obs[run].values():
            if (public_only and models[o["repo_id"]]["private"]) or not (public_only or shown(o["repo_id"])):
                continue
            org = out.setdefault(models[o["repo_id"]]["author"], {"models": 0, "downloads": 0, "flagged": 0, "labels": {}})
            lab = labels.get(o["version_id"])
            org["models"] += 1
            org["downloads"] += o["downloads"] or 0
            org["flagged"] += bool(lab and lab["open_washing"])
            if lab is not None:
                org["labels"][lab["label"]] = org["labels"].get(lab["label"], 0) + 1
        return out

    unverified = {o["version_id"] for o in now.values() if shown(o["repo_id"])} & {
        b["version_id"] for b in _all(conn, s.version_bases) if (b["status"] or "pending") != "ok"}
    laundering = []
    for o in sorted((o for o in now.values() if shown(o["repo_id"])), key=order):
        for b in sorted((b for b in _all(conn, s.version_bases) if b["version_id"] == o["version_id"]), key=lambda b: b["base_id"]):
            base = models.get(b["base_id"])
            if base is None or base["private"] and not include_private or o["version_id"] not in evidence:
                continue
            base_version = now[b["base_id"]]["version_id"] if b["base_id"] in now else base["current_version_id"]
            dv, bv = evidence[o["version_id"]], evidence.get(base_version)
            if bv is None:
                continue
            rd, rb = OPENNESS_RANK.get(dv["licence_family"]), OPENNESS_RANK.get(bv["licence_family"])
            if rd is not None and rb is not None and rd > rb:
                lab = labels.get(o["version_id"])
                laundering.append((b["base_id"], bv["licence"], bv["licence_family"], o["repo_id"], dv["licence"], dv["licence_family"],
                                   b["relation"], lab["label"] if lab else None, o["downloads"] or 0))
    return {"private": {r: bool(m["private"]) for r, m in models.items()}, "changes": changes, "flagged": flagged, "organisations": organisations, "unverified": len(unverified), "laundering": laundering}


# the newest week (its run read from `model_latest`) and the one before (from `observations`)
WEEKS = {"2026-W49": (5, 3, (("2026-W47", 1), ("2026-W48", 3), ("2026-W49", 5))), "2026-W48": (3, 1, (("2026-W47", 1), ("2026-W48", 3)))}


def _failed_gates(explanation) -> list[str]:
    """The reference's reading of an explanation's failed gates (as the flagged list did before it
    decoded only the gist: tests/test_explanation_gist.py pins the two together)."""
    return [f"{g.get('name')} gate ({g.get('rule')}): {g.get('reason')}" for g in (explanation or {}).get("gates", []) if not g.get("passed")]


@pytest.mark.parametrize("week", WEEKS)
@pytest.mark.parametrize("include_private", (False, True))
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_weekly_report_equals_its_recomputation_from_the_tables(backend, include_private, week, request, tmp_path):
    current, previous, weeks = WEEKS[week]
    with fresh_database(backend, tmp_path, request) as url:
        build_history(url)
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                assert (rv.observed(conn, current) is s.model_latest) == (week == "2026-W49")
            with private_repos(include_private):
                report = build_washing_report(engine, week)
            assert report.week == week and report.run.id == current and report.previous[1].id == previous
            with engine.connect() as conn:
                want = recompute(conn, current, previous, include_private)
                # two runs no report read before: no stored aggregates to count their models from
                assert rollups.stored_rollup(conn, 2) is None and rollups.stored_rollup(conn, 4) is None
                with private_repos(include_private):
                    assert ch.changes_between(conn, 2, 4) == recompute(conn, 4, 2, include_private)["changes"]
        finally:
            engine.dispose()
    changes = report.changes
    assert changes == want["changes"]
    # every kind of change occurs, so each rule above is exercised
    assert changes.new_flags and changes.cleared_flags and changes.label_changes and changes.licence_changes and changes.rug_pulls
    if week == "2026-W49":
        assert {c.direction for c in changes.new_flags} == {"new model", "new version", "relabelled"}
        assert {c.direction for c in changes.cleared_flags} == {"flag cleared", "no longer listed"}
        assert any("relabelled, same version" in c.detail for c in changes.label_changes)
        assert changes.new_models and changes.gone_models

    assert [(f.repo_id, f.organisation, f.label, f.licence, f.downloads, f.codes, f.claim, f.claim_source, f.falls_short, f.reasons)
            for f in report.flagged] == want["flagged"]
    # quoted from the reason, from the evidence's claims, and its declared licence when it quotes none
    assert {f.claim_source for f in report.flagged} >= {"open-source claim, card", "card", "licence"}

    shown = want["organisations"](current, public_only=False)
    ranked = sorted(shown.items(), key=lambda kv: (-kv[1]["downloads"], kv[0] or ""))[:20]
    assert [(o.organisation, o.models, o.downloads, o.flagged, o.label_counts) for o in report.organisations] == [
        (org, v["models"], v["downloads"], v["flagged"], v["labels"] if org is not None else {}) for org, v in ranked]
    assert None in {o.organisation for o in report.organisations}  # the models without an organisation have a row

    public = {w: want["organisations"](run, public_only=True) for w, run in weeks}
    ranked = sorted(((org, v) for org, v in public[week].items() if org is not None), key=lambda kv: (-kv[1]["downloads"], kv[0]))
    relabelled: dict[str, int] = {}
    for c in changes.label_changes:  # a scorecard is published: private models' changes never count
        if c.organisation is not None and not want["private"][c.repo_id]:
            relabelled[c.organisation] = relabelled.get(c.organisation, 0) + 1
    expected = []
    for org, v in ranked:
        trend = []
        for w, _run in weeks:
            o = public[w].get(org, {"labels": {}, "flagged": 0})
            labelled = sum(o["labels"].values())
            trend.append((w, 100.0 * o["flagged"] / labelled if labelled else None))
        expected.append((org, v["models"], v["downloads"], v["labels"], v["flagged"], relabelled.get(org, 0), tuple(trend)))
    assert [(c.organisation, c.models, c.downloads, c.label_counts, c.flagged, c.label_changes, c.trend) for c in report.scorecards] == expected

    assert [tuple(vars(p).values()) for p in report.laundering] == want["laundering"]
    assert report.laundering  # some derivative declares a looser licence than its base
    assert report.summary.unverified_lineage == want["unverified"] > 0
