"""The open-washing glossary (policy/washing.yaml): one source for the doc, the report and the flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from classify.rules import LABELS, OPEN_SOURCE, RANK, WEIGHTS_AVAILABLE
from classify.washing import OPEN_SOURCE_CLAIMS, OPEN_WEIGHTS_CLAIMS, WashingReason, glossary, reason_text
from classify.washing_glossary import markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "washing-codes.md"


def test_the_doc_is_generated_from_the_policy_file():
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/washing-codes.md and policy/washing.yaml disagree: run `python -m classify.washing_glossary > docs/washing-codes.md`"
    )


def test_the_glossary_has_every_code_with_its_rule_and_advice():
    codes = [c["code"] for c in glossary()]
    assert codes == ["W-OS", "W-OW", "W-LAUNDER", "W-CONFLICT"]
    for c in glossary():
        assert c["title"] and c["rule"] and c["reader_should"]
        assert f"`{c['code']}`" in markdown()


def test_the_claim_codes_fire_on_the_labels_they_always_did():
    # W-OS: any label below Open Source; W-OW: Weights Available only (pinned: moving either changes flags).
    by_code = {c["code"]: c for c in glossary()}
    assert set(by_code["W-OS"]["labels"]) == {label for label in LABELS if RANK[label] < RANK[OPEN_SOURCE]}
    assert by_code["W-OW"]["labels"] == [WEIGHTS_AVAILABLE]
    assert OPEN_SOURCE_CLAIMS == ("open-source", "fully-open")
    assert OPEN_WEIGHTS_CLAIMS == ("open-weights", "open-model")


def test_a_reason_reads_as_code_and_text_and_round_trips_through_storage():
    reason = WashingReason("W-OS", 'open-source claim (card sentence) on a model labelled Weights Available, below Open Source: "x"',
                           claim_kind="open-source", quote="x", source="card", confidence=0.95)
    assert str(reason).startswith("W-OS: open-source claim (card sentence)")
    stored = reason.to_dict()
    assert stored["text"] == str(reason)
    assert WashingReason.from_stored(stored) == reason
    assert reason_text(stored) == str(reason)


@pytest.mark.parametrize("old", ["W-LAUNDER: declares MIT License, but its base x/y is not under an open licence (vendor-community)",
                                 "W-OS: claims \"open source\" (card) but is labelled Weights Available: \"It is open source.\""])
def test_reasons_stored_as_plain_strings_still_read(old):
    reason = WashingReason.from_stored(old)
    assert reason.code == old.split(":", 1)[0] and str(reason) == old and reason.quote is None


# --- the flags quote one readable sentence and name the claim and the rule ------------------------

from test_classify_rules import MODELS, stored_version  # noqa: E402  (the demo models, as the pipeline sees them)

from classify import label_version  # noqa: E402
from extract import extract_model  # noqa: E402
from extract.card import parse_card  # noqa: E402


def flags(repo_id: str):
    return label_version(extract_model(stored_version(MODELS[repo_id]))).washing_reasons


def test_a_table_claim_is_quoted_as_a_sentence_with_its_kind_and_rule():
    (reason,) = flags("moonshotai/Kimi-K2-Instruct")
    assert (reason.code, reason.claim_kind, reason.source) == ("W-OS", "open-source", "table")
    assert reason.quote == "The table under “3. Evaluation results” marks Kimi K2 Instruct as “Open Source”."
    assert str(reason) == (
        "W-OS: open-source claim (comparison table, implied) on a model labelled Weights Available, below Open Source: "
        '"The table under “3. Evaluation results” marks Kimi K2 Instruct as “Open Source”."'
    )


@pytest.mark.parametrize(
    "repo_id,code,kind",
    [
        ("google/gemma-7b", "W-OW", "open-model"),
        ("databricks/dbrx-base", "W-OW", "open-weights"),
        ("tiiuae/falcon-40b", "W-OS", "open-source"),
        ("microsoft/phi-2", "W-OS", "open-source"),
    ],
)
def test_card_claims_are_quoted_as_the_card_sentence(repo_id, code, kind):
    (reason,) = [r for r in flags(repo_id) if r.code == code]
    assert reason.claim_kind == kind and reason.source == "card"
    card = parse_card(MODELS[repo_id]["files"]["README.md"].encode())
    text = " ".join(" ".join(b.text.split()) for b in card.blocks)
    assert reason.quote and "|" not in reason.quote and reason.quote in text  # one sentence of the card, as read
    assert f"{kind} claim (card sentence)" in str(reason)


def test_a_comparison_with_open_source_models_is_no_flag():
    assert flags("meta-llama/Meta-Llama-3-8B") == ()
    assert flags("databricks/dolly-v1-6b") == ()  # "a two-year-old open source model" is its base, GPT-J
