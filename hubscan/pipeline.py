"""Extraction and labelling over the database: store/ reads and writes, extract/ and classify/ think."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, Callable, Sequence

from sqlalchemy import Engine

from classify import RULE_VERSION, BaseLabel, label_version
from extract import EXTRACTOR_VERSION, extract_model
from store import analysis as a

MAX_LINEAGE_PASSES = 8  # lineage depth we propagate a base's label change through in one run
MIN_PARALLEL = 100  # a smaller batch (a quiet night) is extracted in-process: no pool to start

Progress = Callable[[str, int], None]


@dataclass
class Analysed:
    extracted: int = 0
    labelled: int = 0
    passes: int = 0
    github: Any = None  # crawler.code_repos.CodeRepoRun when linked repositories were checked

    def line(self) -> str:
        line = f"evidence extracted for {self.extracted} versions, {self.labelled} labels written (rule set {RULE_VERSION})"
        return line + (f"\n{self.github.line()}" if self.github is not None else "")


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


class _Extractor:
    """extract_model over a batch: in-process, or on a process pool for big batches.

    Card parsing is CPU-bound pure Python, so threads would not help; extraction is a pure function
    of the snapshot, so worker processes give the same evidence in the same order. The pool starts
    with the first big batch, by forkserver (the crawl's threads make a plain fork unsafe).
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, snapshots: Sequence) -> list:
        if self.jobs <= 1 or len(snapshots) < MIN_PARALLEL:
            return [extract_model(snap) for snap in snapshots]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.jobs, mp_context=get_context("forkserver"), initializer=_exit_with, initargs=(os.getpid(),)
            )
        return list(self._pool.map(extract_model, snapshots, chunksize=max(1, len(snapshots) // (self.jobs * 4))))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def extract_all(
    engine: Engine, progress: Progress | None = None, run_id: int | None = None, owns: Owns | None = None, jobs: int | None = None,
    only_versions: Sequence[int] | None = None,
) -> int:
    """Extract evidence for stale versions (only the repos `owns` accepts, for a shard worker; only
    `only_versions` when given)."""
    done = 0
    extract = _Extractor(extract_jobs() if jobs is None else jobs)
    try:
        with engine.connect() as reader:
            for rows in a.evidence_batches(reader, EXTRACTOR_VERSION, only_versions=only_versions):
                if owns is not None:
                    rows = [r for r in rows if owns(r.repo_id)]
                    if not rows:
                        continue
                snapshots = a.load_snapshots(reader, rows)
                items = list(zip(rows, extract(snapshots)))
                with engine.begin() as conn:
                    a.save_evidence(conn, items, run_id)
                done += len(items)
                if progress:
                    progress("extracted", len(items))
    finally:
        extract.close()
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


def analyse(
    engine: Engine, progress: Progress | None = None, run_id: int | None = None, owns: Owns | None = None, github=None
) -> Analysed:
    """Extract and label whatever changed; with a crawl's run id, parse problems are counted on that run.

    With `github` (crawler.github.GitHubSettings) and a run, the code repositories that candidate
    versions link are checked between a first extraction (which says which versions could rise above
    Open Weights and which repositories they link) and labelling; the versions linking a repository
    whose state changed are extracted again (docs/code-evidence.md).
    """
    extracted = extract_all(engine, progress, run_id, owns)
    checked = None
    if github is not None and run_id is not None:
        from crawler.code_repos import check_code_repos
        from store.code_repos import versions_linking

        checked = check_code_repos(engine, github, run_id, owns, progress)
        if checked.changed:
            with engine.connect() as conn:
                affected = versions_linking(conn, checked.changed)
            extracted += extract_all(engine, progress, run_id, owns, only_versions=affected)
    labelled, passes = classify_all(engine, progress, owns, run_id)
    if run_id is not None:
        with engine.begin() as conn:
            a.count_problems(conn, run_id)
    return Analysed(extracted=extracted, labelled=labelled, passes=passes, github=checked)
