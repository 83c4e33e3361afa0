"""One Hyperscan pass over a text tells which of many patterns may match it.

The extractors run some thirty guarded patterns (extract/literals.py) over the same blocks of a
card, each on its own: about 140 searches a card, most on texts that hold a common word of the
pattern ("train", "data", "open") and do not match. Here every guarded pattern that can be
rewritten safely (extract/hs_translate.py: a Hyperscan expression matching at least what Python's
pattern matches) is compiled into one Hyperscan database in prefilter mode, once per process
(the extraction pool's forkserver compiles it before forking: hubscan/extract_preload.py). A
text is scanned once for all of them; a pattern the scan does not report cannot match the text,
and one it reports is searched by `re` as before, so every answer is still `re`'s.

Which pattern goes which way is decided per pattern and recorded (`routes()`): a pattern the
rewrite refuses, or Hyperscan will not compile, keeps its literal guard, and the reason is kept
beside it. Hyperscan reads the text one byte per character (hs_translate.Alphabet), so any str,
lone surrogates included, can be scanned.

Patterns made on first use (the claim lexicons' triggers, the use-restriction phrases) arrive
after the first scan and are compiled in a database of their own; once no pattern has arrived
for MERGE_AFTER scans (or when the forkserver asks, `compile()`), the databases become one.

Bounds: at most MAX_PATTERNS patterns in the set; the answers for the last CACHE_TEXTS texts
(at most CACHE_CHARS characters of them) are kept, so the patterns run over one block share one
scan.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator


def _engine() -> Any:
    """The hyperscan module, or None. Hyperscan has wheels for Linux x86-64, macOS and Windows;
    elsewhere the guards alone answer."""
    try:
        import hyperscan as engine
    except ImportError:  # pragma: no cover - exercised by tests/test_pattern_scan.py with the import hidden
        return None
    return engine


hyperscan: Any = _engine()

from extract.hs_translate import Alphabet, Rewrite, Untranslatable, named_characters, render, translate

MAX_PATTERNS = 256
CACHE_TEXTS = 128
CACHE_CHARS = 2_000_000
MERGE_AFTER = 2_000  # scans with no new pattern, after which the databases are merged into one
# bytes: one per character (Alphabet)
_FLAGS = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_PREFILTER if hyperscan is not None else 0
NO_ENGINE = "hyperscan is not installed (no wheel for this platform): the literal guard alone"


@dataclass(frozen=True)
class Route:
    """How a pattern is searched: through the scan ("scan") or on its literal guard alone
    ("literals"), and why not through the scan."""

    pattern: str
    flags: int
    way: str
    reason: str = ""
    expression: str = ""


class PatternSet:
    """Patterns compiled together; `may_match(slot, text)` says whether one may match `text`."""

    def __init__(self, max_patterns: int = MAX_PATTERNS) -> None:
        self._max = max_patterns
        self._slots: dict[tuple[str, int], int] = {}
        self._rewrites: list[Rewrite] = []  # by slot
        self._expressions: dict[int, str] = {}  # by slot, once rendered in the alphabet
        self._alphabet: Alphabet | None = None  # fixed at the first compile
        self._keys: list[tuple[str, int]] = []  # by slot
        self._routes: dict[tuple[str, int], Route] = {}
        self._dbs: list[hyperscan.Database] = []
        self._live: frozenset[int] = frozenset()  # slots the databases hold
        self._compiled = 0  # how many slots have been offered to Hyperscan
        self._scans = 0  # scans since a pattern last arrived, while there is more than one database
        # text -> the slots that may match it: those the scan reported, and every routed slot the
        # databases do not hold (`dead`: Hyperscan refused it), so that "slot not in the answer"
        # means "cannot match" for every routed slot (Guarded's one-lookup path, extract/literals.py).
        # Never rebound (only cleared): Guarded keeps its `get`. Emptied whenever a slot is routed,
        # so no answer ever omits a slot it has not been scanned for.
        self._cache: dict[str, frozenset[int]] = {}
        self._order: deque[str] = deque()  # the cached texts, oldest first
        self._cached_chars = 0
        self._dead: frozenset[int] = frozenset()
        self._lock = threading.Lock()  # one scratch space per database: one scan at a time
        self._held = False

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """No scan (so no compile) inside: the patterns offered meanwhile are compiled together
        afterwards, once (the forkserver's warm-up offers them all, then calls `compile()`)."""
        self._held = True
        try:
            yield
        finally:
            self._held = False

    def busy(self) -> bool:
        """Whether the set is being scanned or updated now: an exception raised by a signal handler
        must wait (hubscan/cpu_budget.py), or it could leave slots compiled but not live."""
        return self._lock.locked()

    def route(self, pattern: re.Pattern[str]) -> int | None:
        """The pattern's slot in the set, or None when it keeps the guarded path (`routes()` says why).
        A slot's pattern is compiled with the others at the first scan; should Hyperscan refuse it
        then, `may_match` answers None for it (run `re`) and `routes()` says why."""
        key = (pattern.pattern, pattern.flags)
        if key in self._slots:
            return self._slots[key]
        if key in self._routes:
            return None
        if hyperscan is None:
            self._refuse(key, NO_ENGINE)
            return None
        if not isinstance(pattern.pattern, str):
            self._refuse(key, "a bytes pattern")
            return None
        try:
            rewrite = translate(pattern)
        except Untranslatable as why:
            self._refuse(key, f"not rewritten: {why}")
            return None
        if len(self._rewrites) >= self._max:
            self._refuse(key, f"the set is full ({self._max} patterns)")
            return None
        with self._lock:  # a scan under way must not cache an answer that omits the new slot
            slot = len(self._rewrites)
            self._forget()  # the cached answers do not name the new slot
            self._rewrites.append(rewrite)
            self._keys.append(key)
            self._slots[key] = slot
            self._routes[key] = Route(key[0], key[1], "scan")
        return slot

    def _refuse(self, key: tuple[str, int], reason: str, expression: str = "") -> None:
        self._routes[key] = Route(key[0], key[1], "literals", reason, expression)
        return None

    def routes(self) -> list[Route]:
        """How each pattern offered so far is searched (after `compile()`, final)."""
        return list(self._routes.values())

    def cached(self) -> Callable[[str], frozenset[int] | None]:
        """The cache's lookup: the answer `flagged` gave for a text still held, else None. A slot
        not in the answer cannot match that text (dead slots are in every answer)."""
        return self._cache.get

    def may_match(self, slot: int, text: str) -> bool | None:
        """False when the pattern in `slot` cannot match `text`; True when it may; None when the
        scan cannot say (it is held, or Hyperscan refused the pattern): run `re`."""
        flagged = self.flagged(text)
        if flagged is None or slot not in self._live:
            return None
        return slot in flagged

    def flagged(self, text: str) -> frozenset[int] | None:
        """Slots of the patterns that may match `text`; None while held or with nothing compiled."""
        if self._held:
            return None
        hit = self._cache.get(text)  # every answer held names every routed slot (route() empties it)
        if hit is not None:
            return hit
        with self._lock:
            if self._compiled != len(self._rewrites):  # new patterns: compiled before any answer is given
                self._compile_new()
            if len(self._dbs) > 1:
                self._scans += 1
                if self._scans >= MERGE_AFTER:
                    self._merge()
            alphabet = self._alphabet
            if alphabet is None:
                return None
            data = text.encode("ascii") if text.isascii() else alphabet.transcode(text)
            found: list[int] = []
            try:
                for db in self._dbs:
                    db.scan(data, _on_match, 0, found)  # type: ignore[arg-type]  # (the stubs type the context as object)
            except hyperscan.error:  # pragma: no cover - an engine fault: `re` answers alone
                return None
            flagged = frozenset(found)
            if self._dead:
                flagged |= self._dead
            self._remember(text, flagged)
        return flagged

    def compile(self) -> None:
        """Every slot in one database, built now: the forkserver calls this after its warm-up, so
        the workers inherit one database to scan instead of one per batch of patterns offered."""
        with self._lock:
            self._compile_new()
            self._merge()

    def _merge(self) -> None:
        self._scans = 0
        if len(self._dbs) > 1:
            try:
                self._dbs = [db for db in [_database({s: self._expressions[s] for s in sorted(self._live)})] if db]
            except hyperscan.error:  # pragma: no cover - each compiled alone; then they stay apart
                pass

    def _compile_new(self) -> None:
        """The slots offered since the last compile, in a database of their own (patterns made on
        first use arrive after the first scan; recompiling every pattern each time costs more); if
        Hyperscan refuses them together, each is compiled alone and those it refuses leave the set
        (routes() records why)."""
        new = list(range(self._compiled, len(self._rewrites)))
        if not new:
            return
        self._compiled = len(self._rewrites)
        self._scans = 0
        self._forget()  # its answers do not name the new slots
        if self._alphabet is None:
            self._alphabet = Alphabet(code for slot in new for code in named_characters(self._rewrites[slot]))
        rendered = []
        for slot in new:
            try:
                self._expressions[slot] = render(self._rewrites[slot], self._alphabet)
                rendered.append(slot)
            except Untranslatable as why:
                self._refuse(self._keys[slot], f"not rewritten: {why}")
        new = rendered
        for slot in new:
            self._routes[self._keys[slot]] = Route(*self._keys[slot], "scan", expression=self._expressions[slot])
        try:
            self._dbs += [db for db in [_database({slot: self._expressions[slot] for slot in new})] if db]
        except hyperscan.error:  # one of them is refused: each alone, the refused ones fall back
            kept = []
            for slot in new:
                refused = compile_error(self._expressions[slot])
                if refused:
                    self._refuse(self._keys[slot], f"Hyperscan refused the rewrite: {refused}", self._expressions[slot])
                else:
                    self._dbs += [db for db in [_database({slot: self._expressions[slot]})] if db]
                    kept.append(slot)
            new = kept
        self._live = self._live | frozenset(new)
        self._dead = frozenset(range(len(self._rewrites))) - self._live

    def _forget(self) -> None:
        self._cache.clear()
        self._order.clear()
        self._cached_chars = 0

    def _remember(self, text: str, flagged: frozenset[int]) -> None:
        size = len(text)
        if size > CACHE_CHARS // 4 or text in self._cache:  # (another thread may have scanned it meanwhile)
            return
        cache, order = self._cache, self._order
        # oldest first, through a deque: a dict's first key is found by walking past the holes its
        # earlier deletions left, which costs more the longer the cache has run
        while order and (len(order) >= CACHE_TEXTS or self._cached_chars + size > CACHE_CHARS):
            oldest = order.popleft()
            self._cached_chars -= len(oldest)
            del cache[oldest]
        cache[text] = flagged
        order.append(text)
        self._cached_chars += size


def _database(expressions: dict[int, str]) -> hyperscan.Database | None:
    if not expressions:
        return None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[e.encode("utf-8") for e in expressions.values()],
        ids=list(expressions),
        elements=len(expressions),
        flags=[_FLAGS] * len(expressions),
    )
    return db


def _on_match(slot: int, _start: int, _end: int, _flags: int, found: list[int]) -> None:
    found.append(slot)


def compile_error(expression: str) -> str | None:
    """Why Hyperscan will not compile `expression` on its own (in the set's mode), or None."""
    try:
        _database({0: expression})
    except hyperscan.error as why:
        return str(why) or type(why).__name__
    return None


SCAN = PatternSet()  # the process's set: every guarded pattern offers itself here
