"""benchmarks/agreement.py's scoring: per part, and labels above the judge counted whatever their licence."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import agreement  # noqa: E402


def record(label: str, licence_family: str = "osi-permissive") -> dict:
    return {
        "label": label, "rule": "S0", "open_washing": False, "washing_reasons": [], "licence": "apache-2.0",
        "_explanation": {"gates": [{"name": "code+data information", "rule": "S0", "passed": False, "reason": "r"}]},
        "_evidence": {"licence": {"family": licence_family}, "base_model": {"inferred_licence_family": None}},
    }


def test_a_label_above_every_accepted_one_is_counted_even_under_an_open_licence():
    rows = [
        # a Llama 2 fine-tune that declares apache-2.0: its own licence looks open, the judge says Weights Available
        {"repo_id": "a/laundered", "expected": "Weights Available", "part": "holdout_d", "judge": "derived"},
        {"repo_id": "b/fine", "expected": ["Open Source", "Open Weights"], "part": "holdout_d", "judge": "derived"},
        {"repo_id": "c/low", "expected": "Open Source", "part": "tail", "judge": "derived"},
    ]
    records = {"a/laundered": record("Open Weights"), "b/fine": record("Open Weights"), "c/low": record("Open Weights")}
    result = agreement.compare(rows, records)
    assert [x["repo_id"] for x in result["above_judge"]] == ["a/laundered"]
    assert result["restricted_over_open"] == []  # the licence check alone misses it: why the new count exists
    assert result["by_part"] == {"holdout_d": {"miss": 1, "agree": 1}, "tail": {"miss": 1}}
    assert "labels above the judge (more open than every label it accepts): 1" in agreement.render(result, 1.0, 5)
