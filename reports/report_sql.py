"""The weekly report's heaviest queries (the changes, the flagged models), as plain SQL on the driver's cursor.

Written out rather than built with SQLAlchemy Core for two reasons measured at a million models per
run: the licences come from the covering index ix_evidence_facts, which SQLite uses only when told
(`INDEXED BY`, which Core cannot say), instead of hundreds of follow-up queries of 500 ids; and the
rows, a fifth of the run in the benchmark, come back as plain tuples rather than `Row`s.

Each side's label is the one its version had as of that side's run (the `label_history` view's
rule, stated in Python by store/parquet_history.py `VersionFacts.label_at`; tests/test_weekly_fast_path.py
recomputes the changes with it): the newest label event at or before the run, else the version's
first event, else (a database from before label events) its current label. Standard SQL, the same text on SQLite and PostgreSQL; `?` marks the parameters.
"""

from __future__ import annotations

from store.driver_cursor import DriverCursor


def _as_of(side: str, version: str) -> str:
    """Join the label event that counts for `version` as of the run in the next parameter."""
    return (
        f"LEFT OUTER JOIN label_events AS {side}_le ON {side}_le.id = COALESCE("
        f"(SELECT MAX(x.id) FROM label_events AS x WHERE x.version_id = {version} AND x.run_id <= ?), "
        f"(SELECT MIN(x.id) FROM label_events AS x WHERE x.version_id = {version}))"
    )


def _facts(side: str, version: str) -> str:
    """label, flag, washing reasons (JSON text) of `version` as of its side's run: the event's, or
    (no event recorded) the current label's, read only in that branch."""
    current = f"(SELECT {{}} FROM labels AS {side}_lab WHERE {side}_lab.version_id = {version})"
    return ", ".join(
        f"CASE WHEN {side}_le.id IS NOT NULL THEN {event} ELSE {current.format(now)} END"
        for event, now in (
            (f"{side}_le.label", f"{side}_lab.label"),
            (f"{side}_le.open_washing", f"{side}_lab.open_washing"),
            (f"CAST({side}_le.washing_reasons AS TEXT)", f"CAST({side}_lab.washing_reasons AS TEXT)"),
        )
    )


def _licence(cursor: DriverCursor, alias: str, version: str, join: str = "LEFT OUTER JOIN") -> str:
    """Join `version`'s licence columns as `alias`, from the covering index rather than the evidence row."""
    return f"{join} evidence AS {alias}{cursor.indexed_by('ix_evidence_facts')} ON {alias}.version_id = {version}"


def _author(alias: str) -> str:
    """The model's organisation, read for the rows the query returns only."""
    return f"(SELECT models.author FROM models WHERE models.repo_id = {alias}.repo_id)"


def changed_rows(cursor: DriverCursor, now_table: str, previous_run: int, current_run: int) -> list[tuple]:
    """The current run's models that are new, have another version than in the previous run, or
    whose version was relabelled in between, most downloaded first (ties by id):
    (repo_id, author, downloads, version, previous version,
     label, flag, reasons, licence, licence family   as of the current run,
     label, flag, reasons, licence, licence family   as of the previous run; None for a new model).

    `now_table` holds the current run's rows: `observations`, or `model_latest` when it is the newest.
    Private models are included: the caller leaves them out."""
    assert now_table in ("observations", "model_latest")
    sql = (
        f"SELECT now.repo_id, {_author('now')}, now.downloads, now.version_id, prev.version_id, "
        f"{_facts('a', 'now.version_id')}, a_ev.licence, a_ev.licence_family, "
        f"{_facts('b', 'prev.version_id')}, b_ev.licence, b_ev.licence_family "
        f"FROM {now_table} AS now "
        "LEFT OUTER JOIN observations AS prev ON prev.repo_id = now.repo_id AND prev.run_id = ? "
        f"{_as_of('a', 'now.version_id')} {_as_of('b', 'prev.version_id')} "
        f"{_licence(cursor, 'a_ev', 'now.version_id')} {_licence(cursor, 'b_ev', 'prev.version_id')} "
        "WHERE now.run_id = ? AND (prev.version_id IS NULL OR prev.version_id <> now.version_id "
        "OR now.version_id IN (SELECT r.version_id FROM label_events AS r WHERE r.run_id > ? AND r.run_id <= ?)) "
        "ORDER BY COALESCE(now.downloads, 0) DESC, now.repo_id"
    )
    return cursor.rows(sql, (previous_run, current_run, previous_run, current_run, previous_run, current_run))


