"""Extraction and labelling over the database: store/ reads and writes, extract/ and classify/ think."""

from __future__ import annotations

import os
import threading
from collections import deque
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from sqlalchemy import Engine

from classify import RULE_VERSION, label_version
from classify.lineage_order import lineage_order
from extract import EXTRACTOR_VERSION
from extract.evidence_record import record_outcome
from store.collector import collector_paused
from store import analysis_io as a
from store import lineage_graph as lineage_store

from .errors import UsageError
from .extract_guard import Batch, GuardedExtractor

# Bases of bases asked about in one crawl: each round follows one more level up and asks at least one
# new base (lookups are capped per run), so the loop ends; the bound is a second guard.
MAX_LINEAGE_ROUNDS = 100_000
MIN_PARALLEL = 100  # a smaller batch (a quiet night) is extracted in-process: no pool to start
IN_FLIGHT = 1  # batches handed to the workers beyond the one being written

if TYPE_CHECKING:
    from crawler.base_lookup import LineageStage

Progress = Callable[[str, int], None]


@dataclass
class Analysed:
    extracted: int = 0
    labelled: int = 0
    passes: int = 0
    github: Any = None  # crawler.code_repo_check.CodeRepoRun when linked repositories were checked

    def line(self) -> str:
        line = f"evidence extracted for {self.extracted} versions, {self.labelled} labels written (rule set {RULE_VERSION})"
        return line + (f"\n{self.github.line()}" if self.github is not None else "")


Owns = Callable[[str], bool]


