"""Recognise a licence from the text of a LICENSE file.

The text is bounded (first 64 kB), lower-cased and reduced to words (every run of other
characters becomes one space, "++" is spelled "plusplus"), so matching ignores case,
punctuation, Markdown and line wrapping. Phrases are plain substring tests on that text;
the few regexes run on it are linear and bounded.

The phrases, the permissive grants and the words that make an MIT text "modified" are policy
(policy/licence_phrases.yaml); a phrase names a licence by its id in policy/licences.yaml, so each
licence is defined once. When a text matches several licences (a custom licence "based on the Apache
License", an Apache grant for code plus a model licence for weights), the least open one is taken.

Pure; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import policy

from . import licence_catalog as cat
from .licence_catalog import LicenceEntry
from .types import LicenceFamily

#: Only the first 64 kB of a file is read: every licence we know names itself early.
MAX_TEXT_BYTES = 64 * 1024


@dataclass(frozen=True)
class TextLicence:
    """What a licence text was recognised as."""

    name: str
    family: LicenceFamily
    hub_id: str | None
    spdx_id: str | None
    confidence: float
    phrase: str  # the (normalised) words that matched
    key: str  # catalog key, for comparing with a declared licence


# --- normalising ----------------------------------------------------------------------------


def decode_text(data: bytes | str) -> str | None:
    """Decode the first MAX_TEXT_BYTES of a file; None when it looks binary."""
    if isinstance(data, str):
        return data[:MAX_TEXT_BYTES]
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return None
    head = bytes(data[:MAX_TEXT_BYTES])
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if b"\x00" in head[:8192]:
        return None
    return head.decode("utf-8", errors="replace")


def normalise(text: str) -> str:
    text = text[:MAX_TEXT_BYTES].lower().replace("++", " plusplus ")
    return " ".join(re.findall(r"[a-z0-9]+", text))


# --- rules (policy/licence_phrases.yaml) -----------------------------------------------------

_WHERE = "policy/licence_phrases.yaml"


def check_references(data: dict) -> None:
    """Every phrase names a licence of policy/licences.yaml; raises PolicyError naming the entry."""
    for i, rule in enumerate(data["phrases"]):
        cat.entry(rule["licence"], f"{_WHERE}: phrases[{i}].licence")


_POLICY = policy.load("licence_phrases")
check_references(_POLICY)
_HUB = cat.HUB_LICENCES

# (phrases, entry, confidence): any one phrase present in the normalised text is a match.
_PHRASES: tuple[tuple[tuple[str, ...], LicenceEntry, float], ...] = tuple(
    (tuple(rule["phrases"]), cat.entry(rule["licence"], f"{_WHERE}: phrases[{i}].licence"), rule["confidence"])
    for i, rule in enumerate(_POLICY["phrases"])
)
_GRANTS = _POLICY["grants"]
_MIT_GRANT: str = _GRANTS["mit"]
_MIT_NOTICE: str = _GRANTS["mit_notice"]
_BSD_GRANT: str = _GRANTS["bsd"]
_BSD_CLEAR: str = _GRANTS["bsd_clear"]
_BSD_ENDORSE: tuple[str, ...] = tuple(_GRANTS["bsd_endorse"])
_BSD_ADVERTISING: str = _GRANTS["bsd_advertising"]
_ISC_GRANT: str = _GRANTS["isc"]
# Additions that turn an MIT text into something else (read as whole words).
_MIT_RESTRICTIONS: tuple[str, ...] = tuple(_POLICY["mit_additions"])

_GNU = re.compile(r"gnu (affero|lesser|library)? ?general public licen[cs]e(?: version (\d)(?: (\d)\b)?\b| v ?(\d)\b)?")
_CC = re.compile(
    r"\b(?:creative commons |cc )?attribution( non ?commercial)?( share ?alike| no ?deriv(?:ative)?s?)?( non ?commercial)?"
    r" (\d) (\d) (?:international|unported|generic)\b"
)
_CC_SHORT = re.compile(r"\bcc by( nc)?( sa| nd)? (\d) (\d)\b")


@dataclass(frozen=True)
class _Hit:
    entry: LicenceEntry
    confidence: float
    phrase: str
    at: int


def _phrase_hits(text: str) -> list[_Hit]:
    hits = []
    for phrases, entry, confidence in _PHRASES:
        for phrase in phrases:
            at = text.find(phrase)
            if at >= 0:
                hits.append(_Hit(entry, confidence, phrase, at))
                break
    return hits


def _gnu_hit(text: str) -> _Hit | None:
    # GPL texts name the LGPL and AGPL too ("use the GNU Lesser General Public License instead"):
    # the licence is the one named first.
    m = _GNU.search(text)
    if not m:
        return None
    kind = {"affero": "agpl", "lesser": "lgpl", "library": "lgpl"}.get(m.group(1) or "", "gpl")
    major = m.group(2) or m.group(4)
    minor = m.group(3) or "0"
    key = "agpl-3.0" if kind == "agpl" else f"{kind}-{major}.{minor}" if major else kind
    entry = _HUB.get(key)
    if entry is None:
        entry = cat.spdx_entry(f"{kind.upper()}-{major}.{minor}-only") if major else None
    if entry is None:
        entry = _HUB[kind if kind != "agpl" else "agpl-3.0"]
    return _Hit(entry, 0.9 if major else 0.75, m.group(0), m.start())


def _cc_hit(text: str) -> _Hit | None:
    if "creative commons" not in text and "creativecommons" not in text:
        return None
    m = _CC.search(text)
    if m:
        nc = bool(m.group(1) or m.group(3))
        variant = m.group(2) or ""
        version = f"{m.group(4)}.{m.group(5)}"
    else:
        m = _CC_SHORT.search(text)
        if not m:
            return None
        nc = bool(m.group(1))
        variant = m.group(2) or ""
        version = f"{m.group(3)}.{m.group(4)}"
    kind = "by" + ("-nc" if nc else "") + ("-sa" if "share" in variant or variant == " sa" else "")
    if "deriv" in variant or variant == " nd":
        kind += "-nd"
    entry = cat.cc_entry(kind, version)
    return _Hit(entry, 0.9, m.group(0), m.start()) if entry else None


def _permissive_grant_hits(text: str) -> list[_Hit]:
    hits = []
    at = text.find(_MIT_GRANT)
    if at >= 0:
        hits.append(_mit_or_modified(text, at))
    elif text.startswith(("mit license", "the mit license")):
        hits.append(_Hit(_HUB["mit"], 0.6, "mit license", 0))
    at = text.find(_BSD_GRANT)
    if at >= 0:
        if _BSD_CLEAR in text:
            entry = _HUB["bsd-3-clause-clear"]
        elif _BSD_ADVERTISING in text:
            entry = cat.spdx_entry("BSD-4-Clause") or _HUB["bsd"]
        elif any(p in text for p in _BSD_ENDORSE):
            entry = _HUB["bsd-3-clause"]
        else:
            entry = _HUB["bsd-2-clause"]
        hits.append(_Hit(entry, 0.85, _BSD_GRANT, at))
    at = text.find(_ISC_GRANT)
    if at >= 0:
        entry = _HUB["isc"] if "provided that the above copyright notice" in text else (cat.spdx_entry("0BSD") or _HUB["isc"])
        hits.append(_Hit(entry, 0.85, _ISC_GRANT, at))
    return hits


MODIFIED_MIT = cat.entry("modified-mit", _WHERE)


def _mit_or_modified(text: str, at: int) -> _Hit:
    """The MIT grant, unless the text adds conditions to it."""
    for marker in _MIT_RESTRICTIONS:
        if re.search(r"\b" + marker + r"\b", text):
            return _Hit(MODIFIED_MIT, 0.85, marker, at)
    return _Hit(_HUB["mit"], 0.95 if _MIT_NOTICE in text else 0.85, _MIT_GRANT, at)


def recognise_normalised(text: str) -> TextLicence | None:
    """Recognise an already normalised text (see `normalise`)."""
    hits = _phrase_hits(text)
    for extra in (_gnu_hit(text), _cc_hit(text)):
        if extra is not None:
            hits.append(extra)
    hits += _permissive_grant_hits(text)
    if not hits:
        return None
    # Least open wins; among equals, the licence named first.
    best = max(hits, key=lambda h: (cat.restrictiveness(h.entry.family), -h.at))
    e = best.entry
    return TextLicence(
        name=e.name,
        family=e.family,
        hub_id=e.hub_id,
        spdx_id=e.spdx_id,
        confidence=best.confidence,
        phrase=best.phrase,
        key=e.key,
    )


def recognise_licence_text(data: bytes | str) -> TextLicence | None:
    """Recognise the licence a LICENSE file's content states, or None (unknown text, binary)."""
    text = decode_text(data)
    if text is None:
        return None
    return recognise_normalised(normalise(text))
