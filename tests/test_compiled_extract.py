"""The compiled build gives every version the evidence the Python build gives.

`HUBSCAN_COMPILE=1 pip install .` compiles extract/ with mypyc (setup.py). This test builds that
wheel from a copy of the checkout (with the test extras' setuptools and mypy, no network; about
three minutes of C compilation on two cores), unpacks it, and with it (benchmarks/bench_mypyc.py's runner, which also
checks that the pool's workers import the compiled modules):

- runs benchmarks/equivalence.py --check: the dev hub, the demo snapshot, the judged set and 800
  generated and fuzzed cards, extracted in one process, each version's evidence digest against
  tests/data/evidence_digests.json (which the Python build is held to by
  tests/test_extract_equivalence.py);
- crawls the judged set (benchmarks/agreement.py) with each build, so extraction runs on the
  crawl's worker pool and its results come back pickled, and compares what the two stored: every
  version's evidence, label and links to code repositories, and no problems. (A first compiled
  build broke exactly there: a compiled frozen class cannot be unpickled.)
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_mypyc  # noqa: E402


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_the_compiled_build_extracts_every_version_as_the_python_build(tmp_path, shared_dir):
    site = bench_mypyc.compiled_build(tmp_path)
    compiled = sorted(p.name.split(".")[0] for p in (site / "extract").glob("*.so"))
    # card_blocks and card_table since their classes keep their caches in slots, not in a __dict__
    assert {"claims", "markdown_tree", "card_structure", "data_info", "card_blocks", "card_table"} <= set(compiled)
    assert "evidence_record" not in compiled  # pickled across processes: left in Python (pyproject.toml)

    out = bench_mypyc.run("equivalence.py", ["--check"], site)
    assert out.strip().splitlines()[-1].endswith(" versions, 0 differ from the reference"), out[-2000:]

    stored = {}
    for build, where in (("compiled", site), ("python", None)):
        db = tmp_path / f"{build}.db"
        bench_mypyc.run("agreement.py", ["--db", str(db)], where)
        stored[build] = _stored(db)
    assert stored["compiled"]["problems"] == [], stored["compiled"]["problems"][:5]
    assert len(stored["compiled"]["evidence"]) == len(stored["python"]["evidence"]) > 150
    assert stored["compiled"] == stored["python"]


def _stored(db: Path) -> dict:
    """What a crawl stored, keyed by (repo, sha): evidence, labels, links to code repositories; its problems."""
    with sqlite3.connect(db) as conn:
        def rows(sql: str) -> list:
            return sorted(conn.execute(sql).fetchall(), key=repr)

        return {
            "evidence": rows("SELECT v.repo_id, v.sha, e.data FROM evidence e JOIN model_versions v ON v.id = e.version_id"),
            "labels": rows("SELECT v.repo_id, v.sha, l.label, l.open_washing, l.explanation FROM labels l JOIN model_versions v ON v.id = l.version_id"),
            "links": rows("SELECT v.repo_id, v.sha, c.repo_name, c.role FROM version_code_repos c JOIN model_versions v ON v.id = c.version_id"),
            "problems": rows("SELECT repo_id, stage, code, message FROM problems"),
        }
