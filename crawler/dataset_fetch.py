"""Linked datasets: `dataset_info` once per crawl per dataset, turned into a storable record."""

from __future__ import annotations

from typing import Any

import httpx2
from huggingface_hub import DatasetInfo
from huggingface_hub.errors import DisabledRepoError, GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from store.records import DatasetOutcome
from store.redact import redact

from .http import HubHttp

MAX_DESCRIPTION = 20_000


def fetch_dataset(http: HubHttp, endpoint: str, dataset_id: str) -> DatasetOutcome:
    """`dataset_info`, sent through our retrying, quota-paced session and parsed by huggingface_hub's DatasetInfo."""
    from .validate import refused_by_client

    why = refused_by_client(dataset_id)
    if why:  # "../../api/x", "a b", 300 characters: no request can name it (nor would the Hub hold it)
        return DatasetOutcome(dataset_id, "missing", code="bad-dataset-id", error=why)
    try:
        fetched = http.get(f"{endpoint.rstrip('/')}/api/datasets/{dataset_id}", bucket="api")
        info = DatasetInfo(**fetched.response.json())
    except GatedRepoError:  # metadata of gated datasets is public; this is a defensive branch
        return DatasetOutcome(dataset_id, "ok", {"id": dataset_id, "gated": "manual"})
    except RepositoryNotFoundError as exc:
        return DatasetOutcome(dataset_id, "missing", code="repo-unavailable", error=str(exc).splitlines()[0][:300])
    except DisabledRepoError as exc:
        return DatasetOutcome(dataset_id, "disabled", code="repo-disabled", error=str(exc).splitlines()[0][:300])
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "error"
        return DatasetOutcome(dataset_id, "error", code=f"http-{status}", error=str(exc).splitlines()[0][:300])
    except httpx2.HTTPError as exc:
        return DatasetOutcome(dataset_id, "error", code="network", error=redact(f"{type(exc).__name__}: {exc}"[:300]))
    except (ValueError, TypeError, KeyError) as exc:  # not the JSON a dataset_info answers
        return DatasetOutcome(dataset_id, "error", code="bad-response", error=f"{type(exc).__name__}: {exc}"[:300])
    return DatasetOutcome(info.id or dataset_id, "ok", dataset_record(info))


def dataset_record(info: DatasetInfo) -> dict[str, Any]:
    """What we store of a dataset, from `dataset_info` or from a listing item parsed as DatasetInfo."""
    card = info.card_data.to_dict() if info.card_data is not None else {}
    return {
        "id": info.id,
        "sha": info.sha,
        "author": info.author,
        "lastModified": info.last_modified.isoformat() if info.last_modified else None,
        "createdAt": info.created_at.isoformat() if info.created_at else None,
        "gated": info.gated if info.gated in ("auto", "manual") else False,
        "private": bool(info.private),
        "disabled": bool(info.disabled),
        "tags": list(info.tags or []),
        "cardData": card,
        "description": (info.description or "")[:MAX_DESCRIPTION] or None,
    }


DATASET_CARD_MAX_BYTES = 512_000  # a dataset card is read up to this size (a longer one is kept cut, as "oversize")


def fetch_dataset_cards(engine, http: HubHttp, endpoint: str, run_id: int, progress=None) -> int:
    """The README of each dataset version not fetched yet: one resolver call per new dataset sha.

    Data information is often written in the dataset's own card (collection, filtering, sizes), not in
    the model card that declares the dataset. Returns how many cards were stored.
    """
    from store import dataset_cards

    from .downloads import fetch_file

    fetched = 0
    after = 0
    while True:
        with engine.connect() as conn:
            due = dataset_cards.cards_due(conn, after)
        if not due:
            return fetched
        for version_id, dataset_id, sha in due:
            revision = "main" if sha.startswith("meta-") else sha  # a listing without a sha: its content hash is no revision
            outcome = fetch_file(http, endpoint, dataset_id, revision, "README.md", DATASET_CARD_MAX_BYTES, repo_type="dataset")
            status = "absent" if outcome.status == "missing" else outcome.status
            with engine.begin() as conn:
                dataset_cards.record_card(conn, run_id, version_id, dataset_id, sha, status, outcome.content, outcome.code, outcome.error)
            fetched += int(outcome.content is not None)
            if progress:
                progress("dataset cards", 1)
        after = due[-1][0]
