"""Reviewers' corrections with provenance: the append-only `reviews` table.

The rules' label stays in `labels`. A reviewer who knows better records a review: who, when, why,
where the evidence is, which label, and the sha of the version reviewed. The *published* label
(`latest_labels.label`, the export's `label`) is the review's while the model's current sha is the
one reviewed; once the model changes, the review is stale and the rules' label is published again,
until someone reviews the new version. Nothing is updated or deleted: clearing a review appends a
`clear` row. A model's newest row (by `reviewed_at`, then id) decides.

Reviews travel as YAML or CSV files (`hubscan review export` / `import`), so a team can keep them
in git; importing the same file twice adds nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Connection, and_, exists, func, or_, select

from . import schema as s
from .textfiles import read_bounded_text

SET, CLEAR = "set", "clear"
ACTIONS = (SET, CLEAR)
ACTIVE, STALE, CLEARED, ABSENT = "active", "stale", "cleared", "absent"
MAX_REASON = 4000  # characters
MAX_NAME = 128
MAX_URL = 2000
MAX_FILE_BYTES = 20_000_000
MAX_FILE_ROWS = 100_000
FILE_FORMAT = "hubscan-reviews/1"
FILE_KEYS = ("repo_id", "sha", "action", "label", "reason", "evidence_url", "reviewed_by", "reviewed_at")
# query parameters that carry a secret and never belong in a stored evidence link
_SECRET_PARAMS = frozenset({"token", "access_token", "auth", "api_key", "apikey", "key", "password", "secret", "sig", "signature", "x-amz-signature", "x-amz-credential"})


class ReviewError(ValueError):
    """A review cannot be recorded as asked (unknown model or label, missing reason, bad file ...)."""


@dataclass(frozen=True)
class Review:
    repo_id: str
    sha: str
    action: str
    label: str | None
    reason: str | None
    evidence_url: str | None
    reviewed_by: str
    reviewed_at: str
    id: int | None = None
    recorded_at: str | None = None
    origin: str | None = None

    def file_row(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FILE_KEYS}


@dataclass(frozen=True)
class ReviewState:
    """A model's newest review and where it stands against the model's current version."""

    review: Review
    current_sha: str | None  # None: the model is not in the database (a review imported before a crawl)
    computed_label: str | None  # the rules' label of the current version

    @property
    def state(self) -> str:
        if self.review.action == CLEAR:
            return CLEARED
        if self.current_sha is None:
            return ABSENT  # imported before the model was crawled: nothing to publish yet
        return ACTIVE if self.current_sha == self.review.sha else STALE

    @property
    def published_label(self) -> str | None:
        return self.review.label if self.state == ACTIVE else self.computed_label


# --- validation --------------------------------------------------------------------------


def normalise_label(text: str | None) -> str:
    """One of the five labels, matched without regard to case or spacing; else a ReviewError naming them."""
    from classify.rules import LABELS

    key = " ".join(str(text or "").split()).casefold()
    for label in LABELS:
        if label.casefold() == key:
            return label
    raise ReviewError(f"unknown label {text!r}: use one of " + ", ".join(repr(x) for x in LABELS))


def _one_line(value: Any, what: str, limit: int, required: bool = True) -> str | None:
    text = " ".join(str(value or "").split())
    if not text:
        if required:
            raise ReviewError(f"{what} is required")
        return None
    if len(text) > limit:
        raise ReviewError(f"{what} is longer than {limit} characters")
    return text


def clean_reason(value: Any, required: bool = True) -> str | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise ReviewError("a reason is required (--reason): say what the rules missed")
        return None
    if len(text) > MAX_REASON:
        raise ReviewError(f"the reason is longer than {MAX_REASON} characters")
    return text


def clean_evidence_url(url: str | None) -> str | None:
    """An http(s) link without credentials: user:password@ and secret-looking query parameters are dropped."""
    if url is None or not str(url).strip():
        return None
    url = str(url).strip()
    if len(url) > MAX_URL:
        raise ReviewError(f"the evidence URL is longer than {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ReviewError(f"the evidence must be an http(s) URL, not {url[:80]!r}")
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        netloc += f":{parts.port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in _SECRET_PARAMS])
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, query, parts.fragment))


def normalise_time(value: Any) -> str:
    """ISO-8601 UTC to the second, so that reviews order correctly as text on every backend."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ReviewError(f"bad time {text[:40]!r}: expected ISO-8601, e.g. 2026-11-24T06:00:00+00:00") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def now() -> str:
    return normalise_time(datetime.now(timezone.utc))


# --- the model a review is about ---------------------------------------------------------


def resolve_model(conn: Connection, repo_id: str) -> tuple[str, str | None]:
    """(stored repo id, current sha) of a model, matching the id case-insensitively as the Hub does."""
    m = s.models
    row = conn.execute(select(m.c.repo_id, m.c.sha).where(m.c.repo_id == repo_id)).first()
    if row is None:
        rows = conn.execute(select(m.c.repo_id, m.c.sha).where(func.lower(m.c.repo_id) == repo_id.lower()).limit(2)).all()
        row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise ReviewError(f"{repo_id} is not in the database (crawl it first, or check the id)")
    return row.repo_id, row.sha


