"""What the weekly report's flagged list needs of a stored explanation: its failed gates and its
confidence level, decoded without building the rest.

A stored explanation is about 700 bytes of JSON (every gate with its evidence, the lineage, the
notes, the confidence and why). The flagged list reads one per flagged model, tens of thousands at
Hub scale: msgspec decodes the text into the small typed structs below and skips everything else,
about a third of the time of decoding the whole document. A document these structs do not fit (a
gate that is not an object, `gates` not a list) goes through the generic decoder and the same
dictionary code as before, so an odd document gives the same text, or the same error, as it did.
"""

from __future__ import annotations

from typing import Any

import msgspec


class _Gate(msgspec.Struct):
    name: Any = None
    rule: Any = None
    reason: Any = None
    passed: Any = None


class _Confidence(msgspec.Struct):
    level: Any = None


class _Explanation(msgspec.Struct):
    gates: list[_Gate] = []
    confidence: _Confidence | None = None


_DECODER = msgspec.json.Decoder(_Explanation)


def gate_text(name: Any, rule: Any, reason: Any) -> str:
    return f"{name} gate ({rule}): {reason}"


def failed_gates_and_level(stored: str | bytes | None) -> tuple[list[str], str]:
    """The failed gates of a stored explanation (JSON text), each as "NAME gate (RULE): REASON",
    and its confidence level ("high" when it records none)."""
    if stored is None:
        return [], "high"
    try:
        gist = _DECODER.decode(stored)
    except msgspec.ValidationError:
        return _from_dict(msgspec.json.decode(stored) or {})
    failed = [gate_text(g.name, g.rule, g.reason) for g in gist.gates if not g.passed]
    level = gist.confidence.level if gist.confidence is not None else None
    return failed, str(level or "high")


def _from_dict(explanation: dict[str, Any]) -> tuple[list[str], str]:
    """The same, from a decoded document of any shape (what the flagged list read before)."""
    failed = [gate_text(g.get("name"), g.get("rule"), g.get("reason")) for g in explanation.get("gates", []) if not g.get("passed")]
    return failed, str((explanation.get("confidence") or {}).get("level") or "high")
