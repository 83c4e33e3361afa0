"""Recognise a licence from the text of a LICENSE file.

The text is bounded (first 64 kB), lower-cased and reduced to words (every run of other
characters becomes one space, "++" is spelled "plusplus"), so matching ignores case,
punctuation, Markdown and line wrapping. Phrases are plain substring tests on that text;
the few regexes run on it are linear and bounded.

When a text matches several licences (a custom licence "based on the Apache License",
an Apache grant for code plus a model licence for weights), the least open one is taken.

Pure; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


# --- rules ----------------------------------------------------------------------------------


def _c(key: str, name: str, family: LicenceFamily) -> LicenceEntry:
    return LicenceEntry(key=key, name=name, family=family)


_HUB = cat.HUB_LICENCES

# (phrases, entry, confidence): any one phrase present in the normalised text is a match.
_PHRASES: tuple[tuple[tuple[str, ...], LicenceEntry, float], ...] = (
    # Meta Llama
    (("llama 4 community license",), _HUB["llama4"], 0.95),
    (("llama 3 3 community license",), _HUB["llama3.3"], 0.95),
    (("llama 3 2 community license",), _HUB["llama3.2"], 0.95),
    (("llama 3 1 community license",), _HUB["llama3.1"], 0.95),
    (("meta llama 3 community license", "llama 3 community license"), _HUB["llama3"], 0.95),
    (("llama 2 community license",), _HUB["llama2"], 0.95),
    (("gemma terms of use",), _HUB["gemma"], 0.95),
    (("grok 2 community license",), _HUB["grok2-community"], 0.95),
    # Responsible-AI licences
    (("bigscience rail license v1 0", "bigscience bloom rail"), _HUB["bigscience-bloom-rail-1.0"], 0.95),
    (("bigcode open rail m",), _HUB["bigcode-openrail-m"], 0.95),
    (("bigscience open rail m",), _HUB["bigscience-openrail-m"], 0.95),
    (("creativeml open rail plusplus m", "open rail plusplus m license"), _HUB["openrail++"], 0.95),
    (("creativeml open rail m",), _HUB["creativeml-openrail-m"], 0.95),
    (("open rail m license", "openrail m license", "responsible ai license", "use based restrictions"),
     _HUB["openrail"], 0.8),
    # Vendor and research licences
    (("falcon 180b tii license",), _c("falcon-180b-license", "Falcon-180B TII License", "vendor-community"), 0.95),
    (("tii falcon license", "falcon 2 11b tii license", "falcon llm license"),
     _c("tii-falcon-license", "TII Falcon License", "vendor-community"), 0.9),
    (("tongyi qianwen research license", "qwen research license"),
     _c("qwen-research", "Qwen Research License", "non-commercial"), 0.95),
    (("tongyi qianwen license agreement", "qwen license agreement"),
     _c("qwen-license", "Qwen (Tongyi Qianwen) License Agreement", "vendor-community"), 0.95),
    (("deepseek license agreement",), _c("deepseek-license", "DeepSeek License Agreement", "vendor-community"), 0.95),
    (("nvidia open model license",), _c("nvidia-open-model-license", "NVIDIA Open Model License", "vendor-community"), 0.95),
    (("nvidia one way noncommercial license", "nvidia source code license nc", "nvidia non commercial license"),
     _c("nvidia-noncommercial", "NVIDIA non-commercial licence", "non-commercial"), 0.95),
    (("stability ai non commercial research community license", "stability ai non commercial license"),
     _c("stabilityai-nc-community", "Stability AI Non-Commercial Research Community License", "non-commercial"), 0.95),
    (("stability ai community license",),
     _c("stabilityai-community-license", "Stability AI Community License", "vendor-community"), 0.95),
    (("flux 1 dev non commercial license",),
     _c("flux-1-dev-non-commercial-license", "FLUX.1 [dev] Non-Commercial License", "non-commercial"), 0.95),
    (("databricks open model license",),
     _c("databricks-open-model-license", "Databricks Open Model License", "vendor-community"), 0.95),
    (("mistral ai research license",), _c("mrl", "Mistral AI Research License", "non-commercial"), 0.95),
    (("mistral ai non production license",), _c("mnpl", "Mistral AI Non-Production License", "non-commercial"), 0.95),
    (("coqui public model license",),
     _c("coqui-public-model-license", "Coqui Public Model License", "non-commercial"), 0.95),
    (("apple machine learning research model",), _HUB["apple-amlr"], 0.9),
    (("this apple software is supplied to you by apple",), _HUB["apple-ascl"], 0.9),
    (("deepfloyd if license agreement",), _HUB["deepfloyd-if-license"], 0.95),
    (("fair noncommercial research license",), _HUB["fair-noncommercial-research-license"], 0.95),
    # Open licences
    (("apache license version 2 0", "apache license 2 0"), _HUB["apache-2.0"], 0.95),
    (("mozilla public license version 2 0",), _HUB["mpl-2.0"], 0.95),
    (("eclipse public license v 2 0", "eclipse public license version 2 0"), _HUB["epl-2.0"], 0.9),
    (("eclipse public license v 1 0", "eclipse public license version 1 0"), _HUB["epl-1.0"], 0.9),
    (("european union public licence v 1 2", "eupl v 1 2"), _HUB["eupl-1.2"], 0.9),
    (("european union public licence v 1 1", "eupl v 1 1"), _HUB["eupl-1.1"], 0.9),
    (("boost software license version 1 0",), _HUB["bsl-1.0"], 0.95),
    (("this is free and unencumbered software released into the public domain",), _HUB["unlicense"], 0.95),
    (("do what the fuck you want to public license",), _HUB["wtfpl"], 0.95),
    (("altered source versions must be plainly marked",), _HUB["zlib"], 0.85),
    (("open data commons attribution license",), _HUB["odc-by"], 0.95),
    (("open data commons open database license", "open database license odbl"), _HUB["odbl"], 0.95),
    (("open data commons public domain dedication and license",), _HUB["pddl"], 0.95),
    (("community data license agreement permissive version 2 0", "cdla permissive 2 0"),
     _HUB["cdla-permissive-2.0"], 0.95),
    (("community data license agreement permissive version 1 0", "cdla permissive 1 0"),
     _HUB["cdla-permissive-1.0"], 0.95),
    (("community data license agreement sharing version 1 0", "cdla sharing 1 0"), _HUB["cdla-sharing-1.0"], 0.95),
    (("openmdw license agreement v1 1", "openmdw license agreement version 1 1", "openmdw 1 1"),
     _HUB["openmdw-1.1"], 0.95),
    (("openmdw license agreement",), _HUB["openmdw-1.0"], 0.9),
    (("cc0 1 0 universal", "creative commons zero"), _HUB["cc0-1.0"], 0.95),
)

_MIT_GRANT = "permission is hereby granted free of charge to any person obtaining a copy"
_MIT_NOTICE = "the above copyright notice and this permission notice shall be included"
_BSD_GRANT = "redistribution and use in source and binary forms with or without modification are permitted"
_BSD_CLEAR = "no express or implied licenses to any party s patent rights are granted"
_BSD_ENDORSE = ("neither the name of", "may be used to endorse or promote products")
_BSD_ADVERTISING = "all advertising materials mentioning features"
_ISC_GRANT = "permission to use copy modify and or distribute this software for any purpose with or without fee"

# Additions that turn an MIT text into something else: usage thresholds, display/attribution
# duties, commerce or field-of-use limits. None of these words occur in the MIT text itself.
_MIT_RESTRICTIONS = (
    "modified mit",
    "our only modification",
    "monthly active user",
    "monthly revenue",
    "annual revenue",
    "prominently display",
    "user interface of such product",
    "acceptable use policy",
    "non commercial",
    "noncommercial",
    "commercial use",
    "commercial purposes",
    "research purposes only",
    "only for research",
    "you agree not to",
    "shall not use",
    "may not use",
    "must not use",
    "prohibited use",
    "use restrictions",
    "additional terms",
    "additional restrictions",
    "built with",
    "powered by",
)

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


MODIFIED_MIT = LicenceEntry(key="modified-mit", name="Modified MIT License", family="use-restricted")


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
