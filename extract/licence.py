"""Licence evidence: which licence governs a model's weights, and is it open?

Sources, in the order they are read: `cardData.license` (a string or a list), `license:` tags,
`cardData.license_name` and `cardData.license_link` (the Hub's convention for `license: other`),
the LICENSE*/LICENCE*/COPYING*/USE_POLICY* files the crawler fetched (plus the file `license_link`
names), and, only when nothing else identifies the licence (`other`, `unknown`, missing), the
licence text pasted into `cardData.extra_gated_prompt`.

Rules:
- several declared licences: the least open one governs (a finding says so);
- `other` is resolved through license_name, license_link, then the file text;
- a LICENSE file that contradicts the declaration is evidence: `conflict` says so in words and
  the more restrictive of the two governs;
- an acceptable-use policy file next to an open licence makes it use-restricted;
- nothing declared and nothing recognised: family "unknown".

`hub_id`/`spdx_id`/`name`/`family`/`osi_approved` describe the licence that governs; `raw` keeps
what was declared, as written. `hub_id` is that licence's Hub id, "other" for a recognised licence
the Hub does not list (or an unidentified custom one), the declared value for an id we do not know,
and None when nothing at all was found. `osi_approved` is the SPDX list's flag for that licence (for a
generic Hub id such as `bsd`, whether every variant is approved); an acceptable-use policy does not
change it, but makes `open_basis` None. The classifier gates on `family` and `open_basis`.

Pure: data in, evidence out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from . import licence_catalog as cat
from .licence_catalog import LicenceEntry
from .licence_text import TextLicence, decode_text, normalise, recognise_normalised
from .types import Finding, LicenceEvidence, LicenceFamily, OpenBasis
from .version_input import VersionInput

_MAX_VALUES = 20  # licence values read from cardData.license or tags
_MAX_VALUE_CHARS = 200
_MAX_FILES = 20
_MAX_GATE_PROMPT = 64 * 1024
_CODE_WORD = re.compile(r"(^|[^a-z])code([^a-z]|$)")

# Generic Hub ids and the specific ids they cover: a file stating a covered licence agrees.
_GENERIC_COVERS = {
    "bsd": ("bsd-",),
    "gpl": ("gpl-",),
    "lgpl": ("lgpl-",),
    "gfdl": ("gfdl",),
    "cc": ("cc",),
    "openrail": ("openrail", "creativeml-openrail", "bigscience-openrail", "bigcode-openrail"),
    "llama-community-license": ("llama",),
}


@dataclass(frozen=True)
class _Declared:
    source: str  # "cardData.license", "tag:license:mit", ...
    value: str  # as written
    entry: LicenceEntry | None  # None: `other`, still to be resolved
    confidence: float


@dataclass(frozen=True)
class _FileText:
    path: str
    role: str  # "licence" | "code" (a code-only licence) | "policy" (acceptable-use policy)
    match: TextLicence | None
    note: str


# --- reading the declarations --------------------------------------------------------------


def _bounded_str(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:_MAX_VALUE_CHARS] if value else None


def _card_licence_values(value: Any, findings: list[Finding]) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items[:_MAX_VALUES]:
        text = _bounded_str(item)
        if text is None:
            if item is not None:
                findings.append(Finding("cardData.license", f"ignored a licence value that is not text ({type(item).__name__})", 1.0))
            continue
        out.append(text)
    return out


def _declare_id(source: str, value: str, findings: list[Finding]) -> _Declared:
    if value.strip().lower() == "other":
        findings.append(Finding(source, "declares 'other': a custom licence, to be identified by license_name, license_link or a LICENSE file", 1.0))
        return _Declared(source, value, None, 1.0)
    resolved = cat.resolve_id(value)
    findings.append(Finding(source, resolved.reason, resolved.confidence if resolved.known else 1.0))
    return _Declared(source, value, resolved.entry, resolved.confidence)


def _entry_from_text(match: TextLicence) -> LicenceEntry:
    if match.hub_id and match.hub_id in cat.HUB_LICENCES:
        return cat.HUB_LICENCES[match.hub_id]
    return LicenceEntry(key=match.key, name=match.name, family=match.family, spdx_id=match.spdx_id,
                        osi_approved=cat.spdx_osi_approved(match.spdx_id) if match.spdx_id else None,
                        hub_id=match.hub_id)


# --- files -------------------------------------------------------------------------------


def _file_role(path: str) -> str:
    base = path.rsplit("/", 1)[-1].lower()
    if base.startswith(("use_policy", "use-policy", "usepolicy", "acceptable")):
        return "policy"
    # LICENSE-CODE / CODE_LICENSE: the licence of the code, not of the weights.
    if _CODE_WORD.search(base) and "model" not in base:
        return "code"
    return "licence"


def _read_files(files: Mapping[str, Any], linked: str | None) -> list[_FileText]:
    chosen = []
    paths = sorted((p for p in files if isinstance(p, str)), key=lambda p: (p.count("/"), p))
    for path in paths:
        named = cat.is_licence_file_name(path)
        is_linked = linked is not None and path.lstrip("./") == linked
        if named or is_linked:
            chosen.append(path)
        if len(chosen) >= _MAX_FILES:
            break
    out = []
    for path in chosen:
        role = _file_role(path)
        data = files[path]
        if isinstance(data, int):  # size only: the crawler did not fetch the content
            out.append(_FileText(path, role, None, "not fetched (size only)"))
            continue
        text = decode_text(data)
        if text is None:
            out.append(_FileText(path, role, None, "binary or unreadable content"))
            continue
        if role == "policy":
            out.append(_FileText(path, role, None, "acceptable-use policy"))
            continue
        match = recognise_normalised(normalise(text))
        out.append(_FileText(path, role, match, "recognised" if match else "licence text not recognised"))
    return out


# --- comparing ---------------------------------------------------------------------------


def _same_licence(declared: LicenceEntry, found: LicenceEntry) -> bool:
    if declared.key == found.key:
        return True
    if declared.hub_id and declared.hub_id == found.hub_id:
        return True
    if declared.spdx_id and declared.spdx_id == found.spdx_id:
        return True
    if declared.name == found.name:
        return True
    covers = _GENERIC_COVERS.get(declared.key, ())
    return any(found.key.startswith(prefix) for prefix in covers)


def _unspecific(entry: LicenceEntry) -> bool:
    """'unknown', bare 'cc', an unresolved 'other' or an id we do not know: says nothing precise."""
    return entry.family == "unknown" and entry.spdx_id is None and entry.osi_approved is None


def _open_basis(entry_family: LicenceFamily) -> OpenBasis | None:
    return cat.OPEN_BASIS.get(entry_family)  # type: ignore[return-value]


# --- main --------------------------------------------------------------------------------


def licence_evidence(inp: VersionInput) -> LicenceEvidence:
    """The model version's licence: its card metadata, its tags and its fetched licence files."""
    return read_licence(inp.card_data, inp.tags, inp.files)


