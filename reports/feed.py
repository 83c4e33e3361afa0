"""A feed of what changed, for people who follow open-washing without polling a database.

`write_feeds` writes `feed.atom` (Atom 1.0, RFC 4287) and `feed.json` (JSON Feed 1.1) with one entry
per change between consecutive finished crawls (the same crawls the weekly report reads): licence
changes (tightened licences first, the rug-pulls), new and cleared open-washing flags, label changes,
and reviewers' corrections. The first crawl in the database has no predecessor: its flags count as
new. Private models never appear.

Each entry has a stable id (a tag: URI from the change kind, the model, its sha and the crawl's start
time, so regenerating the feed from the same history, or from a copy of the database, gives the same
ids), a link to the model on the Hub, and a plain-text summary built from its explanation (card text
is quoted only as text: Atom `type="text"`, JSON Feed `content_text`; characters XML cannot carry are
dropped).
"""

from __future__ import annotations

import importlib.metadata

import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from sqlalchemy import Connection, Engine, select

from store import schema as s

from .changes import CLEARED_FLAG, LABEL_CHANGE, LICENCE_CHANGE, NEW_FLAG, Change, changes_between
from .runs import ReportError, RunInfo, parse_timestamp, report_runs
from .run_view import chunks, flagged_models, model_url

TAG_AUTHORITY = "tag:hubscan,2026:"
TITLE = "hubscan: openness changes on the Hugging Face Hub"
DESCRIPTION = (
    "Label changes, new and cleared open-washing flags, licence changes (tightened first) and reviewers' "
    "corrections, from hubscan's crawls of the Hugging Face Hub."
)
REVIEW = "review"
TIGHTENED = "licence tightened"
# Within one crawl: rug-pulls first, then new flags, label changes, cleared flags, other licence changes.
ORDER = (TIGHTENED, NEW_FLAG, LABEL_CHANGE, CLEARED_FLAG, LICENCE_CHANGE, REVIEW)
SLUGS = {TIGHTENED: "licence-change", NEW_FLAG: "new-flag", LABEL_CHANGE: "label-change", CLEARED_FLAG: "cleared-flag", LICENCE_CHANGE: "licence-change", REVIEW: "review"}
MAX_SUMMARY = 1200
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: Any, limit: int | None = None) -> str:
    """Text safe for XML 1.0 and JSON, whitespace collapsed, bounded."""
    value = " ".join(_NOT_XML.sub("", str(text or "")).split())
    if limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


@dataclass(frozen=True)
class FeedEntry:
    id: str
    kind: str  # one of ORDER
    repo_id: str
    sha: str | None
    updated: str  # RFC 3339
    title: str
    summary: str
    before: str | None = None
    after: str | None = None
    direction: str | None = None
    downloads: int = 0

    @property
    def url(self) -> str:
        return model_url(self.repo_id)


@dataclass(frozen=True)
class Feed:
    entries: tuple[FeedEntry, ...]
    updated: str
    runs: tuple[RunInfo, ...]


def _rfc3339(value: str) -> str:
    return parse_timestamp(value).astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _compact(value: str) -> str:
    return parse_timestamp(value).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def entry_id(kind: str, repo_id: str, sha: str | None, moment: str, slug: str | None = None) -> str:
    """A tag: URI (RFC 4151) that names the change itself: kind, model, version and when."""
    return f"{TAG_AUTHORITY}{slug or SLUGS[kind]}/{quote(repo_id, safe='/-_.')}/{sha or 'none'}/{_compact(moment)}"


# --- what changed ------------------------------------------------------------------------


def _shas(conn: Connection, run_id: int, repo_ids: Iterable[str]) -> dict[str, str]:
    o, v = s.observations, s.model_versions
    out: dict[str, str] = {}
    for part in chunks(sorted(set(repo_ids))):
        for r in conn.execute(select(o.c.repo_id, v.c.sha).join(v, v.c.id == o.c.version_id).where(o.c.run_id == run_id, o.c.repo_id.in_(list(part)))):
            out[r.repo_id] = r.sha
    return out


def _private(conn: Connection, repo_ids: Iterable[str]) -> set[str]:
    m = s.models
    out: set[str] = set()
    for part in chunks(sorted(set(repo_ids))):
        out.update(r.repo_id for r in conn.execute(select(m.c.repo_id).where(m.c.repo_id.in_(list(part)), m.c.private)))
    return out


def _explanations(conn: Connection, run_id: int, repo_ids: Iterable[str]) -> dict[str, tuple[str, str, list[dict]]]:
    """(label, rule, gates) of the version each model had in a run, as labelled now."""
    o, lab = s.observations, s.labels
    out: dict[str, tuple[str, str, list[dict]]] = {}
    for part in chunks(sorted(set(repo_ids))):
        for r in conn.execute(
            select(o.c.repo_id, lab.c.label, lab.c.rule, lab.c.explanation)
            .join(lab, lab.c.version_id == o.c.version_id)
            .where(o.c.run_id == run_id, o.c.repo_id.in_(list(part)))
        ):
            out[r.repo_id] = (r.label, r.rule, list((r.explanation or {}).get("gates") or []))
    return out


