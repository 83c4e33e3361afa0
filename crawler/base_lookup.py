"""Lineage closure: ask the Hub about every base model a stored model derives from and the crawl did
not list, store it like any model version, and follow its own bases to the root.

A base the listing did not show (a crawl of one author, a base under a legacy or renamed id, a
private or deleted repo) is asked about with one model-info call (`/api/models/{id}` with the
listing's `expand` fields), through the crawl's retry and quota machinery; the Hub's redirect of an
old id is followed and remembered as an alias, so the next lookup costs nothing. Each distinct base
is asked about at most once per run, and again only when due (`refresh_days`, like datasets).

A second, budgeted look: a model under an open licence that names no base at all may still be a
fine-tune whose `config.json` says where it was loaded from (`_name_or_path`); that small file (one
resolver call) is fetched for at most `config_budget` such versions per run, newest first, so a first
crawl spreads the cost over several nights.

Each round stores what it learnt; the caller re-extracts evidence between rounds (new bases may name
bases of their own) until nothing new is found or `MAX_ROUNDS` is reached.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import httpx2
from huggingface_hub.errors import DisabledRepoError, HfHubHTTPError, RepositoryNotFoundError
from sqlalchemy import Engine

import policy
from extract.lineage_ids import is_hub_id
from store import crawl_writes as w
from store import dataset_writes as dw
from store import lineage_graph as lineage_store
from store.records import PendingFetch, VersionDownload

from .dataset_fetch import fetch_dataset
from .downloads import FILE_MAX_BYTES, fetch_file, fetch_version
from .http import HubHttp
from .listing import MODEL_EXPAND

MAX_ROUNDS = 64  # bases of bases: deeper chains than this are cut (and the rest stays pending)
MAX_LOOKUPS_PER_RUN = 50_000
LOOKUP_BATCH = 200

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class BaseOutcome:
    status: str  # ok | missing | disabled | invalid | error
    item: dict[str, Any] | None = None
    error: str | None = None


def fetch_base(http: HubHttp, endpoint: str, asked_id: str) -> BaseOutcome:
    """One model-info call; every failure is an outcome, never an exception."""
    if not is_hub_id(asked_id):
        return BaseOutcome("invalid", error="not a valid Hub repository id")
    params = [("expand", name) for name in MODEL_EXPAND]
    try:
        fetched = http.get(f"{endpoint.rstrip('/')}/api/models/{asked_id}", bucket="api", params=params)
        item = fetched.response.json()
    except RepositoryNotFoundError as exc:  # 401 anonymously, 404 with a token: missing or private
        return BaseOutcome("missing", error=_first_line(exc))
    except DisabledRepoError as exc:
        return BaseOutcome("disabled", error=_first_line(exc))
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        return BaseOutcome("invalid" if status == 400 else "error", error=f"http-{status}: {_first_line(exc)}")
    except httpx2.HTTPError as exc:
        return BaseOutcome("error", error=f"network: {type(exc).__name__}")
    except ValueError as exc:
        return BaseOutcome("error", error=f"bad-response: {exc}"[:300])
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not is_hub_id(item["id"]):
        return BaseOutcome("error", error="bad-response: model info without a valid id")
    if item.get("disabled"):
        return BaseOutcome("disabled", item=item)
    return BaseOutcome("ok", item=item)


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


@dataclass(frozen=True)
class RoundResult:
    asked: int  # bases asked about
    versions: list[int]  # versions stored or given a new file: their evidence must be extracted


@dataclass
class LineageStats:
    lookups: int = 0
    bases_stored: int = 0
    configs: int = 0
    rounds: int = 0
    unresolved: dict[str, int] = field(default_factory=dict)


class LineageStage:
    """One crawl's lineage closure (see the module docstring). Call `round()` until it returns 0."""

    def __init__(
        self,
        engine: Engine,
        http: HubHttp,
        endpoint: str,
        run_id: int,
        *,
        workers: int = 4,
        refresh_days: float = 7.0,
        config_budget: int = 20_000,
        owns: Callable[[str], bool] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.engine, self.http, self.endpoint, self.run_id = engine, http, endpoint, run_id
        self.workers = max(1, workers)
        self.refresh_before = (datetime.now(timezone.utc) - timedelta(days=refresh_days)).isoformat(timespec="seconds")
        self.config_budget = config_budget
        self.owns = owns
        self.progress = progress or (lambda _what, _n: None)
        self.stats = LineageStats()

    def round(self) -> "RoundResult":
        """Ask about the bases no stored model matches and fetch due config files.

        Returns how many bases were asked about and the versions whose extraction inputs changed
        (bases stored, config files fetched): the caller re-extracts exactly those."""
        self.stats.rounds += 1
        with self.engine.begin() as conn:
            lineage_store.resolve_bases(conn)
        asked, stored = self._lookups()
        configs = self._configs()
        return RoundResult(asked=asked, versions=stored + configs)

    # --- bases -----------------------------------------------------------------------------

    def _lookups(self) -> tuple[int, list[int]]:
        asked = 0
        stored: list[int] = []
        after = ""
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="hubscan-lineage") as pool:
            while self.stats.lookups < MAX_LOOKUPS_PER_RUN:
                with self.engine.connect() as conn:
                    todo = lineage_store.bases_to_ask(conn, self.run_id, self.refresh_before, after, LOOKUP_BATCH)
                if not todo:
                    break
                after = todo[-1].key
                if self.owns is not None:  # a shard worker asks about the bases whose id it owns
                    todo = [t for t in todo if self.owns(t.asked_id)]
                todo = todo[: MAX_LOOKUPS_PER_RUN - self.stats.lookups]
                outcomes = list(pool.map(lambda t: fetch_base(self.http, self.endpoint, t.asked_id), todo))
                pending = self._store(todo, outcomes)
                self._download(pool, pending)
                stored += [p.version_id for p in pending]
                asked += len(todo)
                self.stats.lookups += len(todo)
                self.progress("bases", len(todo))
        return asked, stored

    def _store(self, todo, outcomes: list[BaseOutcome]) -> list[PendingFetch]:
        """Record each answer; store the bases found like listed models. Returns what they still need downloaded."""
        found = {}
        with self.engine.begin() as conn:
            for asked, outcome in zip(todo, outcomes):
                repo_id = outcome.item["id"] if outcome.item else None
                lineage_store.record_lookup(conn, self.run_id, asked, outcome.status, repo_id, outcome.error)
                if outcome.item is not None:
                    found[repo_id] = outcome.item
                if outcome.status == "error":
                    w.add_problem(conn, self.run_id, "model", asked.asked_id, None, "lineage", "base-lookup", outcome.error or "lookup failed")
            versions: dict[str, int] = {}
            if found:
                versions, _new = w.store_models(conn, self.run_id, list(found.values()), origin="lineage")
            w.bump(conn, self.run_id, lineage_calls=len(todo), bases_fetched=len(found))
            self.stats.bases_stored += len(found)
            pending = w.pending_fetches(conn, version_ids=list(versions.values())) if versions else []
        return pending

    def _download(self, pool: ThreadPoolExecutor, pending) -> None:
        if not pending:
            return
        results: list[VersionDownload] = list(pool.map(lambda p: fetch_version(self.http, self.endpoint, p), pending))
        with self.engine.begin() as conn:
            readmes, files = w.record_downloads(conn, self.run_id, results)
            w.bump(conn, self.run_id, readmes_fetched=readmes, files_fetched=files)
        self._datasets([r.version_id for r in results])
        self.progress("downloads", len(results))

    def _datasets(self, version_ids: list[int]) -> None:
        """Datasets the stored bases declare, not asked about by this run or lately."""
        with self.engine.connect() as conn:
            due = dw.datasets_of_versions_due(conn, self.run_id, version_ids, self.refresh_before)
        for dataset_id in due:
            outcome = fetch_dataset(self.http, self.endpoint, dataset_id)
            with self.engine.begin() as conn:
                dw.record_dataset(conn, self.run_id, dataset_id, outcome)
                w.bump(conn, self.run_id, datasets_fetched=int(outcome.status == "ok"))

    # --- config.json -----------------------------------------------------------------------

    def _configs(self) -> list[int]:
        budget = self.config_budget - self.stats.configs
        if budget <= 0:
            return []
        names = policy.load("lineage")["files"]["model_config"]
        with self.engine.connect() as conn:
            candidates = lineage_store.config_candidates(conn, names, budget)
        if self.owns is not None:
            candidates = [c for c in candidates if self.owns(c.repo_id)]
        if not candidates:
            return []

        def fetch(c):
            return c, fetch_file(self.http, self.endpoint, c.repo_id, c.sha, c.path, FILE_MAX_BYTES)

        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="hubscan-lineage") as pool:
            fetched = list(pool.map(fetch, candidates))
        with self.engine.begin() as conn:
            lineage_store.record_config_files(conn, self.run_id, fetched)
            w.bump(conn, self.run_id, files_fetched=sum(1 for _c, o in fetched if o.content is not None))
        self.stats.configs += len(fetched)
        self.progress("configs", len(fetched))
        return [c.version_id for c, _outcome in fetched]
