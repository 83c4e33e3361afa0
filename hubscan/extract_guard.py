"""Extraction that one version cannot take down: bounded inputs, per-version isolation, fallbacks.

A batch of stale versions used to be one `pool.map`: a single card whose metadata nested 500 deep
failed while being pickled for the pool, and with it every version of every batch. Now:

1. Every stored version is bounded before extraction (`bound_version`): metadata through the listing's
   own checks (depth, size, tags, files), the README at the download bound, linked datasets' card
   data by depth and size. What was cut is reported as a problem.
2. Each version is extracted on its own (`extract_one`): if extraction raises, the version still
   gets evidence from its listing metadata alone (no README), with an `extract-failed` problem.
3. On a process pool, a chunk that cannot be sent (pickling) is extracted in-process; a chunk
   whose worker died (a crash breaks every chunk in flight) is retried one version at a time on a
   one-worker pool, so the version that kills a worker is found and gets metadata-only evidence.
4. Each version has a CPU budget (`CPU_BUDGET_SECONDS`), in a pool worker and in this process
   alike: past it `OverBudget` is raised inside the extraction (hubscan/cpu_budget.py) and the
   version gets metadata-only evidence with `extract-over-budget`; the chunk goes on. A card can be
   written to make a parser work in proportion to the square of its length (markdown-it-py's
   blockquotes: 24 kB took 7 s, 48 kB 26 s); the budget stops one card from holding a worker for
   hours. No firing lands while the shared pattern set is being updated (its lock is held), so none
   leaves it half-updated.
5. A worker that never lets the exception be raised (a call into compiled code that does not
   return, code that swallows every firing) is ended by the kernel at BACKSTOP_FACTOR times the
   budget, which step 3 then treats as a crash (`extract-crashed`). Until 2026-12-07 ending the
   worker was the only budget a worker had: a slow card then cost its 30 s twice (once to end the
   worker, once more when isolation found it) and sent its chunk, and every chunk then in flight,
   through the one-worker pool.
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Callable, Sequence

from crawler.validate import check_item
from extract import extract_model
from extract.bounds import MAX_CARD_DATA_CHARS, shape
from extract.pattern_scan import SCAN
from extract.types import ModelEvidence, StoredVersion, ParseProblem
from hubscan.cpu_budget import OverBudget, cpu_budget, end_process_after, handler_kept
from hubscan.forkserver_path import start_forkserver

README_MAX_BYTES = 1_000_000  # as crawler.downloads: what a README download keeps
PRELOAD = "hubscan.extract_preload"  # imported by the pool's forkserver before it forks a worker
MAX_POOL_RESTARTS = 8  # per batch: past this the pool itself is what fails, and the rest runs in-process
# A version's CPU seconds in a pool worker. Real cards take well under 0.1 s; the costliest shapes
# found that stay linear take 1-3.5 s at the 512 kB cap (docs/benchmarks.md, "Cards built to be
# expensive"), so no card that is read in proportion to its size comes near it.
CPU_BUDGET_SECONDS = 30.0
# In a worker, the kernel ends the process at this many times the budget: only what never lets
# `OverBudget` be raised gets that far (point 5 above).
BACKSTOP_FACTOR = 2.0

Outcome = tuple[ModelEvidence | None, tuple[ParseProblem, ...]]
Extract = Callable[[StoredVersion], ModelEvidence]
# What becomes of each outcome once its bounding problems are merged in, where it was extracted (a
# module-level function, sent to the workers by reference): e.g. extract.evidence_record.record_outcome,
# so a worker sends back what the store writes rather than the evidence's dataclasses.
Finish = Callable[[Outcome], Any]


def bound_version(version: StoredVersion) -> tuple[StoredVersion, tuple[ParseProblem, ...]]:
    """The version within the bounds extraction (and pickling) may rely on, and what was cut."""
    problems: list[ParseProblem] = []
    metadata, found = check_item(dict(version.metadata, id=version.repo_id))
    # The listing check reported these when the version was stored; only what it changes now is news.
    for p in found:
        if p.code not in ("bad-repo-id", "bad-id"):
            problems.append(ParseProblem(p.code, p.message))
    if metadata is None:
        metadata = {}
    metadata.pop("id", None)
    if "id" in version.metadata:
        metadata["id"] = version.repo_id
    readme = version.readme
    if readme is not None and len(readme) > README_MAX_BYTES:
        readme = readme[:README_MAX_BYTES]
        problems.append(ParseProblem("oversize", f"stored README of {len(version.readme):,} bytes; read up to {README_MAX_BYTES:,}"))
    datasets = {}
    for dataset_id, ds in version.datasets.items():
        if shape(ds.card_data, max_chars=MAX_CARD_DATA_CHARS).over or shape(ds.tags).over:
            problems.append(ParseProblem("carddata-oversize", f"dataset {dataset_id[:200]}: card data too deep or too big; not read"))
            ds = dataclasses.replace(ds, card_data={}, tags=())
        datasets[dataset_id] = ds
    bounded = dataclasses.replace(version, metadata=metadata, readme=readme, datasets=datasets)
    return bounded, tuple(problems)


def extract_one(version: StoredVersion, extract: Extract = extract_model) -> Outcome:
    """Evidence for one version, never an exception: metadata-only evidence when the card defeats us."""
    try:
        return extract(version), ()
    except Exception as exc:  # noqa: BLE001 - RecursionError, a parser bug, ...: one version, not the batch
        why = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    return _metadata_only(version, "extract-failed", f"extraction failed ({why}); evidence from the listing metadata alone")


def extract_within(version: StoredVersion, extract: Extract = extract_model, budget: float = CPU_BUDGET_SECONDS) -> Outcome:
    """`extract_one` in the calling process (a pool worker or this one), given up past `budget` CPU
    seconds with metadata-only evidence (module docstring, point 4)."""
    try:
        with cpu_budget(budget, defer=SCAN.busy):
            return extract_one(version, extract)
    except OverBudget as over:
        return _metadata_only(
            version, "extract-over-budget",
            f"extraction took more than {over.seconds:g} s of CPU; evidence from the listing metadata alone",
        )


def _metadata_only(version: StoredVersion, code: str, message: str) -> Outcome:
    problem = ParseProblem(code, message)
    meta = version.metadata
    plain = StoredVersion(
        repo_id=version.repo_id,
        sha=version.sha,
        metadata={k: meta[k] for k in ("siblings", "tags", "pipeline_tag", "library_name", "gated") if k in meta},
        readme=None,
        readme_status="absent",  # not read: the problem says why
        access=version.access,
    )
    try:
        evidence = extract_model(plain)
    except Exception as exc:  # noqa: BLE001 - nothing left to read: no evidence, only the problem
        return None, (problem, ParseProblem(code, f"metadata-only extraction failed too: {type(exc).__name__}"))
    return dataclasses.replace(evidence, problems=(problem,)), (problem,)


def _extract_chunk(
    items: Sequence[tuple[StoredVersion, tuple[ParseProblem, ...]]], extract: Extract = extract_model, finish: Finish | None = None,
    budget: float = CPU_BUDGET_SECONDS,
) -> list[Any]:
    """In a pool worker: each version on its own within `budget` CPU seconds, its bounding problems
    merged in, finished; one that never lets the budget be kept ends the worker (module docstring)."""
    out = []
    with handler_kept():
        for snap, extra in items:
            end_process_after(budget * BACKSTOP_FACTOR)
            try:
                out.append(_finished(extract_within(snap, extract, budget), extra, finish))
            finally:
                end_process_after(0.0)
    return out


def _finished(outcome: Outcome, extra: tuple[ParseProblem, ...], finish: Finish | None) -> Any:
    outcome = _with_problems(outcome, extra)
    return finish(outcome) if finish is not None else outcome


def _with_problems(outcome: Outcome, extra: tuple[ParseProblem, ...]) -> Outcome:
    evidence, problems = outcome
    problems = extra + problems
    if evidence is not None and extra:
        evidence = dataclasses.replace(evidence, problems=extra + evidence.problems)
    return evidence, problems


class GuardedExtractor:
    """Extract a batch in-process or on a process pool, version by version (see the module docstring).

    `extract` and `finish` must be module-level functions (they are sent to the workers by reference).
    Each outcome is (evidence or None, problems), the bounding problems first; `finish`, when given,
    turns it into what the caller wants, in the worker that extracted it.
    """

    def __init__(
        self, jobs: int, min_parallel: int, initializer: Callable[..., None] | None = None, extract: Extract = extract_model,
        finish: Finish | None = None, cpu_budget: float = CPU_BUDGET_SECONDS,
    ) -> None:
        self.jobs, self.min_parallel, self.extract, self.finish = jobs, min_parallel, extract, finish
        self.cpu_budget = cpu_budget
        self._initializer = initializer
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, versions: Sequence[StoredVersion]) -> list[Any]:
        return self.submit(versions).result()

    def submit(self, versions: Sequence[StoredVersion]) -> "Batch":
        """Start extracting a batch and return at once (on the pool); `Batch.result()` waits for it.

        A caller that submits the next batch before it waits for this one keeps the workers busy
        while it reads and writes (hubscan/pipeline.py)."""
        bounded = [bound_version(snap) for snap in versions]
        plain = [snap for snap, _ in bounded]
        extras = [extra for _, extra in bounded]
        if self.jobs > 1 and len(plain) >= self.min_parallel:
            try:
                return Batch(self, plain, extras, self._start(plain, extras))
            except (OSError, RuntimeError):  # no pool to be had (no processes, no memory): this process does it
                self.close()
                self.jobs = 1
        return Batch(self, plain, extras, None)

    def _start(self, versions: list[StoredVersion], extras: list[tuple[ParseProblem, ...]]) -> tuple[list[list[int]], list[Future]]:
        size = max(1, len(versions) // (self.jobs * 4))
        chunks = [list(range(i, min(i + size, len(versions)))) for i in range(0, len(versions), size)]
        return chunks, self._submit(self._pool_or_new(), [[(versions[i], extras[i]) for i in c] for c in chunks])

    def _here(self, version: StoredVersion, extra: tuple[ParseProblem, ...]) -> Any:
        """One version extracted and finished in this process, within its CPU budget."""
        return _finished(extract_within(version, self.extract, self.cpu_budget), extra, self.finish)

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        # forkserver: the crawl's threads make a plain fork unsafe. The server imports and warms up
        # extraction once (hubscan/extract_preload.py), so each worker forked from it starts warm.
        context = get_context("forkserver")
        context.set_forkserver_preload([PRELOAD])
        start_forkserver()  # importing by this process's path, not the working directory's
        initargs = (os.getpid(),) if self._initializer is not None else ()
        return ProcessPoolExecutor(workers, mp_context=context, initializer=self._initializer, initargs=initargs)

    def _collect(
        self, versions: list[StoredVersion], extras: list[tuple[ParseProblem, ...]], chunks: list[list[int]], futures: list[Future]
    ) -> list[Any]:
        outcomes: list[Any] = [None] * len(versions)
        crashed: list[int] = []  # versions of chunks whose worker died (a crash breaks every chunk in flight)
        for chunk, future in zip(chunks, futures):
            try:
                for i, outcome in zip(chunk, future.result()):
                    outcomes[i] = outcome
            except BrokenProcessPool:
                crashed += chunk
            except Exception:  # noqa: BLE001 - could not be sent or returned (pickling): in-process instead
                for i in chunk:
                    outcomes[i] = self._here(versions[i], extras[i])
        if crashed:
            self.close()
            self._isolate(versions, extras, crashed, outcomes)
        return [o if o is not None else self._here(versions[i], extras[i]) for i, o in enumerate(outcomes)]

    def _isolate(self, versions: list[StoredVersion], extras: list[tuple[ParseProblem, ...]], suspects: list[int], outcomes: list) -> None:
        """One version at a time on a one-worker pool: the version that kills its worker is known
        exactly, gets metadata-only evidence, and a fresh worker goes on with the next."""
        pool, restarts = self._new_pool(1), 0
        try:
            for i in suspects:
                if restarts > MAX_POOL_RESTARTS:  # the pool itself is what fails (no memory, no processes)
                    outcomes[i] = self._here(versions[i], extras[i])
                    continue
                try:
                    outcomes[i] = pool.submit(_extract_chunk, [(versions[i], extras[i])], self.extract, self.finish, self.cpu_budget).result()[0]
                except BrokenProcessPool:
                    crashed = _metadata_only(
                        versions[i], "extract-crashed",
                        f"its extraction ended the worker process (a crash, or more than {self.cpu_budget * BACKSTOP_FACTOR:g} s "
                        "of CPU without giving up); "
                        "evidence from the listing metadata alone",
                    )
                    outcomes[i] = _finished(crashed, extras[i], self.finish)
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool, restarts = self._new_pool(1), restarts + 1
                except Exception:  # noqa: BLE001
                    outcomes[i] = self._here(versions[i], extras[i])
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _pool_or_new(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = self._new_pool(self.jobs)
        return self._pool

    def _submit(self, pool: ProcessPoolExecutor, chunks: list[list[tuple[StoredVersion, tuple[ParseProblem, ...]]]]) -> list[Future]:
        futures = []
        for chunk in chunks:
            try:
                futures.append(pool.submit(_extract_chunk, chunk, self.extract, self.finish, self.cpu_budget))
            except BrokenProcessPool as exc:
                failed: Future[Any] = Future()
                failed.set_exception(exc)
                futures.append(failed)
        return futures

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class Batch:
    """A batch being extracted: on the pool (futures), or still to be done in-process."""

    def __init__(
        self, owner: GuardedExtractor, versions: list[StoredVersion], extras: list[tuple[ParseProblem, ...]],
        started: tuple[list[list[int]], list[Future]] | None,
    ) -> None:
        self.owner, self.versions, self.extras, self.started = owner, versions, extras, started

    def result(self) -> list[Any]:
        """Each version's outcome (evidence or None, problems), finished by the owner's `finish`."""
        owner = self.owner
        if self.started is not None:
            try:
                return owner._collect(self.versions, self.extras, *self.started)
            except (OSError, RuntimeError):  # the pool went away (no processes, no memory): this process does it
                owner.close()
                owner.jobs = 1
        return [owner._here(snap, extra) for snap, extra in zip(self.versions, self.extras)]