def read_licence(card_data: Mapping[str, Any], tags: Sequence[str], files: Mapping[str, bytes]) -> LicenceEvidence:
    """Licence evidence from any repository's card metadata, tags and licence files (a model's or a dataset's)."""
    card: Mapping[str, Any] = card_data if isinstance(card_data, Mapping) else {}
    tags = tags if isinstance(tags, Sequence) and not isinstance(tags, (str, bytes)) else ()
    files = files if isinstance(files, Mapping) else {}
    findings: list[Finding] = []
    raw: list[str] = []
    declared: list[_Declared] = []

    def add_raw(value: str) -> None:
        if value not in raw:
            raw.append(value)

    # 1. cardData.license
    card_values = _card_licence_values(card.get("license"), findings)
    for value in card_values:
        add_raw(value)
        declared.append(_declare_id("cardData.license", value, findings))

    # 2. license: tags (the Hub derives them from the card; read them for repos whose card was not parsed)
    card_lower = {v.lower() for v in card_values}
    tag_count = 0
    for tag in tags:
        if not isinstance(tag, str) or not tag.lower().startswith("license:"):
            continue
        tag_count += 1
        if tag_count > _MAX_VALUES:
            break
        value = tag[len("license:"):].strip()[:_MAX_VALUE_CHARS]
        if not value:
            continue
        add_raw(value)
        if value.lower() in card_lower:
            continue  # the same declaration, already read from the card
        declared.append(_declare_id(f"tag:license:{value}", value, findings))

    declared_other = any(d.entry is None for d in declared)

    # 3. license_name
    name_value = _bounded_str(card.get("license_name"))
    if name_value:
        add_raw(name_value)
        found = cat.match_name(name_value)
        if found:
            findings.append(Finding("cardData.license_name", f"license_name '{name_value}' is {found.entry.name} ({found.how}; {found.entry.family})", found.confidence))
            declared.append(_Declared("cardData.license_name", name_value, found.entry, found.confidence))
        else:
            findings.append(Finding("cardData.license_name", f"license_name '{name_value}' is not a licence hubscan recognises", 1.0))

    # 4. license_link
    linked_file: str | None = None
    link_value = _bounded_str(card.get("license_link"))
    if link_value:
        link = cat.match_link(link_value)
        if link and link.entry:
            findings.append(Finding("cardData.license_link", f"license_link names {link.entry.name} ({link.how}; {link.entry.family})", link.confidence))
            declared.append(_Declared("cardData.license_link", link_value, link.entry, link.confidence))
        if link and link.file:
            linked_file = link.file.lstrip("./")
            in_files = any(isinstance(p, str) and p.lstrip("./") == linked_file for p in files)
            findings.append(Finding(
                "cardData.license_link",
                f"license_link points at the file '{linked_file}'" + ("" if in_files else ", which was not among the fetched files"),
                link.confidence,
            ))
        elif not (link and link.entry):
            findings.append(Finding("cardData.license_link", f"license_link '{link_value}' does not name a licence hubscan recognises", 1.0))

    # 5. licence files
    file_texts = _read_files(files, linked_file)
    for ft in file_texts:
        if ft.match:
            what = f"{ft.path}: text is {ft.match.name} ({ft.match.family}), matched \"{ft.match.phrase}\""
            if ft.role == "code":
                what += "; a code licence, not counted for the weights"
            findings.append(Finding(f"file:{ft.path}", what, ft.match.confidence))
        elif ft.role != "policy":
            findings.append(Finding(f"file:{ft.path}", f"{ft.path}: {ft.note}", 1.0))
    licence_files = [ft for ft in file_texts if ft.role == "licence" and ft.match]
    file_pick: _FileText | None = None
    if licence_files:
        file_pick = max(licence_files, key=lambda ft: cat.restrictiveness(ft.match.family))  # type: ignore[union-attr]
        file_keys = {ft.match.key for ft in licence_files}  # type: ignore[union-attr]
        if len(file_keys) > 1:
            findings.append(Finding(f"file:{file_pick.path}", f"licence files state {len(file_keys)} different licences; the least open, {file_pick.match.name}, is taken", 1.0))  # type: ignore[union-attr]
    file_entry = _entry_from_text(file_pick.match) if file_pick and file_pick.match else None
    file_source = f"file:{file_pick.path}" if file_pick else None

    # 6. resolve
    resolved = [d for d in declared if d.entry is not None]
    named = any(d.source in ("cardData.license_name", "cardData.license_link") for d in resolved)
    conflict: str | None = None
    file_used = False
    effective: LicenceEntry
    effective_source: str

    if not declared and not name_value and not link_value:
        findings.append(Finding("cardData.license", "no licence declared (no license in the card, no license: tag, no license_name or license_link)", 1.0))
    elif (declared_other or not resolved) and not named:
        # `other` (or only an unrecognised name/link): the file text, then the gate prompt, resolve it.
        if file_entry is not None:
            findings.append(Finding(file_source or "file", f"the custom licence is identified by the licence file: {file_entry.name} ({file_entry.family})", _confidence(file_pick)))
            resolved.append(_Declared(file_source or "file", "other", file_entry, _confidence(file_pick)))
            file_used = True
        else:
            gated = _gate_prompt_licence(card, findings)
            if gated is not None:
                resolved.append(_Declared("cardData.extra_gated_prompt", "other", gated, 0.7))
            else:
                label = name_value or link_value or "other"
                findings.append(Finding("cardData.license", f"custom licence '{label}' could not be identified (license_name, license_link and files say nothing hubscan recognises): family unknown", 1.0))
                resolved.append(_Declared("cardData.license", "other", _unresolved(label), 1.0))

    if resolved:
        distinct: dict[str, _Declared] = {}
        for d in resolved:
            if d.entry is not None:
                distinct.setdefault(d.entry.key, d)  # keep the first source that declared it
        chosen = max(distinct.values(), key=lambda d: cat.restrictiveness(d.entry.family))  # type: ignore[union-attr]
        if len(distinct) > 1:
            names = ", ".join(f"{d.entry.name} ({d.source})" for d in distinct.values())  # type: ignore[union-attr]
            findings.append(Finding(chosen.source, f"several licences declared: {names}; the least open, {chosen.entry.name} ({chosen.entry.family}), governs", 1.0))  # type: ignore[union-attr]
        effective, effective_source = chosen.entry, chosen.source  # type: ignore[assignment]
        if file_entry is not None and not file_used and file_pick is not None:
            effective, effective_source, conflict = _compare_with_file(effective, effective_source, file_entry, file_pick, findings)
        elif _unspecific(effective) and effective.key != "unresolved-other":
            # `license: unknown` (or an id we do not know) on a gated repo whose gate names the licence.
            gated = _gate_prompt_licence(card, findings)
            if gated is not None:
                effective, effective_source = gated, "cardData.extra_gated_prompt"
    elif file_entry is not None and file_pick is not None:
        effective, effective_source = file_entry, file_source or "file"
        findings.append(Finding(effective_source, f"the licence file is the only evidence: {file_entry.name} governs", _confidence(file_pick)))
    else:
        gated = _gate_prompt_licence(card, findings)
        if gated is not None:
            effective, effective_source = gated, "cardData.extra_gated_prompt"
        else:
            effective, effective_source = _NO_LICENCE, "cardData.license"

    # 7. acceptable-use policy
    family: LicenceFamily = effective.family
    policies = [ft for ft in file_texts if ft.role == "policy" and ft.note == "acceptable-use policy"]
    if policies:
        where = f"file:{policies[0].path}"
        if family in cat.OPEN_FAMILIES:
            family = "use-restricted"
            findings.append(Finding(where, f"{policies[0].path} is an acceptable-use policy: it restricts the uses of an otherwise open licence ({effective.name}), so use-restricted", 0.9))
        else:
            findings.append(Finding(where, f"{policies[0].path} is an acceptable-use policy (consistent with {effective.name}, already not open)", 0.9))

    open_basis = _open_basis(family)
    # The governing licence's Hub id; a recognised licence the Hub does not list is "other".
    hub_id = effective.hub_id or (None if effective is _NO_LICENCE else "other")
    summary = f"governing licence: {effective.name or 'none'} ({family}); " + (
        f"open ({'OSI-approved' if open_basis == 'osi' else 'open data/content licence'})" if open_basis else "not an open licence"
    )
    findings.append(Finding(effective_source, summary, 1.0))
    return LicenceEvidence(
        raw=tuple(raw),
        hub_id=hub_id,
        spdx_id=effective.spdx_id,
        name=effective.name or None,
        family=family,
        osi_approved=effective.osi_approved,
        open_basis=open_basis,
        file_family=file_entry.family if file_entry else None,
        file_name=file_entry.name if file_entry else None,
        conflict=conflict,
        findings=tuple(findings),
    )