def _why(explained: tuple[str, str, list[dict]] | None, label: str | None) -> str:
    """The explanation's failed gates (or its deciding gate), when it still speaks of this label."""
    if not explained or (label is not None and explained[0] != label):
        return ""
    current, rule, gates = explained
    failed = [g for g in gates if not g.get("passed")] or [g for g in gates if g.get("rule") == rule][:1]
    reasons = "; ".join(f"{g.get('name')} gate ({g.get('rule')}): {g.get('reason')}" for g in failed)
    return f" Why {current} (rule {rule}): {reasons}." if reasons else ""


def _change_entry(c: Change, run: RunInfo, sha: str | None, explained) -> FeedEntry:
    kind = TIGHTENED if c.kind == LICENCE_CHANGE and c.direction == "tighter" else c.kind
    if kind in (TIGHTENED, LICENCE_CHANGE):
        title = f"{c.repo_id}: licence {'tightened' if kind == TIGHTENED else 'changed'}, {c.before or 'none'} → {c.after or 'none'}"
        text = f"The declared licence changed from {c.before or 'none'} to {c.after or 'none'} ({c.direction}; {c.detail})."
    elif kind == NEW_FLAG:
        title = f"{c.repo_id}: flagged for open-washing ({c.after})"
        text = f"Flagged for open-washing ({c.direction}): {c.detail}."
    elif kind == CLEARED_FLAG:
        title = f"{c.repo_id}: open-washing flag cleared"
        text = f"No longer flagged ({c.direction}); it was flagged because: {c.detail}."
    else:
        title = f"{c.repo_id}: {c.before} → {c.after}"
        text = f"Label {c.before} → {c.after} ({c.direction}; {c.detail})."
    # the explanation must still speak of the label this change reports (the version may be relabelled since)
    label = None if kind in (TIGHTENED, LICENCE_CHANGE) else c.after
    summary = clean(text + _why(explained, label), MAX_SUMMARY)
    return FeedEntry(entry_id(kind, c.repo_id, sha, run.started_at), kind, c.repo_id, sha, _rfc3339(run.started_at),
                     clean(title, 300), summary, c.before, c.after, c.direction, c.downloads)


def _first_crawl_entries(conn: Connection, run: RunInfo) -> list[FeedEntry]:
    """The first crawl has nothing to compare with: every flag it saw is new."""
    flagged = flagged_models(conn, run.id)
    shas = _shas(conn, run.id, [f.repo_id for f in flagged])
    out = []
    for f in flagged:
        summary = clean(f"Flagged for open-washing in the first crawl ({', '.join(f.codes)}). It claims: “{f.claim}” ({f.claim_source}). Why it falls short: {f.falls_short}.", MAX_SUMMARY)
        sha = shas.get(f.repo_id)
        out.append(FeedEntry(entry_id(NEW_FLAG, f.repo_id, sha, run.started_at), NEW_FLAG, f.repo_id, sha, _rfc3339(run.started_at),
                             clean(f"{f.repo_id}: flagged for open-washing ({f.label})", 300), summary, None, f.label, "first crawl", f.downloads))
    return out


def _review_entries(conn: Connection, since: str | None) -> list[FeedEntry]:
    from store.reviews import has_reviews

    if not has_reviews(conn):
        return []
    r = s.reviews
    query = select(r).order_by(r.c.reviewed_at, r.c.id)
    if since:
        query = query.where(r.c.reviewed_at >= since)
    out = []
    for row in conn.execute(query):
        if row.action == "set":
            title = f"{row.repo_id}: a reviewer labels it {row.label}"
            text = f"{row.reviewed_by} reviewed version {row.sha[:12]} and labels it {row.label}: {row.reason}"
            if row.evidence_url:
                text += f" Evidence: {row.evidence_url}"
        else:
            title = f"{row.repo_id}: review withdrawn"
            text = f"{row.reviewed_by} withdrew the review; the rules' label is published again." + (f" {row.reason}" if row.reason else "")
        # set and clear within one second must stay two entries: the action is part of the id
        out.append(FeedEntry(entry_id(REVIEW, row.repo_id, row.sha, row.reviewed_at, f"review-{row.action}"), REVIEW, row.repo_id, row.sha, _rfc3339(row.reviewed_at),
                             clean(title, 300), clean(text, MAX_SUMMARY), None, row.label, row.action))
    return out


