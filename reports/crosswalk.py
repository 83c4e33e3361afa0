"""Outside judges' verdicts -> the G7 labels they are compatible with (policy/crosswalk.yaml).

Pure functions over the policy data: `resolve("Class II", judge="Model Openness Tool")` gives the
labels a Model Openness Tool class allows and the rationale. Plain G7 labels pass through.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import policy
from classify.rules import LABELS, RANK

MAX_VERDICT = 1000  # characters of a verdict read


class CrosswalkError(ValueError):
    """A verdict that is neither a G7 label nor one the crosswalk knows."""


@dataclass(frozen=True)
class Resolution:
    labels: tuple[str, ...]  # acceptable G7 labels, least open first
    scheme: str | None = None  # crosswalk scheme id (None: the judge gave G7 labels)
    verdict: str | None = None  # verdict or rule that decided, e.g. "class-ii" or "rule 6"
    rationale: str | None = None


@dataclass(frozen=True)
class _Verdict:
    id: str
    patterns: tuple[re.Pattern, ...]
    labels: tuple[str, ...]
    rationale: str


@dataclass(frozen=True)
class _Scheme:
    id: str
    name: str
    judges: frozenset[str]
    verdicts: tuple[_Verdict, ...] = ()
    levels: tuple[str, ...] = ()
    aliases: dict[str, str] | None = None  # alias -> dimension
    facts: dict[str, Any] | None = None
    rules: tuple[dict[str, Any], ...] = ()


def _key(text: Any) -> str:
    return " ".join(str(text or "").replace("_", " ").split()).casefold()


def _ordered(labels) -> tuple[str, ...]:
    return tuple(sorted(set(labels), key=RANK.__getitem__))


@functools.cache
def _schemes() -> tuple[_Scheme, ...]:
    data = policy.load("crosswalk")
    out = []
    for scheme in data["schemes"]:
        judges = frozenset(_key(j) for j in scheme["judges"]) | {_key(scheme["id"]), _key(scheme["name"])}
        if "verdicts" in scheme:
            verdicts = tuple(
                _Verdict(v["id"], tuple(re.compile(p, re.IGNORECASE) for p in v["patterns"]), _ordered(v["labels"]), " ".join(v["rationale"].split()))
                for v in scheme["verdicts"]
            )
            out.append(_Scheme(scheme["id"], scheme["name"], judges, verdicts))
        else:
            aliases = {_key(alias): dim for dim, names in scheme["dimensions"].items() for alias in (dim, *names)}
            for fact in scheme["facts"].values():
                unknown = [d for d in fact["dimensions"] if d not in scheme["dimensions"]]
                if unknown:
                    raise policy.PolicyError(f"policy/crosswalk.yaml: {scheme['id']}: facts name unknown dimensions {unknown}")
            for n, rule in enumerate(scheme["rules"]):
                for fact, levels in rule["when"].items():
                    if fact not in scheme["facts"] or any(level not in scheme["levels"] for level in levels):
                        raise policy.PolicyError(f"policy/crosswalk.yaml: {scheme['id']}.rules[{n}]: unknown fact or level in {fact}: {levels}")
            out.append(_Scheme(scheme["id"], scheme["name"], judges, (), tuple(scheme["levels"]), aliases, scheme["facts"], tuple(scheme["rules"])))
    return tuple(out)


def g7_labels(text: str) -> tuple[str, ...] | None:
    """The G7 label(s) a text names: one label, or several joined by '|' (None when it is not that)."""
    by_key = {_key(label): label for label in LABELS}
    parts = [_key(p) for p in str(text).split("|")]
    if parts and all(p in by_key for p in parts):
        return _ordered(by_key[p] for p in parts)
    return None


def resolve(verdict: Any, judge: str | None = None) -> Resolution:
    """The G7 labels compatible with a judge's verdict; CrosswalkError when the crosswalk cannot say."""
    text = " ".join(str(verdict or "").split())[:MAX_VERDICT]
    if not text:
        raise CrosswalkError("the label is empty")
    plain = g7_labels(text)
    if plain:
        return Resolution(plain)
    schemes = _schemes()
    named = [s for s in schemes if judge and _key(judge) in s.judges]
    for scheme in named or schemes:
        found = _resolve_in(scheme, text, strict=bool(named))
        if found:
            return found
    where = f"the {named[0].name} crosswalk" if named else "policy/crosswalk.yaml"
    raise CrosswalkError(f"label {text[:80]!r} is neither a G7 label ({', '.join(LABELS)}) nor a verdict {where} knows")


def _resolve_in(scheme: _Scheme, text: str, strict: bool) -> Resolution | None:
    for v in scheme.verdicts:
        if any(p.search(text) for p in v.patterns):
            return Resolution(v.labels, scheme.id, v.id, v.rationale)
    if scheme.rules:
        levels = parse_levels(scheme, text, strict)
        if levels is not None:
            return _apply_rules(scheme, levels)
    return None


_PAIR = re.compile(r"^(?P<key>[a-z][a-z0-9 .+-]*?)\s*(?:=|:|\s)\s*(?P<level>[a-z]+)$")


def parse_levels(scheme: _Scheme, text: str, strict: bool = False) -> dict[str, str] | None:
    """{dimension: level} from "key=level; key: level, key level"; None when the text is not such a list.

    With `strict` (the judge named this scheme) a malformed pair is an error rather than "not mine".
    """
    body = re.sub(r"^\s*[a-z .-]*index\s*:\s*", "", text, flags=re.IGNORECASE)
    body = re.sub(r"\([^)]*\)", "", body)  # notes in parentheses: "licence open (Apache 2.0)"
    pairs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[;,]", body))):
        match = _PAIR.match(_key(part))
        dimension = scheme.aliases.get(match.group("key").strip()) if match else None
        level = match.group("level") if match else None
        if dimension is None or level not in scheme.levels:
            if strict:
                raise CrosswalkError(
                    f"{part[:60]!r} is not a dimension of the {scheme.name} with a level ({'/'.join(scheme.levels)}); "
                    "write e.g. llmweights=open; license=open; opencode=partial; llmdata=closed"
                )
            return None
        if pairs.get(dimension, level) != level:
            raise CrosswalkError(f"{dimension} is given twice with different levels")
        pairs[dimension] = level
    return pairs or None


def _apply_rules(scheme: _Scheme, levels: dict[str, str]) -> Resolution:
    order = {level: rank for rank, level in enumerate(reversed(scheme.levels))}  # higher = more open
    facts: dict[str, str] = {}
    for name, fact in scheme.facts.items():
        given = [levels[d] for d in fact["dimensions"] if d in levels]
        if given:
            pick = max if fact["combine"] == "most-open" else min
            facts[name] = pick(given, key=order.__getitem__)
    for n, rule in enumerate(scheme.rules, 1):
        if all(facts.get(fact) in allowed for fact, allowed in rule["when"].items()):
            return Resolution(_ordered(rule["labels"]), scheme.id, f"rule {n}", " ".join(rule["rationale"].split()))
    missing = sorted({f for rule in scheme.rules for f in rule["when"] if f not in facts})
    raise CrosswalkError(
        f"the {scheme.name} verdict meets no crosswalk rule; it lacks "
        + ", ".join(f"{f} ({'/'.join(scheme.facts[f]['dimensions'])})" for f in missing)
    )
