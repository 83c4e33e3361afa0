"""benchmarks/budget.py: the per-version budget at a goal rate, and its one-pass scan floor.

The docs compare the card parse with the worker's budget at 1,000 versions/s (docs/benchmarks.md,
"The card parse alone is over the budget"); the arithmetic and what the scan floor counts are
pinned here. Nothing is timed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from budget import Budget, every_match_scanner  # noqa: E402


def test_the_budget_is_the_cores_over_the_rate_less_the_main_process_and_labelling() -> None:
    budget = Budget(rate=1000, cores=2, main_ms=0.5, label_ms=0.35)
    assert budget.total_ms == pytest.approx(2.0)
    assert budget.worker_ms == pytest.approx(1.15)
    # a worker spending exactly its budget gives the goal rate; twice the budget, much less than half
    assert budget.rate_for(1.15) == pytest.approx(1000)
    assert budget.rate_for(2.3) == pytest.approx(2000 / 3.15)
    assert Budget(rate=2000, cores=2, main_ms=0.5, label_ms=0.35).worker_ms == pytest.approx(0.15)


def test_the_scan_floor_reports_every_match_not_one_per_pattern() -> None:
    from extract import extract_model
    from extract.pattern_scan import SCAN
    from extract.types import StoredVersion

    if SCAN._alphabet is None:  # the guarded patterns route themselves on first use
        extract_model(StoredVersion(repo_id="o/m", sha="0" * 40, readme=b"# M\n\nTrained on C4 with PyTorch.\n", metadata={}))
    if not SCAN._live:
        pytest.skip("hyperscan is not installed: no guarded scan to measure")
    scan = every_match_scanner()
    once = b"The training data was filtered and deduplicated; the training code is open source.\n"
    assert scan.patterns == len(SCAN._live)  # type: ignore[attr-defined]
    found_once = scan([once])
    assert found_once > 0
    # three copies of the text: three times the matches (the guard's single-match mode would give the same count)
    assert scan([once * 3]) == 3 * found_once
    assert scan([once, once]) == 2 * found_once
    assert scan([b"zzz"]) == 0
