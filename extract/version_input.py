"""One model version, read once: the single typed input every extractor takes.

The store hands extract/ a `StoredVersion` (the listing item as the Hub returned it, the raw README,
the fetched files, the linked datasets and repositories). `read_version` turns it into a
`VersionInput` exactly once: the card is parsed, the listing's loose JSON is reduced to typed fields
(tags, file list, library, remote-code references), and the card metadata to read is chosen. No
extractor sees the raw listing item, so no extractor re-parses it.

Pure: data in, data out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .card import ParsedCard, parse_card
from .types import Access, StoredCodeRepo, StoredDataset, StoredVersion

MAX_REMOTE_CODE = 20  # auto_map entries read from config.json's listing summary


@dataclass(frozen=True)
class VersionInput:
    """Everything extraction may look at for one model version, parsed and typed.

    `card_data` is the Hub's parsed `cardData` when the listing gave one (it is public even when the
    README is gated), else the README's own front matter; `listed_card_data` says which.
    `siblings` is None when the listing gave no file list (not the same as an empty repository).
    """

    repo_id: str = ""
    sha: str | None = None
    card: ParsedCard = field(default_factory=ParsedCard)
    card_data: Mapping[str, Any] = field(default_factory=dict)
    listed_card_data: bool = False
    tags: tuple[str, ...] = ()
    siblings: tuple[str, ...] | None = None
    library_name: str | None = None  # the listing's `library_name`
    remote_code: tuple[str, ...] = ()  # config.json auto_map: model code loaded from other repositories
    files: Mapping[str, bytes] = field(default_factory=dict)  # licence/notice/lineage files fetched (path -> bytes)
    datasets: Mapping[str, StoredDataset] = field(default_factory=dict)
    code_repos: Mapping[str, StoredCodeRepo] = field(default_factory=dict)
    access: Access = "public"
    readme_status: str = "ok"

    @property
    def link_urls(self) -> tuple[str, ...]:
        return tuple(link.url for link in self.card.links)


def read_version(stored: StoredVersion) -> VersionInput:
    """Parse a stored version once into the input every extractor reads."""
    meta = stored.metadata if isinstance(stored.metadata, Mapping) else {}
    card = parse_card(stored.readme)
    listed = meta.get("cardData")
    library = meta.get("library_name")
    return VersionInput(
        repo_id=stored.repo_id,
        sha=stored.sha,
        card=card,
        card_data=listed if isinstance(listed, Mapping) else card.front_matter,
        listed_card_data=isinstance(listed, Mapping),
        tags=tags_of(meta),
        siblings=siblings_of(meta),
        library_name=library if isinstance(library, str) else None,
        remote_code=remote_code_of(meta),
        files=stored.files,
        datasets=stored.datasets,
        code_repos=stored.code_repos,
        access=stored.access,
        readme_status=stored.readme_status,
    )


def siblings_of(metadata: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The repository's file names from a listing item (bounded by the listing check); None when it gave no list."""
    raw = metadata.get("siblings")
    if not isinstance(raw, list):
        return None
    # (a listing's entries are dicts: tested by type first, the Mapping ABC's check being slower)
    return tuple(s["rfilename"] for s in raw if (type(s) is dict or isinstance(s, Mapping)) and isinstance(s.get("rfilename"), str))


def tags_of(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    raw = metadata.get("tags")
    return tuple(t for t in raw if isinstance(t, str)) if isinstance(raw, list) else ()


def remote_code_of(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """Repositories whose code `config.json`'s `auto_map` loads (the listing's config summary)."""
    config = metadata.get("config")
    auto_map = config.get("auto_map") if isinstance(config, Mapping) else None
    if not isinstance(auto_map, Mapping):
        return ()
    refs: list[str] = []
    for value in list(auto_map.values())[:MAX_REMOTE_CODE]:
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, str) and ref not in refs:
                refs.append(ref[:200])
    return tuple(refs)
