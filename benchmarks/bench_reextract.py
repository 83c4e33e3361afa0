"""Benchmark: what a re-extraction costs the stored run aggregates afterwards (issue 15).

    python benchmarks/bench_history.py build --models 20000 --runs 30 --db /tmp/rex.db
    python benchmarks/bench_reextract.py --db /tmp/rex.db [--moved 0.01]

A new extractor release re-reads every card. The evidence it writes goes through
`store.analysis_io.save_evidence`. On a copy of a built history (every run's aggregates stored, with
their top tier), every version's evidence is written again as it is, except a fraction `--moved`
whose licence becomes "unknown" (a counted fact). The script then prints how many runs kept their
aggregates, how long the writes took, and how long writing the missing aggregates back takes
(`ensure_run_rollups`, what the trend report does first). Three ways, each on its own copy:

- `now`: the runs that saw a moved version are corrected in place (store/rollup_deltas.py);
- `dropping`: they are dropped (as from 2026-12-07 morning; the fallback past MAX_OBSERVATIONS);
- `before`: every run that saw any re-written version is dropped (as before that).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rewrite(db: Path, moved: float, way: str) -> dict:
    from sqlalchemy import select, text

    from extract.evidence_record import EvidenceRecord
    from store import rollup_deltas, rollups
    from store import schema as s
    from store.analysis_io import VersionRow, save_evidence
    from store.db import open_engine

    engine = open_engine(str(db))
    rng = random.Random(7)
    columns = ("licence", "licence_family", "weights", "inference_code", "training_code", "datasets_open",
               "data_information", "data_information_score", "inference_code_licence", "training_code_licence")
    with engine.connect() as conn:
        runs = [r for (r,) in conn.execute(select(s.runs.c.id).where(s.runs.c.status == "ok").order_by(s.runs.c.id))]
        bases: dict[int, list] = {}
        for r in conn.execute(select(s.version_bases)):
            bases.setdefault(r.version_id, []).append((r.base_id, r.relation, r.kind, r.source, r.confidence))
        rows = conn.execute(text(f"SELECT e.version_id, v.repo_id, v.sha, e.inputs_digest, {', '.join('e.' + c for c in columns)}, "
                                 "CAST(e.data AS TEXT) FROM evidence e JOIN model_versions v ON v.id = e.version_id ORDER BY e.version_id")).all()
    with engine.begin() as conn:  # aggregates written before their top tier was stored: written again
        conn.execute(text("DELETE FROM run_rollups WHERE run_id NOT IN (SELECT run_id FROM run_top_models)"))
    rollups.ensure_run_rollups(engine, runs)
    limit = rollup_deltas.MAX_OBSERVATIONS
    if way == "dropping":
        rollup_deltas.MAX_OBSERVATIONS = -1
    items = []
    for r in rows:
        values = dict(zip(columns, r[4:-1]))
        if rng.random() < moved:
            values["licence"] = "unknown"
        record = EvidenceRecord(r.repo_id, 1, tuple(values.items()), r[-1], tuple(bases.get(r.version_id, ())), (), ())
        items.append((VersionRow(r.version_id, r.repo_id, r.sha, "ok", "public", r.inputs_digest, r.inputs_digest), record))
    start = time.perf_counter()
    for k in range(0, len(items), 500):
        with engine.begin() as conn:
            if way == "before":  # every run that saw a re-written version
                rollups.versions_changed(conn, [row.version_id for row, _ in items[k : k + 500]])
            save_evidence(conn, items[k : k + 500])
    write_s = time.perf_counter() - start
    rollup_deltas.MAX_OBSERVATIONS = limit
    with engine.connect() as conn:
        kept = sum(rollups.stored_rollup(conn, r) is not None for r in runs)
    start = time.perf_counter()
    rollups.ensure_run_rollups(engine, runs)
    rebuild_s = time.perf_counter() - start
    engine.dispose()
    return {"versions": len(items), "runs": len(runs), "runs_kept": kept, "write_s": round(write_s, 1), "rebuild_s": round(rebuild_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a history built by bench_history.py (not changed)")
    parser.add_argument("--moved", type=float, default=0.0, help="fraction of versions whose licence the new evidence changes")
    args = parser.parse_args()
    out = {}
    for way in ("now", "dropping", "before"):
        copy = args.db.with_name(f"{args.db.stem}-{way}.db")
        shutil.copy(args.db, copy)
        out[way] = rewrite(copy, args.moved, way)
        copy.unlink()
    print(json.dumps({"moved": args.moved, **out}))


if __name__ == "__main__":
    main()
