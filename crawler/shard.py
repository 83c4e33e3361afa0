"""Split one crawl across N machines: worker K of N owns the repos whose id hashes to K.

Every worker walks the (cheap) listing, but stores, downloads, extracts and labels only what it owns,
so N workers writing one PostgreSQL database never fetch the same README twice and never write the
same model row. The hash is stable across machines and Python versions (not `hash()`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_SPEC = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, spec: str) -> "Shard":
        match = _SPEC.match(spec.strip())
        if not match or not 0 <= int(match.group(1)) < int(match.group(2)):
            raise ValueError(f"--shard takes K/N with 0 <= K < N, e.g. 0/2 and 1/2; got {spec!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def owns(self, repo_id: str) -> bool:
        digest = hashlib.sha1(repo_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
