"""A large crawl history written straight into the tables, for the trend report at Hub scale.

Crawling tens of thousands of models through the replay hub twenty times would take minutes; the
trend report only reads runs, models, observations, evidence, labels and the declared datasets and
bases, so these are generated directly (a fixed seed: the same history every time):

- 15,000 models created from 2021 to 2026-11, more every month (as on the Hub), 5% with the legacy
  creation month 2022-03 and 1% with no creation date;
- labels whose mix drifts over the years, downloads from a heavy-tailed distribution;
- 18 crawls up to 2026-11-30 with irregular gaps (missed weeks); at the 10th, 6% of the Open
  Weights models are relicensed to a non-commercial licence (a new version labelled Weights Available).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert

from store import schema as s
from store.db import open_engine

LABEL_MIX = {  # share per label in 2021 and in 2026; months between are interpolated
    "No Weights": (0.10, 0.06),
    "Weights Available": (0.62, 0.44),
    "Open Weights": (0.25, 0.42),
    "Open Source": (0.02, 0.05),
    "Open Source and Open Data": (0.01, 0.03),
}
CRAWL_GAPS_DAYS = (7, 7, 14, 7, 7, 7, 21, 7, 7, 7, 7, 14, 7, 7, 7, 7, 7)  # 18 crawls, with missed weeks


def crawl_dates() -> list[date]:
    days = [date(2026, 11, 30) - timedelta(days=sum(CRAWL_GAPS_DAYS))]
    for gap in CRAWL_GAPS_DAYS:
        days.append(days[-1] + timedelta(days=gap))
    return days


def build_synthetic_history(db_path: Path, models: int = 15_000, seed: int = 14) -> Path:
    rng = random.Random(seed)
    engine = open_engine(str(db_path))
    days = crawl_dates()
    months = [(y, m) for y in range(2021, 2027) for m in range(1, 13) if (y, m) <= (2026, 11)]
    weights = [1.045**i for i in range(len(months))]
    stamp = "2026-12-01T00:00:00+00:00"
    model_rows, version_rows, evidence_rows, label_rows, dataset_rows, base_rows = [], [], [], [], [], []
    created: dict[str, date | None] = {}
    versions: dict[str, list[tuple[int, int]]] = {}  # repo -> [(from run, version id)]
    downloads: dict[str, int] = {}
    next_version = 1

    def add_version(repo: str, label: str, licence: str | None, family: str, first_run: int, when: float) -> int:
        nonlocal next_version
        vid = next_version
        next_version += 1
        version_rows.append({"id": vid, "repo_id": repo, "sha": f"{vid:040x}", "first_seen_run": first_run, "metadata": {}, "readme_status": "ok"})
        open_ish = label in ("Open Source", "Open Source and Open Data")
        evidence_rows.append({
            "version_id": vid, "extractor_version": 1, "inputs_digest": "synthetic", "extracted_at": stamp,
            "licence": licence, "licence_family": family, "weights": label != "No Weights", "inference_code": True,
            "training_code": open_ish or rng.random() < 0.05 + 0.1 * when,
            "data_information": open_ish or rng.random() < 0.03 + 0.08 * when, "datasets_open": None, "data": {},
        })
        label_rows.append({
            "version_id": vid, "rule_version": "synthetic", "extractor_version": 1, "inputs_digest": "synthetic",
            "classified_at": stamp, "label": label, "rule": "synthetic", "open_washing": rng.random() < 0.02,
            "washing_reasons": [], "explanation": {},
        })
        if open_ish or rng.random() < 0.15 + 0.3 * when:
            dataset_rows.append({"version_id": vid, "dataset_id": f"data/set-{rng.randrange(500)}"})
        if rng.random() < 0.2 + 0.4 * when:
            base_rows.append({"version_id": vid, "base_id": f"base/model-{rng.randrange(300)}", "relation": "finetune"})
        return vid

    for i in range(models):
        repo = f"org-{i % 1500}/model-{i}"
        roll = rng.random()
        if roll < 0.01:
            made = None
        elif roll < 0.06:
            made = date(2022, 3, 2)
        else:
            y, m = rng.choices(months, weights)[0]
            made = date(y, m, rng.randint(1, 28))
        created[repo] = made
        when = ((made or date(2024, 1, 1)).year - 2021 + (made or date(2024, 1, 1)).month / 12) / 6
        mix = {label: a + (b - a) * min(max(when, 0.0), 1.0) for label, (a, b) in LABEL_MIX.items()}
        label = rng.choices(list(mix), list(mix.values()))[0]
        if label == "Weights Available":
            licence, family = rng.choice([("llama3", "vendor-community"), ("CC-BY-NC-4.0", "non-commercial"), ("openrail", "use-restricted"), (None, "unknown")])
        elif label == "No Weights":
            licence, family = rng.choice([("Apache-2.0", "osi-permissive"), (None, "unknown")])
        else:
            licence, family = rng.choice([("Apache-2.0", "osi-permissive"), ("MIT", "osi-permissive")])
        first_run = next((k + 1 for k, d in enumerate(days) if made is None or d >= made), None)
        if first_run is None:
            continue
        downloads[repo] = int(min(5e7, 3 * (1 / max(rng.random(), 1e-9)) ** 1.15))
        vid = add_version(repo, label, licence, family, first_run, when)
        versions[repo] = [(first_run, vid)]
        if label == "Open Weights" and first_run < 10 and rng.random() < 0.06:
            versions[repo].append((10, add_version(repo, "Weights Available", "CC-BY-NC-4.0", "non-commercial", 10, when)))
        model_rows.append({
            "repo_id": repo, "author": repo.split("/")[0], "sha": f"{versions[repo][-1][1]:040x}", "current_version_id": versions[repo][-1][1],
            "status": "active", "gated": "false", "private": False, "disabled": False,
            "created_at": made.isoformat() + "T00:00:00.000Z" if made else None, "first_seen_run": first_run,
        })
    run_rows = [{
        "id": k + 1, "started_at": f"{d.isoformat()}T06:00:00+00:00", "finished_at": f"{d.isoformat()}T07:00:00+00:00",
        "status": "ok", "endpoint": "http://127.0.0.1:1", "full_sweep": True, "params": {}, "mode": "full",
    } for k, d in enumerate(days)]
    observation_rows = []
    for k in range(1, len(days) + 1):
        for repo, history in versions.items():
            current = [vid for first, vid in history if first <= k]
            if current:
                growth = 1 + 0.02 * k
                observation_rows.append({"run_id": k, "repo_id": repo, "version_id": current[-1], "downloads": int(downloads[repo] * growth)})
    with engine.begin() as conn:
        conn.execute(insert(s.runs), run_rows)
        conn.execute(insert(s.models), model_rows)
        conn.execute(insert(s.model_versions), version_rows)
        conn.execute(insert(s.evidence), evidence_rows)
        conn.execute(insert(s.labels), label_rows)
        conn.execute(insert(s.version_datasets), dataset_rows)
        conn.execute(insert(s.version_bases), base_rows)
        conn.execute(insert(s.observations), observation_rows)
    engine.dispose()
    return db_path
