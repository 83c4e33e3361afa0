"""Confidence per label (policy/confidence.yaml): high on direct evidence, lower on wording alone, an
inferred or unverified base, an unreadable card or licence terms read from prose."""

from __future__ import annotations

import dataclasses

import policy
from classify import BaseLabel, label_version
from extract import extract_model
from extract.types import StoredVersion


def snapshot(body: str = "A model.", card: dict | None = None, files: dict | None = None, readme_status: str = "ok") -> StoredVersion:
    card = {"license": "apache-2.0", **(card or {})}
    readme = ("---\nlicense: apache-2.0\n---\n# M\n\n" + body + "\n").encode()
    siblings = [{"rfilename": "model.safetensors"}, {"rfilename": "README.md"}, *({"rfilename": f} for f in files or {})]
    return StoredVersion(
        repo_id="org/m", sha="a" * 40,
        metadata={"cardData": card, "tags": ["license:apache-2.0"], "siblings": siblings, "library_name": "transformers"},
        readme=readme if readme_status == "ok" else None, readme_status=readme_status, files={k: v.encode() for k, v in (files or {}).items()},
    )


def caps() -> dict:
    return policy.load("confidence")["caps"]


def test_a_label_on_direct_evidence_is_high():
    labelled = label_version(extract_model(snapshot()))
    assert labelled.confidence.level == "high" and labelled.confidence.score == 1.0 and labelled.confidence.why == ()
    assert labelled.explanation()["confidence"] == {"level": "high", "score": 1.0, "why": []}


def test_an_unverified_base_makes_a_label_low():
    base = BaseLabel("gone/base", "finetune", None, status="missing")
    labelled = label_version(extract_model(snapshot(card={"base_model": "gone/base"})), (base,))
    assert labelled.confidence.score == caps()["base-unverified"]["value"] and labelled.confidence.level == "low"
    assert caps()["base-unverified"]["why"] in labelled.confidence.why


def test_a_base_named_only_in_prose_lowers_the_confidence():
    labelled = label_version(extract_model(snapshot("This model is a fine-tuned version of org/base-model.")),
                             (BaseLabel("org/base-model", "finetune", "Open Weights", "osi-permissive"),))
    assert labelled.confidence.score == caps()["base-inferred"]["value"]


def test_an_unread_card_lowers_the_confidence():
    labelled = label_version(extract_model(snapshot(readme_status="gated")))
    assert labelled.confidence.score == caps()["card-unread"]["value"] and labelled.confidence.level == "medium"


BROKEN_FRONT_MATTER = b"---\nlicense: apache-2.0\n  bad: [yaml\n---\n# M\n\nA model.\n"


def test_a_front_matter_that_does_not_parse_lowers_the_confidence():
    # the Hub cannot parse it either, so its listing has no cardData and no license tag
    version = snapshot()
    listing = {k: v for k, v in version.metadata.items() if k not in ("cardData", "tags")}
    evidence = extract_model(dataclasses.replace(version, metadata=listing, readme=BROKEN_FRONT_MATTER))
    assert "yaml-invalid" in {p.code for p in evidence.problems}
    labelled = label_version(evidence)
    assert labelled.label == "Weights Available"  # no licence seen
    assert labelled.confidence.score == caps()["front-matter-unread"]["value"] == 0.7  # pinned: medium, not high
    assert labelled.confidence.level == "medium" and labelled.confidence.why == (caps()["front-matter-unread"]["why"],)


def test_a_front_matter_only_hubscan_cannot_parse_leaves_a_label_on_the_listing_sure():
    # the Hub's parser read it (its listing carries the licence): the declarations were seen
    evidence = extract_model(dataclasses.replace(snapshot(), readme=BROKEN_FRONT_MATTER))
    assert "yaml-invalid" in {p.code for p in evidence.problems}
    labelled = label_version(evidence)
    assert labelled.label == "Open Weights" and labelled.confidence.score == 1.0


def test_a_version_labelled_from_its_listing_alone_is_not_high():
    """Extraction that failed or ran past its budget leaves the card unread (hubscan/extract_guard.py)."""
    from hubscan.extract_guard import extract_one

    def failing(version):
        raise RecursionError("maximum recursion depth exceeded")

    evidence, problems = extract_one(snapshot(), failing)
    assert [p.code for p in problems] == ["extract-failed"]
    labelled = label_version(evidence)
    assert labelled.label == "Open Weights"  # the licence tag still counts
    assert labelled.confidence.score == caps()["card-unread"]["value"] and labelled.confidence.level == "medium"


def test_terms_read_from_prose_lower_the_confidence_of_the_licence_gate():
    labelled = label_version(extract_model(snapshot("The model is for non-commercial use only.")))
    assert labelled.label == "Weights Available"
    assert labelled.confidence.score == caps()["terms-in-prose"]["value"]


def test_levels_follow_the_policy_thresholds():
    levels = policy.load("confidence")["levels"]
    assert (levels["high"], levels["medium"]) == (0.9, 0.7)  # pinned: moving a threshold must fail here
    unread = caps()["card-unread"]["value"]
    assert levels["medium"] <= unread < levels["high"]


def test_weaknesses_of_equal_cap_keep_the_order_found_whatever_the_hash_seed():
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    equal = [k for k, v in caps().items() if v["value"] == 0.8]
    assert len(equal) >= 4  # the case needs several weaknesses of one cap
    found = [*reversed(equal), "base-unverified", equal[-1]]
    script = (
        "import json, policy\n"
        "from classify.confidence import weakest_first\n"
        f"print(json.dumps(weakest_first({found!r}, policy.load('confidence')['caps'])))\n"
    )
    root = Path(__file__).resolve().parents[1]
    seen = set()
    for seed in range(6):
        out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)})
        assert out.returncode == 0, out.stderr[-2000:]
        seen.add(tuple(json.loads(out.stdout)))
    assert seen == {("base-unverified", *reversed(equal))}