# --- writing -----------------------------------------------------------------------------


def _insert(conn: Connection, review: Review, origin: str) -> Review:
    recorded = now()
    values = {k: v for k, v in asdict(review).items() if k not in ("id", "recorded_at", "origin")}
    new_id = conn.execute(s.reviews.insert().values(**values, recorded_at=recorded, origin=origin)).inserted_primary_key[0]
    return Review(**values, id=new_id, recorded_at=recorded, origin=origin)


def set_review(conn: Connection, repo_id: str, label: str, reason: str, by: str, evidence: str | None = None, at: Any = None) -> Review:
    """Record a reviewer's label for the model's current version."""
    label = normalise_label(label)
    reason = clean_reason(reason)
    by = _one_line(by, "the reviewer's name (--by)", MAX_NAME)
    evidence = clean_evidence_url(evidence)
    stored_id, sha = resolve_model(conn, repo_id)
    if not sha:
        raise ReviewError(f"{stored_id} has no stored version to review yet")
    review = Review(stored_id, sha, SET, label, reason, evidence, by, normalise_time(at) if at else now())
    return _insert(conn, review, "cli")


def clear_review(conn: Connection, repo_id: str, by: str, reason: str | None = None, at: Any = None) -> Review:
    """Append a clearing row: the model's review no longer publishes a label (the history stays)."""
    by = _one_line(by, "the reviewer's name (--by)", MAX_NAME)
    reason = clean_reason(reason, required=False)
    stored_id, sha = resolve_model(conn, repo_id)
    newest = newest_reviews(conn, [stored_id])
    if not newest or newest[0].review.action == CLEAR:
        raise ReviewError(f"{stored_id} has no review to clear")
    review = Review(stored_id, sha or newest[0].review.sha, CLEAR, None, reason, None, by, normalise_time(at) if at else now())
    return _insert(conn, review, "cli")


# --- reading -----------------------------------------------------------------------------


def has_reviews(conn: Connection) -> bool:
    """Whether the database has the reviews table: read-only commands do not migrate an older database."""
    from sqlalchemy import inspect

    return inspect(conn).has_table("reviews")


def _review(row) -> Review:
    return Review(
        row.repo_id, row.sha, row.action, row.label, row.reason, row.evidence_url, row.reviewed_by,
        row.reviewed_at, row.id, row.recorded_at, row.origin,
    )


def newest_review_rows():
    """Core select of each model's newest review row (any action), by reviewed_at then id."""
    r, x = s.reviews, s.reviews.alias("newer")
    newer = exists().where(
        x.c.repo_id == r.c.repo_id,
        or_(x.c.reviewed_at > r.c.reviewed_at, and_(x.c.reviewed_at == r.c.reviewed_at, x.c.id > r.c.id)),
    )
    return select(r).where(~newer)


def published_reviews():
    """Subquery of reviews that may publish a label: a model's newest review, when it sets one.

    Join it on repo_id *and* sha: a review of an older sha is stale and publishes nothing.
    """
    newest = newest_review_rows().subquery()
    return select(newest).where(newest.c.action == SET).subquery("published_review")


def newest_reviews(conn: Connection, repo_ids: Sequence[str] | None = None) -> list[ReviewState]:
    """Each reviewed model's newest review with the model's current sha and rules' label, by repo id."""
    newest = newest_review_rows().subquery()
    m, lab = s.models, s.labels
    query = (
        select(newest, m.c.sha.label("current_sha"), lab.c.label.label("computed_label"))
        .select_from(newest.outerjoin(m, m.c.repo_id == newest.c.repo_id).outerjoin(lab, lab.c.version_id == m.c.current_version_id))
        .order_by(newest.c.repo_id)
    )
    if repo_ids is not None:
        query = query.where(newest.c.repo_id.in_(list(repo_ids)))
    return [ReviewState(_review(row), row.current_sha, row.computed_label) for row in conn.execute(query)]


def review_log(conn: Connection, repo_id: str | None = None) -> list[Review]:
    """Every review row, oldest first (the provenance)."""
    r = s.reviews
    query = select(r).order_by(r.c.reviewed_at, r.c.id)
    if repo_id is not None:
        query = query.where(r.c.repo_id == repo_id)
    return [_review(row) for row in conn.execute(query)]


@dataclass(frozen=True)
class StaleReview:
    """A review whose model has changed since: its label is no longer published."""

    state: ReviewState
    stale_since_run: int | None  # the first crawl after the review that saw another sha
    stale_since: str | None  # that run's start


