"""What lineage closure costs: API calls per model, and time, on generated hubs.

    python benchmarks/bench_lineage.py [--models 20000] [--derivatives 0.3] [--outside 0.1] [--chain 1000] [--fan 10000]

1. A generated hub of `--models` models, `--derivatives` of them fine-tunes/quantisations/adapters
   of another model; `--outside` of the bases they name are not in the listing: half renamed (the old
   id answers 307 to the current one) and half deleted (404). A full crawl asks the Hub about each of
   those once; a second crawl asks nothing again (aliases and answers are remembered).
2. A partial crawl (`--author`) of one organisation whose models derive from bases under other accounts.
3. A `--chain`-deep chain of fine-tunes of a restricted root, and a `--fan`-model fan-out: labelled in
   one crawl (time of the crawl and analysis).

Every crawl runs the real `hubscan crawl` against the loopback Hub (in this process); call counts are
read from the run rows and the Hub's request log.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

LICENCES = ("apache-2.0", "mit", "llama3.1", "gemma", "cc-by-nc-4.0", "openrail")


def repo(repo_id: str, licence: str, base: str | None = None, aliases: tuple[str, ...] = ()) -> dict:
    card = {"license": licence} | ({"base_model": base} if base else {})
    front = "".join(f"{k}: {v}\n" for k, v in card.items())
    item = {"id": repo_id, "cardData": card, "files": {"README.md": f"---\n{front}---\n# {repo_id}\n\nA model.\n", "model.safetensors": 1000}}
    if aliases:
        item["aliases"] = list(aliases)
    return item


def generated_hub(n: int, derivatives: float, outside: float, seed: int = 7) -> dict:
    rng = random.Random(seed)
    orgs = [f"org{i:03d}" for i in range(max(5, n // 200))]
    ids = [f"{rng.choice(orgs)}/model-{i:06d}" for i in range(n)]
    derived = set(rng.sample(range(1, n), int(n * derivatives)))
    models, renamed = [], {}
    for i, repo_id in enumerate(ids):
        base = None
        if i in derived:
            target = ids[rng.randrange(0, i)]  # an older model
            roll = rng.random()
            if roll < outside / 2:
                base = f"deleted/{target.split('/')[1]}-{i}"  # not on the hub at all: 404
            elif roll < outside:
                old = f"old-{target}"  # a renamed repo still named by its old id: 307
                renamed.setdefault(target, set()).add(old)
                base = old
            else:
                base = target
        models.append((repo_id, rng.choice(LICENCES), base))
    return {"models": [repo(r, lic, b, tuple(sorted(renamed.get(r, ())))) for r, lic, b in models], "datasets": []}


def crawl(hub_url: str, db: Path, *extra: str) -> float:
    from hubscan.cli import main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["crawl", "--endpoint", hub_url, "--db", str(db), "--mode", "full", *extra])
    if code != 0:
        raise SystemExit(f"crawl failed ({code})")
    return time.perf_counter() - start


def run_row(db: Path) -> tuple:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT models_seen, api_calls, lineage_calls, bases_fetched FROM runs ORDER BY id DESC LIMIT 1").fetchone()


def measure_full(n: int, derivatives: float, outside: float, tmp: Path) -> list[str]:
    from replayhub import ReplayHub
    from replayhub.state import HubState

    data = generated_hub(n, derivatives, outside)
    keys = {m["cardData"].get("base_model") for m in data["models"]} - {None}
    unlisted = {k for k in keys if k.startswith(("deleted/", "old-"))}
    lines = []
    with ReplayHub(HubState.from_fixture(data)) as hub:
        db = tmp / "full.db"
        seconds = crawl(hub.url, db)
        seen, api, lineage, stored = run_row(db)
        lines.append(f"full sweep of {n:,} models ({derivatives:.0%} derivatives, {len(unlisted):,} of {len(keys):,} distinct bases "
                     f"not in the listing): {lineage:,} base lookups = {lineage / n:.4f} API calls per model "
                     f"(listing: {api - lineage:,} calls); crawl + analysis {seconds:.0f} s")
        hub.reset_counts()
        seconds = crawl(hub.url, db)
        seen, api, lineage, stored = run_row(db)
        lines.append(f"second full sweep, nothing changed: {lineage} base lookups ({hub.count('models.info')} model-info calls); {seconds:.0f} s")
    return lines


def measure_partial(tmp: Path) -> list[str]:
    from replayhub import ReplayHub
    from replayhub.state import HubState

    data = generated_hub(5_000, 0.3, 0.1, seed=11)
    orgs = {}
    for m in data["models"]:
        if m["cardData"].get("base_model"):
            orgs[m["id"].split("/")[0]] = orgs.get(m["id"].split("/")[0], 0) + 1
    author = max(orgs, key=orgs.get)
    mine = sum(1 for m in data["models"] if m["id"].startswith(author + "/"))
    with ReplayHub(HubState.from_fixture(data)) as hub:
        db = tmp / "partial.db"
        seconds = crawl(hub.url, db, "--author", author)
        seen, api, lineage, stored = run_row(db)
    return [f"crawl --author {author} ({mine} models, {orgs[author]} derivatives): {lineage} base lookups, {stored} bases stored "
            f"to close the lineage = {lineage / mine:.3f} API calls per crawled model; {seconds:.1f} s"]


def measure_shapes(chain: int, fan: int, tmp: Path) -> list[str]:
    from replayhub import ReplayHub
    from replayhub.state import HubState

    lines = []
    models = [repo("deep/root", "llama3.1")] + [repo(f"deep/m{i:05d}", "apache-2.0", "deep/root" if i == 0 else f"deep/m{i - 1:05d}") for i in range(chain)]
    with ReplayHub(HubState.from_fixture({"models": models, "datasets": []})) as hub:
        db = tmp / "chain.db"
        seconds = crawl(hub.url, db)
        with sqlite3.connect(db) as conn:
            capped = conn.execute("SELECT COUNT(*) FROM latest_labels WHERE label = 'Weights Available' AND repo_id LIKE 'deep/m%'").fetchone()[0]
        lines.append(f"{chain:,}-deep chain of apache-2.0 fine-tunes of a Llama 3.1 root: {capped:,} capped in one crawl ({seconds:.0f} s)")
    models = [repo("fan/root", "gemma")] + [repo(f"fan/c{i:05d}", "mit", "fan/root") for i in range(fan)]
    with ReplayHub(HubState.from_fixture({"models": models, "datasets": []})) as hub:
        db = tmp / "fan.db"
        seconds = crawl(hub.url, db)
        with sqlite3.connect(db) as conn:
            capped = conn.execute("SELECT COUNT(*) FROM latest_labels WHERE label = 'Weights Available' AND repo_id LIKE 'fan/c%'").fetchone()[0]
        lines.append(f"{fan:,}-model fan-out of a Gemma root: {capped:,} capped in one crawl ({seconds:.0f} s)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20_000)
    parser.add_argument("--derivatives", type=float, default=0.3)
    parser.add_argument("--outside", type=float, default=0.1, help="share of named bases that are not in the listing")
    parser.add_argument("--chain", type=int, default=1000)
    parser.add_argument("--fan", type=int, default=10_000)
    args = parser.parse_args()
    print(f"hubscan lineage benchmark, {time.strftime('%Y-%m-%d')}")
    with tempfile.TemporaryDirectory(prefix="hubscan-bench-lineage-") as tmp:
        for line in [*measure_full(args.models, args.derivatives, args.outside, Path(tmp)), *measure_partial(Path(tmp)),
                     *measure_shapes(args.chain, args.fan, Path(tmp))]:
            print(line, flush=True)


if __name__ == "__main__":
    main()