def build_feed(conn: Connection, runs: int = 8, limit: int = 500) -> Feed:
    """Entries for the latest `runs` finished crawls (and reviews since the first of them), newest first."""
    history = report_runs(conn)
    if not history:
        raise ReportError("no finished crawl in the database yet: run `hubscan crawl` first")
    covered = history[-runs:]
    entries: list[tuple[str, int, int, FeedEntry]] = []
    for run in covered:
        position = history.index(run)
        if position == 0:
            found = _first_crawl_entries(conn, run)
        else:
            previous = history[position - 1]
            changes = changes_between(conn, previous.id, run.id).all()
            now_shas = _shas(conn, run.id, [c.repo_id for c in changes])
            before_shas = _shas(conn, previous.id, [c.repo_id for c in changes if c.repo_id not in now_shas])
            explained = _explanations(conn, run.id, [c.repo_id for c in changes])
            found = [_change_entry(c, run, now_shas.get(c.repo_id) or before_shas.get(c.repo_id), explained.get(c.repo_id)) for c in changes]
        entries.extend((e.updated, -ORDER.index(e.kind), e.downloads, e) for e in found)
    # reviews within one second keep the order they were made in (the newest first)
    reviews = _review_entries(conn, covered[0].started_at if len(covered) < len(history) else None)
    entries.extend((e.updated, -ORDER.index(e.kind), n, e) for n, e in enumerate(reviews))
    hidden = _private(conn, {e.repo_id for *_, e in entries})
    ordered = [e for *_, e in sorted(entries, key=lambda x: (x[0], x[1], x[2]), reverse=True) if e.repo_id not in hidden]
    unique: list[FeedEntry] = []
    seen: set[str] = set()
    for e in ordered:  # one entry per id: the same change is never reported twice
        if e.id not in seen and len(unique) < limit:
            seen.add(e.id)
            unique.append(e)
    updated = max([e.updated for e in unique] + [_rfc3339(covered[-1].started_at)])
    return Feed(tuple(unique), updated, tuple(covered))


# --- files -------------------------------------------------------------------------------

ATOM_NS = "http://www.w3.org/2005/Atom"


def _join(base_url: str | None, name: str) -> str | None:
    return None if not base_url else base_url.rstrip("/") + "/" + name


def _generator_version() -> str:
    """The installed hubscan's version (reports sit below the CLI package, so they ask the installer)."""
    try:
        return importlib.metadata.version("hubscan")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def atom_xml(feed: Feed, base_url: str | None = None) -> bytes:
    __version__ = _generator_version()

    ET.register_namespace("", ATOM_NS)
    q = lambda tag: f"{{{ATOM_NS}}}{tag}"  # noqa: E731
    root = ET.Element(q("feed"))
    ET.SubElement(root, q("id")).text = _join(base_url, "feed.atom") or f"{TAG_AUTHORITY}feed"
    ET.SubElement(root, q("title")).text = TITLE
    ET.SubElement(root, q("subtitle")).text = DESCRIPTION
    ET.SubElement(root, q("updated")).text = feed.updated
    author = ET.SubElement(root, q("author"))
    ET.SubElement(author, q("name")).text = "hubscan"
    ET.SubElement(root, q("generator"), {"version": __version__}).text = "hubscan"
    if base_url:
        ET.SubElement(root, q("link"), {"rel": "self", "type": "application/atom+xml", "href": _join(base_url, "feed.atom")})
        ET.SubElement(root, q("link"), {"rel": "alternate", "type": "application/feed+json", "href": _join(base_url, "feed.json")})
    for e in feed.entries:
        entry = ET.SubElement(root, q("entry"))
        ET.SubElement(entry, q("id")).text = e.id
        ET.SubElement(entry, q("title"), {"type": "text"}).text = e.title
        ET.SubElement(entry, q("updated")).text = e.updated
        ET.SubElement(entry, q("link"), {"rel": "alternate", "type": "text/html", "href": e.url})
        ET.SubElement(entry, q("category"), {"term": SLUGS[e.kind], "label": e.kind})
        ET.SubElement(entry, q("summary"), {"type": "text"}).text = e.summary
    ET.indent(root, space=" ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def json_feed(feed: Feed, base_url: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": "https://jsonfeed.org/version/1.1", "title": TITLE, "description": DESCRIPTION}
    if base_url:
        doc["feed_url"] = _join(base_url, "feed.json")
    doc["authors"] = [{"name": "hubscan"}]
    doc["items"] = [
        {
            "id": e.id,
            "url": e.url,
            "title": e.title,
            "content_text": e.summary,
            "date_published": e.updated,
            "tags": [e.kind],
            "_hubscan": {"kind": e.kind, "repo_id": e.repo_id, "sha": e.sha, "before": e.before, "after": e.after, "direction": e.direction, "downloads": e.downloads},
        }
        for e in feed.entries
    ]
    return doc


def _write(path: Path, data: bytes) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def write_feeds(engine: Engine, out_dir: str | Path, runs: int = 8, limit: int = 500, base_url: str | None = None) -> dict[str, Path]:
    """Write feed.atom and feed.json into `out_dir`; returns them by kind."""
    with engine.connect() as conn:
        feed = build_feed(conn, runs=runs, limit=limit)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        "atom": _write(out / "feed.atom", atom_xml(feed, base_url)),
        "json_feed": _write(out / "feed.json", (json.dumps(json_feed(feed, base_url), indent=1, ensure_ascii=False) + "\n").encode("utf-8")),
    }


__all__: Sequence[str] = ("Feed", "FeedEntry", "build_feed", "write_feeds", "atom_xml", "json_feed")
