"""The `card_patterns:` section of a policy file: named regular expressions for card wording.

Each entry has a `name`, a one-line `means`, a `pattern` (one string, or a list of strings joined with
nothing between them, so a long alternation can be read a branch a line) and flags (`ignore_case`,
`dot_all`). A pattern may hold `{name}` placeholders for the file's `fragments:` map (a lower-case
name in braces; regex counts such as {0,3} are digits, so they never clash). A fragment holds no
placeholder itself. `check` runs when the file is loaded, so an unknown placeholder, a duplicate
name or a pattern that does not compile fails loudly, naming the file and the entry.
"""

from __future__ import annotations

import functools
import re
from typing import Any

FLAGS = {"ignore_case": re.IGNORECASE, "dot_all": re.DOTALL}
_PLACEHOLDER = re.compile(r"\{([a-z][a-z_]*)\}")


def expand(data: dict[str, Any], where: str) -> dict[str, tuple[str, int]]:
    """name -> (pattern text with fragments filled in, re flags) of `data["card_patterns"]`."""
    from policy import PolicyError

    fragments: dict[str, str] = data.get("fragments") or {}
    for key, text in fragments.items():
        if _PLACEHOLDER.search(text):
            raise PolicyError(f"{where}: fragments.{key}: a fragment may not hold a {{placeholder}}")
    out: dict[str, tuple[str, int]] = {}
    for i, entry in enumerate(data.get("card_patterns") or ()):
        name = entry["name"]
        at = f"{where}: card_patterns[{i}] ({name})"
        if name in out:
            raise PolicyError(f"{at}: the name is used twice")
        raw = entry["pattern"]
        text = raw if isinstance(raw, str) else "".join(raw)

        def fill(m: re.Match[str]) -> str:
            if m.group(1) not in fragments:
                raise PolicyError(f"{at}: pattern: unknown fragment {{{m.group(1)}}} (fragments: {', '.join(sorted(fragments)) or 'none'})")
            return fragments[m.group(1)]

        text = _PLACEHOLDER.sub(fill, text)
        flags = 0
        for key, bit in FLAGS.items():
            if entry.get(key, False):
                flags |= bit
        try:
            re.compile(text, flags)
        except re.error as exc:
            raise PolicyError(f"{at}: pattern does not compile: {exc}") from exc
        out[name] = (text, flags)
    return out


@functools.cache
def compiled(name: str) -> dict[str, re.Pattern[str]]:
    """The compiled card patterns of `policy/<name>.yaml`, by entry name (cached)."""
    from policy import load

    return {key: re.compile(text, flags) for key, (text, flags) in expand(load(name), f"policy/{name}.yaml").items()}
