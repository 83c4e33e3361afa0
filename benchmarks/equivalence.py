"""Is the evidence extraction gives still what it was? Digests of every version's evidence, compared.

    python benchmarks/equivalence.py --check            # compare with tests/data/evidence_digests.json
    python benchmarks/equivalence.py --write            # record today's evidence as the reference
    python benchmarks/equivalence.py --add              # record versions new to a corpus (refused if any recorded one differs)
    python benchmarks/equivalence.py --check --only dev # one corpus (dev, demo, judged, generated, fuzzed)

The corpus: the dev hub (../shared/fixtures/dev_hub.json), the demo snapshot (replayhub/data/
demo_hub.json) and the judged benchmark set (benchmarks/judged/*/hub.json, with its GitHub
repositories on the loopback GitHub), each crawled by the real `hubscan crawl` against the loopback
Hub and read back from the database as extraction reads it; plus realistic generated cards and
fuzzed cards (benchmarks/cards.py) with synthetic listing metadata. Each version goes through the
production path (bounds, isolation, `extract_model`); its evidence (`ModelEvidence.to_dict()`) is
hashed. Speed work must leave every digest as it was; a change of what extraction concludes bumps
EXTRACTOR_VERSION and rewrites the reference (`--write`), saying so in the commit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

REFERENCE = ROOT / "tests" / "data" / "evidence_digests.json"
DEV_HUB = ROOT.parent / "shared" / "fixtures" / "dev_hub.json"
DEMO_HUB = ROOT / "replayhub" / "data" / "demo_hub.json"
CORPORA = ("dev", "demo", "judged", "generated", "fuzzed")
GENERATED = 400
FUZZED = 400


def evidence_digest(evidence) -> str:
    text = json.dumps(evidence.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def crawled_snapshots(hub_fixture: dict, github_fixture: dict | None = None) -> list:
    """Every version of a hub fixture as the crawler stores it and extraction loads it."""
    from agreement import crawl

    from store import analysis_io as a
    from store.db import open_engine

    with tempfile.TemporaryDirectory(prefix="hubscan-equivalence-") as tmp:
        db = Path(tmp) / "hub.db"
        crawl(hub_fixture, github_fixture or {"repos": []}, db, github=github_fixture is not None)
        engine = open_engine(str(db))
        snapshots = []
        try:
            with engine.connect() as conn:
                for rows in a.evidence_batches(conn, -1):  # a version nobody extracts with: every version
                    snapshots += a.load_versions(conn, rows)
        finally:
            engine.dispose()
    return sorted(snapshots, key=lambda s: (s.repo_id.lower(), s.sha or ""))


def generated_snapshots(n: int, fuzzed: bool) -> list:
    """Synthetic listing metadata (licences, weights, bases, datasets) with realistic or fuzzed cards."""
    from cards import fuzzed_card, realistic_card

    from crawler.downloads import licence_files
    from extract.types import StoredVersion
    from replayhub.synthetic import synthetic_state

    state = synthetic_state(max(n, 200), seed=7)
    out = []
    for i in range(n):
        data = state.generated_data(i)
        files = data.pop("files")
        meta = {k: v for k, v in data.items() if k not in ("expected", "washing", "note", "id")}
        meta["siblings"] = [{"rfilename": p} for p in files]
        card = data.get("cardData") or {}
        base = card.get("base_model")
        if fuzzed:
            readme = fuzzed_card(i)
        else:
            readme = realistic_card(i, data["id"], None if i % 7 else "", base if isinstance(base, str) else None, card.get("datasets"))
        lic = {p: files[p].encode() for p in licence_files(files) if isinstance(files[p], str)}
        out.append(StoredVersion(repo_id=data["id"], sha=f"{i:040x}", metadata=meta, readme=readme.encode(), files=lic))
    return out


def corpus(only: tuple[str, ...] = CORPORA) -> Iterator[tuple[str, object]]:
    """(key, snapshot) of every version of the chosen corpora."""
    if "dev" in only:
        hub = json.loads(DEV_HUB.read_text(encoding="utf-8"))
        for snap in crawled_snapshots(hub):
            yield f"dev:{snap.repo_id}", snap
    if "demo" in only:
        hub = json.loads(DEMO_HUB.read_text(encoding="utf-8"))
        for snap in crawled_snapshots(hub):
            yield f"demo:{snap.repo_id}", snap
    if "judged" in only:
        from agreement import JUDGED, load_parts

        hub, github, _ = load_parts(sorted(p.name for p in JUDGED.iterdir() if (p / "hub.json").exists()))
        for snap in crawled_snapshots(hub, github):
            yield f"judged:{snap.repo_id}", snap
    if "generated" in only:
        for i, snap in enumerate(generated_snapshots(GENERATED, fuzzed=False)):
            yield f"generated:{i}", snap
    if "fuzzed" in only:
        for i, snap in enumerate(generated_snapshots(FUZZED, fuzzed=True)):
            yield f"fuzzed:{i}", snap


def digests(only: tuple[str, ...] = CORPORA) -> dict[str, str]:
    """Each version's evidence digest, through the production path (bounds, then isolated extraction)."""
    from hubscan.extract_guard import bound_version, extract_one

    out = {}
    for key, snap in corpus(only):
        evidence, problems = extract_one(bound_version(snap)[0])
        out[key] = evidence_digest(evidence) if evidence is not None else "no-evidence:" + ",".join(p.code for p in problems)
    return out


def compare(found: dict[str, str], reference: dict[str, str]) -> list[str]:
    """Keys whose digest differs from the reference, or that only one side has."""
    return sorted(k for k in set(found) | set(reference) if found.get(k) != reference.get(k))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record today's digests as the reference")
    parser.add_argument("--check", action="store_true", help="compare with the reference (the default)")
    parser.add_argument("--add", action="store_true",
                        help="record the digests of versions the reference does not hold yet (a model added to a corpus); "
                             "refused when any recorded version's digest differs")
    parser.add_argument("--only", default=",".join(CORPORA), help="corpora, comma-separated")
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    args = parser.parse_args(argv)
    only = tuple(c for c in args.only.split(",") if c)
    found = digests(only)
    if args.write:
        from extract import EXTRACTOR_VERSION

        args.reference.parent.mkdir(parents=True, exist_ok=True)
        args.reference.write_text(json.dumps({"extractor_version": EXTRACTOR_VERSION, "digests": found}, indent=0, sort_keys=True) + "\n")
        print(f"{len(found)} evidence digests written to {args.reference}")
        return 0
    recorded = json.loads(args.reference.read_text())
    if args.add:
        moved = [k for k, v in found.items() if k in recorded["digests"] and recorded["digests"][k] != v]
        if moved:
            print(f"refused: {len(moved)} recorded versions extract differently ({', '.join(moved[:5])}); "
                  "that needs an EXTRACTOR_VERSION bump and --write")
            return 1
        new = {k: v for k, v in found.items() if k not in recorded["digests"]}
        recorded["digests"].update(new)
        args.reference.write_text(json.dumps(recorded, indent=0, sort_keys=True) + "\n")
        print(f"{len(new)} new versions recorded in {args.reference}")
        return 0
    reference = {k: v for k, v in recorded["digests"].items() if k.split(":", 1)[0] in only}
    differ = compare(found, reference)
    print(f"{len(found)} versions, {len(differ)} differ from the reference")
    for key in differ[:50]:
        print(f"  {key}: {reference.get(key)} -> {found.get(key)}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