_NO_LICENCE = LicenceEntry(key="none", name="", family="unknown")


def _unresolved(label: str) -> LicenceEntry:
    return LicenceEntry(key="unresolved-other", name=label, family="unknown")


def _confidence(pick: _FileText | None) -> float:
    return pick.match.confidence if pick is not None and pick.match is not None else 0.8


def _compare_with_file(
    effective: LicenceEntry, source: str, file_entry: LicenceEntry, file_pick: _FileText, findings: list[Finding],
) -> tuple[LicenceEntry, str, str | None]:
    """Declared licence vs the licence file's text: agreement, refinement, or a conflict."""
    file_source = f"file:{file_pick.path}"
    confidence = _confidence(file_pick)
    if _same_licence(effective, file_entry):
        if effective.key in _GENERIC_COVERS:
            # A generic declaration ("bsd", "gpl", "cc") is made precise by the file.
            findings.append(Finding(file_source, f"the licence file states {file_entry.name}, a variant of the declared {effective.name}", confidence))
            return file_entry, file_source, None
        findings.append(Finding(file_source, f"the licence file agrees with the declaration ({file_entry.name})", confidence))
        return effective, source, None
    if _unspecific(effective):
        findings.append(Finding(file_source, f"the declaration ({effective.name}) does not say which licence; the file states {file_entry.name} ({file_entry.family})", confidence))
        return file_entry, file_source, None
    conflict = f"{source} declares {effective.name} ({effective.family}) but {file_pick.path} is {file_entry.name} ({file_entry.family})"
    if cat.restrictiveness(file_entry.family) > cat.restrictiveness(effective.family):
        findings.append(Finding(file_source, f"conflict: {conflict}; the file is more restrictive and governs", confidence))
        return file_entry, file_source, conflict
    findings.append(Finding(file_source, f"conflict: {conflict}; the declaration is at least as restrictive and governs", confidence))
    return effective, source, conflict


def _gate_prompt_licence(card: Mapping[str, Any], findings: list[Finding]) -> LicenceEntry | None:
    """Gated repos often paste their licence into `extra_gated_prompt`; read it as a last resort."""
    prompt = card.get("extra_gated_prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return None
    match = recognise_normalised(normalise(prompt[:_MAX_GATE_PROMPT]))
    if match is None:
        return None
    findings.append(Finding("cardData.extra_gated_prompt", f"the access-gate text states {match.name} ({match.family}), matched \"{match.phrase}\"", min(match.confidence, 0.7)))
    return _entry_from_text(match)