def gone_flag_rows(cursor: DriverCursor, now_table: str, previous_run: int, current_run: int) -> list[tuple]:
    """The previous run's models the current run no longer lists, of those whose version was ever
    flagged (only they can clear a flag by going), most downloaded first:
    (repo_id, author, downloads, version, label, flag, reasons as of the previous run). Private
    models are included: the caller leaves them out."""
    assert now_table in ("observations", "model_latest")
    # flagged by some label event (ix_label_events_flagged) or, without events, by its label (ix_labels_flagged)
    ever_flagged = "SELECT fe.version_id FROM label_events AS fe WHERE fe.open_washing UNION SELECT fl.version_id FROM labels AS fl WHERE fl.open_washing"
    sql = (
        f"SELECT prev.repo_id, {_author('prev')}, prev.downloads, prev.version_id, {_facts('b', 'prev.version_id')} "
        "FROM observations AS prev "
        f"LEFT OUTER JOIN {now_table} AS now ON now.repo_id = prev.repo_id AND now.run_id = ? "
        f"{_as_of('b', 'prev.version_id')} "
        f"WHERE prev.run_id = ? AND prev.version_id IN ({ever_flagged}) AND now.repo_id IS NULL "
        "ORDER BY COALESCE(prev.downloads, 0) DESC, prev.repo_id"
    )
    return cursor.rows(sql, (current_run, previous_run, previous_run))


def flagged_rows(cursor: DriverCursor, now_table: str, run_id: int, hidden: bool) -> list[tuple]:
    """The run's flagged models, most downloaded first (ties by id): (repo_id, version, downloads,
    author, label, washing reasons and explanation as JSON text, licence). The flagged versions (a
    few percent) are a set read from the partial index ix_labels_flagged, so no other model's label,
    model row or licence is read."""
    assert now_table in ("observations", "model_latest")
    sql = (
        "SELECT o.repo_id, o.version_id, o.downloads, m.author, l.label, CAST(l.washing_reasons AS TEXT), CAST(l.explanation AS TEXT), e.licence "
        f"FROM {now_table} AS o JOIN labels AS l ON l.version_id = o.version_id JOIN models AS m ON m.repo_id = o.repo_id "
        f"{_licence(cursor, 'e', 'o.version_id')} "
        "WHERE o.run_id = ? AND o.version_id IN (SELECT fl.version_id FROM labels AS fl WHERE fl.open_washing) AND l.open_washing"
        f"{' AND NOT m.private' if hidden else ''} "
        "ORDER BY COALESCE(o.downloads, 0) DESC, o.repo_id"
    )
    return cursor.rows(sql, (run_id,))


def derivative_rows(cursor: DriverCursor, now_table: str, run_id: int) -> list[tuple]:
    """The run's models that declare a base, one row per declared base: (repo_id, downloads, version,
    base_id, licence, licence family). Each model of the run is looked up in version_bases by its
    version (a seek, rather than a set of every version that ever declared a base, which grows with
    the history) in the table's key index alone (the relation is read for the pairs listed:
    `relations`); the licence comes from the covering index ix_evidence_facts, and a version
    without evidence is left out."""
    assert now_table in ("observations", "model_latest")
    sql = (
        "SELECT o.repo_id, o.downloads, o.version_id, vb.base_id, e.licence, e.licence_family "
        f"FROM {now_table} AS o JOIN version_bases AS vb ON vb.version_id = o.version_id "
        f"{_licence(cursor, 'e', 'o.version_id', 'JOIN')} "
        "WHERE o.run_id = ?"
    )
    return cursor.rows(sql, (run_id,))


def relations(cursor: DriverCursor, version_ids: list[int]) -> dict[tuple[int, str], str]:
    """How each of these versions relates to each base it declares: {(version, base_id): relation}."""
    out: dict[tuple[int, str], str] = {}
    for start in range(0, len(version_ids), 500):
        part = version_ids[start : start + 500]
        where, params = cursor.in_list("version_id", part)
        rows = cursor.rows(f"SELECT version_id, base_id, relation FROM version_bases WHERE {where}", params)
        out.update(((v, b), relation) for v, b, relation in rows)
    return out


def base_rows(cursor: DriverCursor, now_table: str, run_id: int, base_ids: list[str]) -> list[tuple]:
    """These stored base models as the run saw them (else as last stored): (repo_id, private,
    licence, licence family); a base whose version has no evidence is left out."""
    assert now_table in ("observations", "model_latest")
    sql = (
        "SELECT bm.repo_id, bm.private, be.licence, be.licence_family FROM models AS bm "
        f"LEFT OUTER JOIN {now_table} AS bo ON bo.repo_id = bm.repo_id AND bo.run_id = ? "
        f"{_licence(cursor, 'be', 'COALESCE(bo.version_id, bm.current_version_id)', 'JOIN')} "
        "WHERE {}"
    )
    out: list[tuple] = []
    for start in range(0, len(base_ids), 500):
        where, params = cursor.in_list("bm.repo_id", base_ids[start : start + 500])
        out += cursor.rows(sql.format(where), (run_id, *params))
    return out


def version_labels(cursor: DriverCursor, version_ids: list[int]) -> dict[int, str]:
    """The current label of each of these versions (those labelled)."""
    out: dict[int, str] = {}
    for start in range(0, len(version_ids), 500):
        part = version_ids[start : start + 500]
        where, params = cursor.in_list("version_id", part)
        out.update(cursor.rows(f"SELECT version_id, label FROM labels WHERE {where}", params))
    return out
