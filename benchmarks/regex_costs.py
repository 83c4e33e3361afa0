"""Which regular expressions extraction spends its time in: microseconds and calls per version, per pattern.

    python benchmarks/regex_costs.py [--versions 1000] [--passes 3] [--top 40] [--db /tmp/hubscan-profile.db]

cProfile shows one line for every `re.Pattern.search` together, and cachegrind shows `sre_ucs1_match`;
neither says which pattern. This script loads N stored versions as `profile_extract.py` does
(realistic generated cards, the database built when missing), extracts them once to warm up, then
puts a timing proxy in place of every compiled pattern held at module level in `extract.*`
(also inside tuples of patterns, and the pattern a literal guard (`extract.literals.Guarded`)
finally runs), and extracts them again, `--passes` times. For each pattern it prints the fewest
microseconds per version over the passes (a pass disturbed by other work on the machine does not
count) and the calls per version.

The figures are wall-clock time around each call, proxy included (about half a microsecond a
call): use them to rank patterns, not as costs to add up. Patterns built inside functions or held
by other objects are not seen. A profiling aid only: the proxies are put in place in this process
alone; nothing in `extract/` changes.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import types
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

_TIMES: Counter[str] = Counter()
_CALLS: Counter[str] = Counter()


class _Timed:
    """Stands in for one compiled pattern; every matching method is timed under the pattern's name."""

    __slots__ = ("_pattern", "_name")

    def __init__(self, pattern: re.Pattern[str], name: str) -> None:
        self._pattern = pattern
        self._name = name

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter_ns()
        result = getattr(self._pattern, method)(*args, **kwargs)
        if method == "finditer":
            result = iter(list(result))  # the matching happens here, not in the caller's loop
        _TIMES[self._name] += time.perf_counter_ns() - start
        _CALLS[self._name] += 1
        return result

    def search(self, *a: Any, **k: Any) -> Any:
        return self._call("search", *a, **k)

    def match(self, *a: Any, **k: Any) -> Any:
        return self._call("match", *a, **k)

    def fullmatch(self, *a: Any, **k: Any) -> Any:
        return self._call("fullmatch", *a, **k)

    def finditer(self, *a: Any, **k: Any) -> Any:
        return self._call("finditer", *a, **k)

    def findall(self, *a: Any, **k: Any) -> Any:
        return self._call("findall", *a, **k)

    def sub(self, *a: Any, **k: Any) -> Any:
        return self._call("sub", *a, **k)

    def subn(self, *a: Any, **k: Any) -> Any:
        return self._call("subn", *a, **k)

    def split(self, *a: Any, **k: Any) -> Any:
        return self._call("split", *a, **k)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)


def _timed(value: Any, name: str) -> Any:
    """`value` with its patterns timed: a pattern, a guard's final pattern, or patterns in a tuple."""
    from extract.literals import Guarded

    if isinstance(value, re.Pattern):
        return _Timed(value, name)
    if isinstance(value, Guarded):
        if isinstance(value._fast, re.Pattern):
            value._fast = _Timed(value._fast, name)  # type: ignore[assignment]
        return value
    if isinstance(value, tuple) and any(isinstance(v, (re.Pattern, tuple)) for v in value):
        items = [_timed(v, f"{name}[{i}]") for i, v in enumerate(value)]
        try:
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        except TypeError:
            return value
    return value


def time_patterns() -> int:
    """Put the proxies in place in every loaded `extract` module; returns how many globals changed."""
    changed = 0
    for module_name, module in list(sys.modules.items()):
        if not (module_name == "extract" or module_name.startswith("extract.")) or not isinstance(module, types.ModuleType):
            continue
        for name, value in list(vars(module).items()):
            if name.startswith("__"):
                continue
            replaced = _timed(value, f"{module_name}.{name}")
            if replaced is not value:
                setattr(module, name, replaced)
                changed += 1
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-profile.db"))
    args = parser.parse_args()

    from hubscan.extract_guard import bound_version, extract_one
    from profile_extract import WARM_UP, clear_caches, load

    versions = load(args.db, args.versions + WARM_UP)
    for version in versions[:WARM_UP]:
        extract_one(bound_version(version)[0])
    versions = versions[WARM_UP:]
    print(f"{time_patterns()} module-level patterns timed")
    best: dict[str, float] = {}
    calls: dict[str, int] = {}
    for _ in range(args.passes):
        clear_caches()
        _TIMES.clear()
        _CALLS.clear()
        for version in versions:
            extract_one(bound_version(version)[0])
        for name, ns in _TIMES.items():
            best[name] = min(best.get(name, ns), ns)
            calls[name] = _CALLS[name]
    n = len(versions)
    print(f"{n} versions, fewest of {args.passes} passes")
    print(f"{'us/version':>10} {'calls/version':>13}  pattern")
    for name, ns in sorted(best.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{ns / 1000 / n:10.1f} {calls[name] / n:13.1f}  {name}")


if __name__ == "__main__":
    main()