def extract_jobs() -> int:
    """Processes for extraction: $HUBSCAN_EXTRACT_JOBS, else the CPUs this process may use (at most 4)."""
    raw = os.environ.get("HUBSCAN_EXTRACT_JOBS", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise UsageError(f"HUBSCAN_EXTRACT_JOBS must be a whole number >= 1, got {raw[:40]!r}")
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
    # each worker sends back what the store writes (extract/evidence_record.py), not the evidence itself
    return GuardedExtractor(jobs, MIN_PARALLEL, initializer=_exit_with, finish=record_outcome)


def newest_run(engine: Engine) -> int | None:
    """The run a standalone `extract`/`classify` records its problems on (the database's newest)."""
    from sqlalchemy import func, select

    from store import schema

    with engine.connect() as conn:
        return conn.execute(select(func.max(schema.runs.c.id))).scalar()


def extract_all(
    engine: Engine,
    progress: Progress | None = None,
    run_id: int | None = None,
    owns: Owns | None = None,
    jobs: int | None = None,
    only: Sequence[int] | None = None,
) -> int:
    """Extract evidence for stale versions (only the repos `owns` accepts, for a shard worker; only the
    version ids `only`, for a lineage round). Problems are recorded on `run_id`, or (a standalone
    `extract`) on the newest run."""
    done = 0
    problem_run = run_id if run_id is not None else newest_run(engine)
    extract = _extractor(extract_jobs() if jobs is None else jobs)
    in_flight: deque[tuple[list[a.VersionRow], Batch]] = deque()

    def write(rows: list[a.VersionRow], batch: Batch) -> None:
        nonlocal done
        outcomes = list(zip(rows, batch.result()))
        items = [(row, evidence) for row, (evidence, _) in outcomes if evidence is not None]
        with engine.begin() as conn:
            a.save_evidence(conn, items, problem_run)
            # a version with no evidence at all still has its problem on record
            a.record_problems(conn, problem_run, [(row, problems) for row, (evidence, problems) in outcomes if evidence is None], "extract")
        done += len(items)
        if progress:
            progress("extracted", len(items))

    try:
        # Overlapped: batch k+1 is read and handed to the workers before batch k is waited for and
        # written, so the workers never wait for this process; at most IN_FLIGHT + 1 batches are held.
        with engine.connect() as reader:
            for rows in a.evidence_batches(reader, EXTRACTOR_VERSION, only_versions=only):
                if owns is not None:
                    rows = [r for r in rows if owns(r.repo_id)]
                    if not rows:
                        continue
                in_flight.append((rows, extract.submit(a.load_versions(reader, rows))))
                while len(in_flight) > IN_FLIGHT:
                    write(*in_flight.popleft())
            while in_flight:
                write(*in_flight.popleft())
    finally:
        extract.close()
    if run_id is None and problem_run is not None:
        with engine.begin() as conn:
            a.count_problems(conn, problem_run)
    return done


def classify_all(
    engine: Engine, progress: Progress | None = None, owns: Owns | None = None, run_id: int | None = None
) -> tuple[int, int]:
    """Label stale versions, bases before derivatives. Returns (labels written, lineage levels walked).

    Bases are resolved first (case-insensitively, through known aliases); the lineage graph is put in
    level order (classify/lineage_order.py), so a base's new label reaches every descendant in this one
    call; cycles are reported and not followed. Label changes are recorded as events of `run_id` (a
    crawl's analysis), else of the newest run.
    """
    with engine.begin() as conn:
        lineage_store.resolve_bases(conn)
    with engine.connect() as conn:
        order = lineage_order(lineage_store.lineage_edges(conn))
    if order.cycles:
        with engine.begin() as conn:
            lineage_store.record_cycles(conn, run_id, order.cycles)
    written = _label_level(engine, order, None, progress, owns, run_id)
    for level in range(1, order.depth + 1):
        written += _label_level(engine, order, order.versions_at(level), progress, owns, run_id)
    return written, order.depth + 1


def _label_level(engine: Engine, order, only: list[int] | None, progress: Progress | None, owns: Owns | None, run_id: int | None) -> int:
    """Label one level: `only` these versions, or (level 0) every version not derived from another."""
    written = 0
    keep = (lambda ids: order.level_of(ids) == 0) if only is None else None
    # Streamed: a reader walks the stale versions by id while a writer commits each batch
    # (SQLite WAL lets both run; the walk only moves forward, so it never sees its own writes).
    with engine.connect() as reader:
        batches = a.label_batches(reader, RULE_VERSION, only_versions=only, keep=keep, cycle_edges=order.cycle_edges)
        while True:
            # A batch's evidence is some 50,000 small objects without cycles, freed when the batch
            # is saved; while they live, the collector's full passes would walk them and the whole
            # heap (about a third of labelling's time). Paused for one batch at a time, so whatever
            # cycles a batch leaves are collected before the next.
            with collector_paused():
                batch = next(batches, None)
                if batch is None:
                    break
                if owns is not None:
                    batch = [work for work in batch if owns(work.repo_id)]
                    if not batch:
                        continue
                items = [(work, label_version(work.evidence, work.bases)) for work in batch]
                with engine.begin() as conn:
                    a.save_labels(conn, items, run_id)
            written += len(items)
            if progress:
                progress("labelled", len(items))
    return written


def analyse(
    engine: Engine,
    progress: Progress | None = None,
    run_id: int | None = None,
    owns: Owns | None = None,
    lineage: "LineageStage | None" = None,
    github: Any = None,
) -> Analysed:
    """Extract and label whatever changed; with a crawl's run id, parse problems are counted on that run.

    With a `lineage` stage (a crawl), bases the database does not hold are asked about between
    extractions until no new base turns up, so the labels rest on the whole lineage, not on the crawl's scope.
    With `github` (crawler.github.GitHubSettings) and a run, the code repositories that candidate
    versions link are checked after that (the first extraction says which versions could rise above
    Open Weights and which repositories they link), and the versions linking a repository whose state
    changed are extracted again before labelling (docs/code-evidence.md).
    """
    extracted = extract_all(engine, progress, run_id, owns)
    rounds = 0
    while lineage is not None and rounds < MAX_LINEAGE_ROUNDS:
        rounds += 1
        stored = lineage.round()  # each round asks at least one new base, or ends the loop
        if not stored.asked and not stored.versions:
            break
        extracted += extract_all(engine, progress, run_id, owns, only=stored.versions)
    checked = None
    if github is not None and run_id is not None:
        from crawler.code_repo_check import check_code_repos
        from store.code_repo_rows import versions_linking

        checked = check_code_repos(engine, github, run_id, owns, progress)
        if checked.changed:
            with engine.connect() as conn:
                affected = versions_linking(conn, checked.changed)
            extracted += extract_all(engine, progress, run_id, owns, only=affected)
    labelled, passes = classify_all(engine, progress, owns, run_id)
    if run_id is not None:
        with engine.begin() as conn:
            a.count_problems(conn, run_id)
    return Analysed(extracted=extracted, labelled=labelled, passes=passes, github=checked)
