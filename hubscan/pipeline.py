"""Extraction and labelling over the database: store/ reads and writes, extract/ and classify/ think."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine

from classify import RULE_VERSION, BaseLabel, label_version
from extract import EXTRACTOR_VERSION
from store import analysis as a

from .extract_guard import GuardedExtractor

MAX_LINEAGE_PASSES = 8  # lineage depth we propagate a base's label change through in one run
MIN_PARALLEL = 100  # a smaller batch (a quiet night) is extracted in-process: no pool to start

Progress = Callable[[str, int], None]


@dataclass
class Analysed:
    extracted: int = 0
    labelled: int = 0
    passes: int = 0

    def line(self) -> str:
        return f"evidence extracted for {self.extracted} versions, {self.labelled} labels written (rule set {RULE_VERSION})"


Owns = Callable[[str], bool]


def extract_jobs() -> int:
    """Processes for extraction: $HUBSCAN_EXTRACT_JOBS, else the CPUs this process may use (at most 4)."""
    raw = os.environ.get("HUBSCAN_EXTRACT_JOBS", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"HUBSCAN_EXTRACT_JOBS must be a whole number >= 1, got {raw!r}")
        return int(raw)
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def _exit_with(owner_pid: int) -> None:
    """In a pool worker: exit when the process that owns the pool is gone (a SIGKILLed crawl).

    A worker waiting for work never sees its owner die (it holds its own queue's write end), so
    without this a killed nightly crawl would leave idle workers behind.
    """

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(owner_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # the pid exists (under another user): not gone
                pass

    threading.Thread(target=watch, name="hubscan-owner-watch", daemon=True).start()


def _extractor(jobs: int) -> GuardedExtractor:
    """extract_model over a batch: in-process, or on a process pool for big batches.

    Card parsing is CPU-bound pure Python, so threads would not help; extraction is a pure function
    of the snapshot, so worker processes give the same evidence in the same order. The pool starts
    with the first big batch, by forkserver (the crawl's threads make a plain fork unsafe). Each
    version is bounded and isolated (hubscan/extract_guard.py): one card never takes a batch down.
    """
    return GuardedExtractor(jobs, MIN_PARALLEL, initializer=_exit_with)


def newest_run(engine: Engine) -> int | None:
    """The run a standalone `extract`/`classify` records its problems on (the database's newest)."""
    from sqlalchemy import func, select

    from store import schema

    with engine.connect() as conn:
        return conn.execute(select(func.max(schema.runs.c.id))).scalar()


def extract_all(
    engine: Engine, progress: Progress | None = None, run_id: int | None = None, owns: Owns | None = None, jobs: int | None = None
) -> int:
    """Extract evidence for stale versions (only the repos `owns` accepts, for a shard worker).

    Problems are recorded on `run_id`, or (a standalone `extract`) on the newest run.
    """
    done = 0
    problem_run = run_id if run_id is not None else newest_run(engine)
    extract = _extractor(extract_jobs() if jobs is None else jobs)
    try:
        with engine.connect() as reader:
            for rows in a.evidence_batches(reader, EXTRACTOR_VERSION):
                if owns is not None:
                    rows = [r for r in rows if owns(r.repo_id)]
                    if not rows:
                        continue
                outcomes = list(zip(rows, extract(a.load_snapshots(reader, rows))))
                items = [(row, evidence) for row, (evidence, _) in outcomes if evidence is not None]
                with engine.begin() as conn:
                    a.save_evidence(conn, items, problem_run)
                    # a version with no evidence at all still has its problem on record
                    a.record_problems(conn, problem_run, [(row, problems) for row, (evidence, problems) in outcomes if evidence is None], "extract")
                done += len(items)
                if progress:
                    progress("extracted", len(items))
    finally:
        extract.close()
    if run_id is None and problem_run is not None:
        with engine.begin() as conn:
            a.count_problems(conn, problem_run)
    return done


def classify_all(
    engine: Engine, progress: Progress | None = None, owns: Owns | None = None, run_id: int | None = None
) -> tuple[int, int]:
    """Label stale versions, then follow label changes down the lineage graph. Returns (labels, passes).

    Label changes are recorded as events of `run_id` (a crawl's analysis), else of the newest run.
    """
    written = passes = 0
    only: list[int] | None = None
    while passes < MAX_LINEAGE_PASSES:
        passes += 1
        changed: list[str] = []
        # Streamed: a reader walks the stale versions by id while a writer commits each batch
        # (SQLite WAL lets both run; the walk only moves forward, so it never sees its own writes).
        with engine.connect() as reader:
            for batch in a.label_batches(reader, RULE_VERSION, only_versions=only):
                if owns is not None:
                    batch = [work for work in batch if owns(work.repo_id)]
                    if not batch:
                        continue
                items = [(work, label_version(work.evidence, [_base(b) for b in work.bases])) for work in batch]
                with engine.begin() as conn:
                    changed += a.save_labels(conn, items, run_id)
                    a.record_label_problems(conn, run_id, items)
                written += len(items)
                if progress:
                    progress("labelled", len(items))
        if not changed:
            break
        with engine.connect() as reader:
            only = a.derivatives_of(reader, changed)
        if not only:
            break
    return written, passes


def _base(b: a.BaseState) -> BaseLabel:
    return BaseLabel(repo_id=b.repo_id, relation=b.relation, label=b.label, licence_family=b.licence_family, chain=b.chain)


def analyse(engine: Engine, progress: Progress | None = None, run_id: int | None = None, owns: Owns | None = None) -> Analysed:
    """Extract and label whatever changed; with a crawl's run id, parse problems are counted on that run."""
    extracted = extract_all(engine, progress, run_id, owns)
    labelled, passes = classify_all(engine, progress, owns, run_id)
    if run_id is not None:
        with engine.begin() as conn:
            a.count_problems(conn, run_id)
    return Analysed(extracted=extracted, labelled=labelled, passes=passes)