def stale_reviews(conn: Connection) -> list[StaleReview]:
    """Stale reviews, with the first crawl that saw the model at another sha after the review.

    Private models are left out: this list goes into published reports.
    """
    if not has_reviews(conn):
        return []
    stale = [st for st in newest_reviews(conn) if st.state == STALE and st.current_sha is not None]
    if not stale:
        return []
    o, v, r, m = s.observations, s.model_versions, s.runs, s.models
    private = {row.repo_id for row in conn.execute(select(m.c.repo_id).where(m.c.repo_id.in_([st.review.repo_id for st in stale]), m.c.private))}
    out = []
    for st in stale:
        if st.review.repo_id in private:
            continue
        first = conn.execute(
            select(r.c.id, r.c.started_at)
            .select_from(o.join(v, v.c.id == o.c.version_id).join(r, r.c.id == o.c.run_id))
            .where(o.c.repo_id == st.review.repo_id, v.c.sha != st.review.sha, r.c.started_at >= st.review.reviewed_at)
            .order_by(r.c.started_at, r.c.id)
            .limit(1)
        ).first()
        out.append(StaleReview(st, first.id if first else None, first.started_at if first else None))
    return out


# --- files -------------------------------------------------------------------------------


def write_review_file(reviews: Iterable[Review], path: Path) -> int:
    """Write the review log as YAML (.yaml/.yml) or CSV (.csv); returns the number of rows."""
    rows = [rv.file_row() for rv in reviews]
    path = Path(path)
    kind = _file_kind(path)
    if kind == "csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=FILE_KEYS)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
    else:
        import yaml

        header = "# hubscan reviews: reviewers' corrections with provenance (hubscan review export / import)\n"
        body = yaml.safe_dump({"format": FILE_FORMAT, "reviews": rows}, sort_keys=False, allow_unicode=True, width=100)
        path.write_text(header + body, encoding="utf-8")
    return len(rows)


def _file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise ReviewError(f"{path.name}: a review file ends in .yaml, .yml or .csv")


def read_review_file(path: Path) -> list[dict[str, Any]]:
    """The rows of a review file (not yet validated), or a ReviewError saying what is wrong."""
    path = Path(path)
    kind = _file_kind(path)
    text = read_bounded_text(path, MAX_FILE_BYTES, ReviewError)
    if kind == "csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = {"repo_id"} - set(reader.fieldnames or ())
        if missing:
            raise ReviewError(f"{path.name}: the header must name repo_id (and label, reason, reviewed_by ...)")
        rows = []
        for row in reader:
            if len(rows) >= MAX_FILE_ROWS:
                raise ReviewError(f"{path.name}: more than {MAX_FILE_ROWS} rows")
            rows.append({k: (v if v != "" else None) for k, v in row.items() if k is not None})
        return rows
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReviewError(f"{path.name}: not valid YAML: {str(exc).splitlines()[0]}") from exc
    if isinstance(data, dict):
        if data.get("format", FILE_FORMAT) != FILE_FORMAT:
            raise ReviewError(f"{path.name}: format {data.get('format')!r} is not {FILE_FORMAT}")
        data = data.get("reviews")
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise ReviewError(f"{path.name}: expected a list of reviews (mappings with repo_id, label, reason, reviewed_by ...)")
    if len(data) > MAX_FILE_ROWS:
        raise ReviewError(f"{path.name}: more than {MAX_FILE_ROWS} rows")
    return data


def review_from_row(conn: Connection, row: dict[str, Any]) -> Review:
    """Validate one file row; a row without a sha reviews the model's current version."""
    repo_id = _one_line(row.get("repo_id"), "repo_id", 256)
    action = str(row.get("action") or SET).strip().lower()
    if action not in ACTIONS:
        raise ReviewError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    sha = _one_line(row.get("sha"), "sha", 64, required=False)
    if sha is None:
        repo_id, sha = resolve_model(conn, repo_id)
        if not sha:
            raise ReviewError(f"{repo_id} has no stored version and the row gives no sha")
    else:
        try:
            repo_id = resolve_model(conn, repo_id)[0]  # the stored spelling, so the review joins its model
        except ReviewError:
            pass  # not crawled yet: kept as written, published once a crawl stores it under this id
    by = _one_line(row.get("reviewed_by") or row.get("by"), "reviewed_by", MAX_NAME)
    at = normalise_time(row.get("reviewed_at") or row.get("at")) if (row.get("reviewed_at") or row.get("at")) else now()
    evidence = clean_evidence_url(row.get("evidence_url") or row.get("evidence"))
    if action == SET:
        return Review(repo_id, sha, SET, normalise_label(row.get("label")), clean_reason(row.get("reason")), evidence, by, at)
    return Review(repo_id, sha, CLEAR, None, clean_reason(row.get("reason"), required=False), evidence, by, at)


def import_reviews(conn: Connection, rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """Append the rows not already stored; returns (added, already present). All or nothing."""
    reviews = []
    for number, row in enumerate(rows, 1):
        try:
            reviews.append(review_from_row(conn, row))
        except ReviewError as exc:
            raise ReviewError(f"review {number} ({str(row.get('repo_id'))[:80]}): {exc}") from exc
    stored = {_identity(rv) for rv in review_log(conn)} if reviews else set()
    added = 0
    for rv in reviews:
        if _identity(rv) in stored:
            continue
        _insert(conn, rv, "import")
        stored.add(_identity(rv))
        added += 1
    return added, len(reviews) - added


def _identity(rv: Review) -> tuple:
    return tuple(getattr(rv, k) for k in FILE_KEYS)
