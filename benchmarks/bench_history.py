"""Benchmark: exports and reports over a long crawl history (issue 15).

    python benchmarks/bench_history.py build   --models 200000 --runs 50 --db /tmp/hubscan-history.db
    python benchmarks/bench_history.py measure --db /tmp/hubscan-history.db
    python benchmarks/bench_history.py scaling --models 100000,300000,1000000 --runs 8   # weekly report per models/run
    python benchmarks/bench_history.py length  --models 100000 --runs 5,50                # same models, longer history
    python benchmarks/bench_history.py copy    --db /tmp/hubscan-history.db --url postgresql+psycopg://me@localhost/hubscan_bench
    python benchmarks/bench_history.py measure --url postgresql+psycopg://me@localhost/hubscan_bench

`build` writes a history straight into the tables (no crawl: 50 crawls of 200,000 models would take
days): runs one day apart, models created over five years, each model's version changing now and then
(a new version, its evidence and label, a label event at the run that first saw it; some versions are
relabelled later), one observation per model per run with heavy-tailed downloads, 1% private repos.
Then every run's aggregates are written as a crawl's analysis writes them (store/rollups.py), and the
week's changes up to each run as `hubscan crawl` stores them (store/week_changes.py; their time per run
is printed as `week_changes_s`).

`measure` times, on the database as it is: the JSONL export (one record per model), the Parquet export
(rows per second over its four files), the trend report, `label_history` for one model, and the weekly
report (`--parts weekly_parts`: its parts one by one; `changes` reads the stored set, `changes_computed`
computes it). `length` builds two databases with the same models and a short and a long history and
measures both (what depends on history and what does not); `scaling` measures the weekly report at
several numbers of models per run (8 daily runs: the report compares the last run of the second
ISO week with the last of the first) and extrapolates to 3M with a straight line through the points.

PostgreSQL (`--url`): the history is built on SQLite as above and copied into a fresh database
whose schema hubscan's migrations create (`copy`, benchmarks/pg_copy.py: COPY table by table, then
VACUUM (ANALYZE) as autovacuum would on a live server). `measure --url` measures that database;
`length` and `scaling` with `--url` copy each SQLite history into it, measure both backends, and
drop it. Give the password through ~/.pgpass or PGPASSWORD, not in the URL (a command line is
visible to every user of the machine); it is never printed.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABELS = (("Weights Available", 45), ("Open Weights", 35), ("No Weights", 12), ("Open Source", 5), ("Open Source and Open Data", 3))
LICENCES = (("apache-2.0", "osi-permissive"), ("mit", "osi-permissive"), ("llama3.1", "vendor-community"),
            ("cc-by-nc-4.0", "non-commercial"), ("openrail", "use-restricted"), (None, "unknown"))
CHANGE_RATE = 0.04  # share of models with a new version at each run
RELABEL_RATE = 0.005  # share of unchanged versions relabelled at a run (a base or dataset changed)
# share of versions that declare a base model (fine-tunes, adapters, quantisations, merges: on the Hub
# about 40% of models name one in their card's `base_model`), and how their lookups came out
LINEAGE_RATE = 0.4
# share of derivatives that keep their base's licence (the rest declare any licence: some of them
# looser than the base's, the licence laundering the report lists); an assumption, not a measurement
INHERIT_RATE = 0.8
BASE_STATUSES = (("ok", 85), ("missing", 5), ("pending", 5), ("private", 3), ("local-path", 2))
RELATIONS = ("finetune", "adapter", "quantized", "merge")


def _evidence_template() -> str:
    """The evidence JSON of a real extraction (the same for every version: only its size matters here)."""
    from extract import extract_model
    from extract.types import StoredVersion

    card = b"---\nlicense: apache-2.0\ndatasets:\n- org/data\n---\n# M\n\nTrained on org/data. Fully open-source.\n"
    snap = StoredVersion("org/m", "0" * 40, {"siblings": [{"rfilename": "model.safetensors"}], "tags": ["license:apache-2.0"]}, card)
    return json.dumps(extract_model(snap).to_dict())


def _label_templates() -> tuple[str, str]:
    """A real explanation (about 700 bytes, as stored) and the washing reasons of a real flagged card."""
    from classify import label_version
    from extract import extract_model
    from extract.types import StoredVersion

    def labelled(card: bytes, licence: str):
        snap = StoredVersion("org/m", "0" * 40, {"siblings": [{"rfilename": "model.safetensors"}], "tags": [f"license:{licence}"]}, card)
        return label_version(extract_model(snap))

    plain = labelled(b"---\nlicense: apache-2.0\ndatasets:\n- org/data\n---\n# M\n\nTrained on org/data. Fully open-source.\n", "apache-2.0")
    washed = labelled(b"---\nlicense: cc-by-nc-4.0\n---\n# M\n\nThis model is fully open source.\n", "cc-by-nc-4.0")
    assert washed.washing_reasons, "the washing template must be flagged"
    return json.dumps(plain.explanation()), json.dumps([reason.to_dict() for reason in washed.washing_reasons])


def build(db: Path, models: int, runs: int, seed: int = 15) -> dict:
    """The history, written with SQLite's own bulk inserts; returns what was written."""
    from store.db import open_engine

    db.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    open_engine(str(db)).dispose()  # the schema, migrations and views
    rng = random.Random(seed)
    template = _evidence_template()
    explanation, reasons = _label_templates()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    start = time.perf_counter()
    day0 = 20_000  # days after 1970: 2024-10
    run_days = [day0 + i for i in range(runs)]

    def iso(day: int) -> str:
        return time.strftime("%Y-%m-%dT06:00:00+00:00", time.gmtime(day * 86400))

    con.executemany(
        "INSERT INTO runs (id, started_at, finished_at, status, endpoint, full_sweep, params, models_seen, versions_new, readmes_fetched,"
        " files_fetched, datasets_fetched, disappeared, problems, api_calls, resolver_calls, retries, rate_limited, mode, listing_done, analysis)"
        " VALUES (?, ?, ?, 'ok', 'http://hub', 1, '{}', ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'full', 1, 'done')",
        [(i + 1, iso(d), iso(d).replace("06:00", "07:00"), models) for i, d in enumerate(run_days)],
    )
    weights = [w for _, w in LABELS]
    version_id = 0
    current: list[int] = [0] * models
    version_rows, evidence_rows, label_rows, event_rows, dataset_rows, base_rows = [], [], [], [], [], []
    statuses, status_weights = zip(*BASE_STATUSES)
    event_id = 0
    label_of: dict[int, tuple[str, int]] = {}
    licence_of: dict[int, int] = {}  # version -> index in LICENCES

    def new_version(i: int, run: int) -> int:
        nonlocal version_id, event_id
        version_id += 1
        label = rng.choices([l for l, _ in LABELS], weights)[0]
        # bases are mostly popular models: the first 1% of the ids
        base_index = rng.randrange(max(1, models // 100)) if rng.random() < LINEAGE_RATE else None
        base_version = current[base_index] if base_index is not None and base_index != i else 0
        if base_version and rng.random() < INHERIT_RATE:
            licence_index = licence_of[base_version]
        else:
            licence_index = rng.randrange(len(LICENCES))
        licence, family = LICENCES[licence_index]
        licence_of[version_id] = licence_index
        flagged = int(rng.random() < 0.05)
        version_rows.append((version_id, _repo(i), f"{version_id:040x}", run, "{}", "ok"))
        evidence_rows.append((version_id, 3, "d", iso(run_days[run - 1]), licence, family, 1, 1, int(rng.random() < 0.1),
                              None, int(rng.random() < 0.2), rng.randrange(100), template))
        label_rows.append((version_id, "2026.12.2", 3, "d", iso(run_days[run - 1]), label, "L1", flagged, reasons if flagged else "[]", explanation))
        event_id += 1
        event_rows.append((event_id, version_id, run, iso(run_days[run - 1]), label, "L1", "2026.12.2", flagged))
        label_of[version_id] = (label, flagged)
        if rng.random() < 0.15:
            dataset_rows.append((version_id, f"org/data-{rng.randrange(1000)}"))
        if base_index is not None and base_index != i:
            base = _repo(base_index)
            status = rng.choices(statuses, status_weights)[0]
            base_rows.append((version_id, base, rng.choice(RELATIONS), base.lower(), "hub-id", "cardData.base_model", 0.9,
                              base if status == "ok" else None, status))
        return version_id

    model_rows = []
    for i in range(models):
        created = day0 - rng.randrange(5 * 365)
        model_rows.append((_repo(i), _repo(i).split("/")[0], "active", "false", int(i % 100 == 7), 0, iso(created), 1, "listing"))
        current[i] = new_version(i, 1)
    con.executemany(
        "INSERT INTO models (repo_id, author, status, gated, private, disabled, created_at, first_seen_run, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        model_rows,
    )
    downloads = [int(2_000_000 / (1 + rank) ** 1.1) for rank in range(models)]
    rng.shuffle(downloads)
    observations = 0
    for run in range(1, runs + 1):
        if run > 1:
            for i in rng.sample(range(models), int(models * CHANGE_RATE)):
                current[i] = new_version(i, run)
            for i in rng.sample(range(models), int(models * RELABEL_RATE)):
                event_id += 1
                label = rng.choices([l for l, _ in LABELS], weights)[0]
                event_rows.append((event_id, current[i], run, iso(run_days[run - 1]), label, "L1", "2026.12.2", 0))
        _flush(con, version_rows, evidence_rows, label_rows, event_rows, dataset_rows, base_rows)
        con.executemany(
            "INSERT INTO observations (run_id, repo_id, version_id, downloads, likes) VALUES (?, ?, ?, ?, ?)",
            ((run, _repo(i), current[i], downloads[i] + rng.randrange(100), downloads[i] // 1000) for i in range(models)),
        )
        observations += models
        con.commit()
    con.executemany("UPDATE models SET current_version_id = ?, sha = ? WHERE repo_id = ?", ((v, f"{v:040x}", _repo(i)) for i, v in enumerate(current)))
    if "model_latest" in tables:
        con.execute("INSERT INTO model_latest (repo_id, run_id, version_id, downloads, likes) "
                    "SELECT repo_id, run_id, version_id, downloads, likes FROM observations WHERE run_id = ?", (runs,))
    con.commit()
    con.close()
    built = time.perf_counter() - start
    rollup_s, changes_s = None, []
    if "run_rollups" in tables:  # as each crawl's analysis writes them
        from store.db import open_engine
        from store.rollups import write_run_rollup

        engine = open_engine(str(db))
        started = time.perf_counter()
        for run in range(1, runs + 1):
            with engine.begin() as conn:
                write_run_rollup(conn, run)
        rollup_s = (time.perf_counter() - started) / runs
        if "week_changes" in tables:  # and then, as `hubscan crawl` does, the week's changes up to each run
            from reports.changes import remember_week_changes

            for run in range(1, runs + 1):
                started = time.perf_counter()
                if remember_week_changes(engine, run):
                    changes_s.append(round(time.perf_counter() - started, 2))
        engine.dispose()
    return {"models": models, "runs": runs, "observations": observations, "versions": version_id, "label_events": event_id,
            "build_s": round(built, 1), "rollup_s_per_run": None if rollup_s is None else round(rollup_s, 2),
            "week_changes_s": changes_s}


def _repo(i: int) -> str:
    return f"org{i % 4000:04d}/model-{i:07d}"


def _flush(con, versions, evidence, labels, events, datasets, bases) -> None:
    con.executemany("INSERT INTO model_versions (id, repo_id, sha, first_seen_run, metadata, readme_status) VALUES (?, ?, ?, ?, ?, ?)", versions)
    con.executemany(
        "INSERT INTO evidence (version_id, extractor_version, inputs_digest, extracted_at, licence, licence_family, weights, inference_code,"
        " training_code, datasets_open, data_information, data_information_score, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        evidence,
    )
    con.executemany(
        "INSERT INTO labels (version_id, rule_version, extractor_version, inputs_digest, classified_at, label, rule, open_washing,"
        " washing_reasons, explanation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        labels,
    )
    con.executemany(
        "INSERT INTO label_events (id, version_id, run_id, recorded_at, label, rule, rule_version, open_washing, washing_reasons)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '[]')",
        events,
    )
    con.executemany("INSERT OR IGNORE INTO version_datasets (version_id, dataset_id) VALUES (?, ?)", datasets)
    con.executemany("INSERT INTO version_bases (version_id, base_id, relation, base_key, kind, source, confidence, resolved_id, status)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", bases)
    for rows in (versions, evidence, labels, events, datasets, bases):
        rows.clear()


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def measure(db: Path | str, parts: tuple[str, ...] = ("jsonl", "parquet", "trend", "history", "weekly")) -> dict:
    """`db`: a SQLite file, or a database URL (postgresql+psycopg://..., e.g. filled by `copy`)."""
    from sqlalchemy import text

    from store.db import open_engine

    engine = open_engine(str(db), create=False)
    out: dict = {"backend": engine.dialect.name}
    with engine.connect() as conn:
        out["observations"] = conn.execute(text("SELECT COUNT(*) FROM observations")).scalar()
        out["runs"] = conn.execute(text("SELECT COUNT(*) FROM runs")).scalar()
        out["models"] = conn.execute(text("SELECT COUNT(*) FROM models")).scalar()
        # a public model from the middle of the id range, seen by every run
        one = conn.execute(text("SELECT repo_id FROM models WHERE NOT private ORDER BY repo_id LIMIT 1 OFFSET :n"),
                           {"n": out["models"] // 2}).scalar() or ""
    if "jsonl" in parts:
        from hubscan.commands import write_records

        class Lines:  # a sink that counts the records written
            n = 0

            def write(self, text: str) -> None:
                self.n += text.count("\n")

            def flush(self) -> None:
                pass

        def jsonl() -> int:  # what `hubscan export --format jsonl` runs
            sink = Lines()
            write_records(engine, "jsonl", sink)
            return sink.n

        seconds, n = _timed(jsonl)
        out["jsonl_export_s"], out["jsonl_records"] = round(seconds, 1), n
    if "parquet" in parts:
        from store.parquet import write_parquet

        with tempfile.TemporaryDirectory() as tmp:
            seconds, files = _timed(lambda: write_parquet(engine, Path(tmp)))
        rows = sum(f.rows for f in files)
        out["parquet_export_s"], out["parquet_rows"] = round(seconds, 1), rows
        out["parquet_rows_per_s"] = int(rows / seconds) if seconds else None
        out["parquet_files"] = {f.name: {"rows": f.rows, "s": round(f.seconds, 1)} for f in files}
    if "trend" in parts:
        from reports import build_trend_report

        seconds, _ = _timed(lambda: build_trend_report(engine))
        out["trend_report_s"] = round(seconds, 1)
    if "history" in parts:
        def history() -> int:
            with engine.connect() as conn:
                return len(conn.execute(text("SELECT * FROM label_history WHERE repo_id = :r ORDER BY run_id"), {"r": one}).all())

        seconds, n = _timed(history)
        out["label_history_one_model_s"], out["label_history_rows"] = round(seconds, 3), n
    if "weekly" in parts:
        from reports.washing_report import build_washing_report

        seconds, _ = _timed(lambda: build_washing_report(engine))
        out["weekly_report_s"] = round(seconds, 1)
    if "weekly_parts" in parts:
        out["weekly_parts_s"] = weekly_parts(engine)
    engine.dispose()
    return out


def weekly_parts(engine) -> dict:
    """The weekly report's parts timed one by one, as `build_washing_report` calls them."""
    from reports import changes, run_view, scorecards
    from reports.runs import latest_per, report_runs, week_and_previous

    times: dict = {}

    def part(name, fn):
        seconds, got = _timed(fn)
        times[name] = round(seconds, 2)
        return got

    with engine.connect() as conn:
        runs = report_runs(conn)
        week, run, previous = week_and_previous(runs, None)
        if previous is None:  # a history within one ISO week: no changes to list
            return {"skipped": "no earlier week"}
        weeks = [(w, r) for w, r in latest_per(runs, "week").items() if w <= week]
        part("timeline", lambda: [run_view.summary(conn, r.id, lineage=w == week) for w, r in weeks])
        found = part("changes", lambda: changes.changes_between(conn, previous[1].id, run.id))  # stored, when they are
        part("changes_computed", lambda: changes.compute_change_rows(conn, previous[1].id, run.id))
        part("flagged", lambda: run_view.flagged_models(conn, run.id))
        leaders = part("leaders", lambda: run_view.leaders(conn, run.id, scorecards.TOP + 1, public_only=True))
        part("organisations", lambda: run_view.organisations(conn, run.id, 20, leaders))
        part("laundering", lambda: run_view.laundering(conn, run.id))
        part("scorecards", lambda: scorecards.build_scorecards(conn, run, weeks, found, public_leaders=leaders))
    times["changes_listed"] = len(found.all())
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("build", "copy", "measure", "scaling", "length"))
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-history.db"))
    parser.add_argument("--models", default="200000")
    parser.add_argument("--runs", default="50")
    parser.add_argument("--parts", default="jsonl,parquet,trend,history,weekly")
    parser.add_argument("--url", help="a PostgreSQL database (postgresql+psycopg://USER@HOST:PORT/NAME): `copy` fills it from --db;"
                        " `measure` measures it instead of --db; `length` and `scaling` copy each SQLite history into it and"
                        " measure both backends (the database is created, and dropped at the end)")
    parser.add_argument("--replace", action="store_true", help="`copy`: drop the --url database first if it exists")
    args = parser.parse_args()
    parts = tuple(args.parts.split(","))
    if args.action == "build":
        print(json.dumps(build(args.db, int(args.models), int(args.runs))))
    elif args.action == "copy":
        if not args.url:
            parser.error("copy needs --url")
        from pg_copy import copy_history

        print(json.dumps(copy_history(args.db, args.url, args.replace)))
    elif args.action == "measure":
        print(json.dumps(measure(args.url or args.db, parts)))
    elif args.action == "length":
        models = int(args.models)
        for runs in (int(r) for r in args.runs.split(",")):
            db = args.db.with_name(f"{args.db.stem}-{models}x{runs}.db")
            print(json.dumps({**build(db, models, runs), **measure(db, parts)}), flush=True)
            if args.url:
                print(json.dumps({"models": models, "runs": runs, **_on_postgres(db, args.url, parts)}), flush=True)
    else:  # scaling: the weekly report at several numbers of models per run
        points: dict[str, list] = {"sqlite": [], "postgresql": []}
        for models in (int(m) for m in args.models.split(",")):
            db = args.db.with_name(f"{args.db.stem}-{models}.db")
            built = build(db, models, int(args.runs))
            got = measure(db, ("weekly", "weekly_parts"))
            points["sqlite"].append((models, got["weekly_report_s"]))
            print(json.dumps({**built, **got}), flush=True)
            if args.url:
                got = _on_postgres(db, args.url, ("weekly", "weekly_parts"))
                points["postgresql"].append((models, got["weekly_report_s"]))
                print(json.dumps({"models": models, **got}), flush=True)
            db.unlink(missing_ok=True)
        for backend, line in points.items():
            if len(line) >= 2:
                print(json.dumps({"backend": backend, **_straight_line(line)}))


def _on_postgres(db: Path, url: str, parts: tuple[str, ...]) -> dict:
    """The SQLite history `db` copied into the PostgreSQL database `url`, measured, then dropped."""
    from pg_copy import copy_history, drop_database

    copied = copy_history(db, url, replace=True)
    try:
        got = measure(url, parts)
    finally:
        drop_database(url)
    return {"copy_s": copied["copy_s"], "vacuum_analyse_s": copied["vacuum_analyse_s"], **got}


def _straight_line(points: list[tuple[int, float]]) -> dict:
    """Least squares through the points: seconds = fixed + per_model * models, extrapolated to 3M."""
    n = len(points)
    mx, my = sum(m for m, _ in points) / n, sum(t for _, t in points) / n
    slope = sum((m - mx) * (t - my) for m, t in points) / sum((m - mx) ** 2 for m, _ in points)
    fixed = my - slope * mx
    return {"weekly_report_s_per_million_models": round(slope * 1e6, 2), "weekly_report_fixed_s": round(fixed, 2),
            "weekly_report_at_3M_models_s": round(fixed + slope * 3_000_000, 1)}


if __name__ == "__main__":
    main()
