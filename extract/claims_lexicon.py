"""policy/claims.yaml compiled into the regular expressions the claim reader runs.

Every pattern built here is a bounded alternation of literals: the phrases (one pass over a sentence,
`finditer`), and the cue lists, which are only ever run on windows of at most `WINDOW` characters
next to a phrase (`at_end`, `at_start`, `inside`). None can backtrack over a whole sentence, so
reading a card stays linear in its length.

The phrase syntax is explained at the top of policy/claims.yaml.
"""

from __future__ import annotations

import functools
import re
import re._constants as _sre_constants  # type: ignore[import-not-found]
import re._parser as _sre_parser  # type: ignore[import-not-found]
from dataclasses import dataclass
from typing import Mapping

import policy
from extract.first_chars import NON_ASCII_PARTNERS

#: Characters of context a cue may be looked for in, before and after a phrase.
WINDOW = 160
#: Order in which kinds are tried at one position: the most specific first ("fully open source"
#: is fully-open, not open-source; "open source models" is open-source, not open-model).
KIND_ORDER = ("fully-open", "open-weights", "open-source", "open-science", "open-model")
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
#: Latin-script words a phrase gap (` … `) must not swallow: they start another phrase structure.
_GAP_STOP = (
    "the|a|an|this|that|these|those|your|our|it|its|their|in|on|with|up|to|and|or|for|of|by|from|as|is|are|like|"
    "source|sources|sourced|weights?|le|la|les|des|du|de|et|ou|pour|comme|à|der|die|das|und|oder|für|von|als|wie|"
    "el|los|las|y|o|para|del|en|como|código|fuente"
)
_LATIN_SEP = r"[\s\-‐‑–_]{0,2}"
_LATIN_GAP = rf"(?:[\s\-]+(?!(?:{_GAP_STOP})(?![\w-]))[^\W\d_]+(?:-[^\W\d_]+)*){{0,2}}[\s\-]+"
_CJK_GAP = r"[^\s，。、；：,.;:!?！？()（）]{0,10}?"
#: Between a cue and the phrase: up to `n` words (Latin) or characters (CJK).
_LATIN_WORD = r"[\s\-]+[\w'’.%]+"


@dataclass(frozen=True)
class Cues:
    """One cue list, compiled for the three places it is looked for."""

    words: tuple[str, ...]
    alternation: str  # the list as one regex alternation ("" when the list is empty)

    def at_end(self, text: str, gap: int, cjk: bool, allowed_gap: str | None = None) -> re.Match[str] | None:
        """A cue that ends `text`, with up to `gap` words (Latin) or characters (CJK) after it."""
        if not self.alternation:
            return None
        # a cue is at most ~40 characters, a gap word ~16: no need to try every start in WINDOW
        span = 24 + 2 * gap if cjk else 48 + 16 * gap
        return _end_pattern(self.alternation, gap, cjk, allowed_gap).search(text[-span:])

    def at_start(self, text: str, gap: int, cjk: bool) -> re.Match[str] | None:
        """A cue that starts `text`, after up to `gap` words or characters."""
        if not self.alternation:
            return None
        span = 24 + 2 * gap if cjk else 48 + 16 * gap
        return _start_pattern(self.alternation, gap, cjk).match(text[:span])

    def inside(self, text: str) -> re.Match[str] | None:
        if not self.alternation:
            return None
        return _inside_pattern(self.alternation).search(text[-WINDOW:])


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    cjk: bool
    stopwords: frozenset[str]
    cues: Mapping[str, Cues]  # other_before, implied_before, ..., one per list in the YAML
    targets: tuple[tuple[str, Cues], ...]  # (category, nouns), self last
    skip_after: Cues
    nouns: re.Pattern[str]  # every target noun (and the English ones), one named group per category
    noun_before: bool  # the noun a phrase qualifies stands before it ("la bibliothèque open source")

    def noun_at(self, text: str, pos: int) -> str | None:
        """The category of a target noun starting at `pos`, if one does."""
        m = self.nouns.match(text, pos)
        return m.lastgroup if m else None

    def cue(self, name: str) -> Cues:
        return self.cues[name]


@dataclass(frozen=True)
class Lexicon:
    phrases: re.Pattern[str]  # one named group per kind
    trigger: re.Pattern[str]  # cheap test: can a text contain a phrase at all?
    languages: Mapping[str, Language]
    confidence: Mapping[str, float]
    min_confidence: float
    badge_urls: tuple[str, ...]
    badge_yes: frozenset[str]
    badge_no: frozenset[str]
    tags: Mapping[str, str]
    table_yes: frozenset[str]
    version: int
    by_language: Mapping[str, re.Pattern[str]]  # each language's phrases alone: whose phrase is this?

    def phrase_language(self, phrase: str) -> str | None:
        """The language whose phrase list has `phrase` ("código abierto": es); English first."""
        for code, pattern in self.by_language.items():
            if pattern.fullmatch(phrase):
                return code
        return None


_CUE_LISTS = (
    "other_before", "implied_before", "among_before", "among_after", "comparison", "negation_before", "negation_after",
    "future_before", "future_after", "conditional_before", "conditional_after", "self_before", "copula",
    "release_verbs", "quotation_before", "conjunctions", "negation_exceptions", "prepositions", "verb_forms", "verb_after", "verb_before",
    "comparison_after", "source_before", "source_after", "conditional_start", "complementizers", "indefinite_articles",
)
_TARGET_ORDER = ("data", "code", "tool", "community", "licence", "self")


@functools.cache
def lexicon() -> Lexicon:
    """The compiled policy (cached for the life of the process)."""
    data = policy.load("claims")
    english = data["languages"]["en"]["target_nouns"]
    languages = {
        code: _language(code, spec, None if code == "en" else english) for code, spec in data["languages"].items()
    }
    groups: dict[str, list[str]] = {kind: [] for kind in KIND_ORDER}
    stems: set[str] = set()
    by_language: dict[str, re.Pattern[str]] = {}
    for code, spec in data["languages"].items():
        cjk = code in CJK_LANGUAGES
        own: list[str] = []
        for kind, phrases in spec["phrases"].items():
            for phrase in phrases:
                groups[kind].append(phrase_regex(phrase, cjk))
                own.append(phrase_regex(phrase, cjk))
                stems.add(_stem(phrase, cjk))
        by_language[code] = re.compile("|".join(sorted(set(own), key=lambda p: (-len(p), p))), re.I)
    firsts = {ch for spec in data["languages"].values() for ps in spec["phrases"].values() for p in ps for ch in (p[0].lower(), p[0].upper())}
    latin_firsts = "".join(sorted(re.escape(ch) for ch in firsts if not _is_cjk(ch)))
    cjk_firsts = "".join(sorted(re.escape(ch) for ch in firsts if _is_cjk(ch)))
    alternatives = []
    for kind in KIND_ORDER:
        unique = sorted(set(groups[kind]), key=lambda p: (-len(p), p))  # longest first: leftmost-longest
        if unique:
            alternatives.append(f"(?P<{kind.replace('-', '_')}>{by_first_char(unique)})")
    _compile_windows(languages)
    return Lexicon(
        # the lookahead rejects most positions with one character test instead of trying every alternative
        phrases=re.compile(
            f"(?:(?<!\\w)(?=[{latin_firsts}])|(?=[{cjk_firsts}]))(?:{'|'.join(alternatives)})", re.I
        ),
        trigger=re.compile("|".join(re.escape(s) for s in sorted(_minimal(stems))), re.I),
        languages=languages,
        confidence=dict(data["confidence"]),
        min_confidence=float(data["min_confidence"]),
        badge_urls=tuple(data["badges"]["url_patterns"]),
        badge_yes=frozenset(w.lower() for w in data["badges"]["affirmative"]),
        badge_no=frozenset(w.lower() for w in data["badges"]["negative"]),
        tags=dict(data["tags"]),
        table_yes=frozenset(w.lower() for w in data["table_yes"]),
        version=int(data["version"]),
        by_language=by_language,
    )


#: The windows `extract.claims_judge` looks for each cue list in: (list, gap in Latin-script
#: languages, gap in Chinese/Japanese/Korean), None where that script never asks. Compiled with the
#: lexicon (`_compile_windows`), so the extraction pool's forkserver compiles them once for every
#: worker instead of each worker on first use (tests/test_claims_windows.py checks the list is whole).
END_WINDOWS = (
    ("quotation_before", 2, 2), ("release_verbs", 4, 4), ("release_verbs", 2, 2), ("implied_before", 1, 6),
    ("implied_before", 3, None), ("source_before", 2, 4), ("other_before", 1, 4), ("negation_before", 2, 2),
    ("negation_before", 4, None), ("future_before", 3, 4), ("conditional_before", 4, None), ("among_before", 2, 1),
    ("verb_before", 0, 0),
)
START_WINDOWS = (
    ("comparison_after", 2, 4), ("source_after", 2, 16), ("negation_after", 1, 4), ("future_after", 2, 6),
    ("conditional_after", 3, 8), ("conditional_start", 0, 0), ("prepositions", 0, 0), ("conjunctions", 0, 0),
    ("copula", 0, None), ("indefinite_articles", 0, None), ("among_after", 3, 10), ("verb_forms", 0, 0),
    ("verb_after", 0, 0),
)
INSIDE = (
    "release_verbs", "self_before", "comparison", "negation_exceptions", "conditional_before", "prepositions",
    "conjunctions", "complementizers", "copula",
)
#: The characters a Chinese/Japanese/Korean negation cue may be separated from the phrase by.
CJK_ALLOWED_NEG_GAP = "是被再会为予以完全全部的"


def _compile_windows(languages: Mapping[str, Language]) -> None:
    """Compile every cue pattern the judge asks for (the same cached patterns it would compile on use)."""
    for language in languages.values():
        cjk = language.cjk
        for name, latin, other in END_WINDOWS:
            gap = other if cjk else latin
            cues = language.cues[name]
            if gap is not None and cues.alternation:
                _end_pattern(cues.alternation, gap, cjk, CJK_ALLOWED_NEG_GAP if cjk and name == "negation_before" else None)
        for name, latin, other in START_WINDOWS:
            gap = other if cjk else latin
            cues = language.cues[name]
            if gap is not None and cues.alternation:
                _start_pattern(cues.alternation, gap, cjk)
        if not cjk and language.skip_after.alternation:
            _start_pattern(language.skip_after.alternation, 0, False)
        for name in INSIDE:
            if language.cues[name].alternation:
                _inside_pattern(language.cues[name].alternation)


def _minimal(stems: set[str]) -> set[str]:
    """Drop every stem that contains another one: the shorter already triggers."""
    stems = {s for s in stems if s}
    return {s for s in stems if not any(t != s and t in s for t in stems)}


def kind_of(match: re.Match[str]) -> str:
    """The kind of a match of `Lexicon.phrases`."""
    return (match.lastgroup or "open_model").replace("_", "-")


def _language(code: str, spec: Mapping, english: Mapping | None = None) -> Language:
    cjk = code in CJK_LANGUAGES
    cues = {name: _cues(spec.get(name) or (), cjk) for name in _CUE_LISTS}
    nouns = spec["target_nouns"]
    return Language(
        code=code,
        name=spec["name"],
        cjk=cjk,
        stopwords=frozenset(w.lower() for w in spec.get("stopwords") or ()),
        cues=cues,
        targets=tuple((category, _cues(nouns[category], cjk)) for category in _TARGET_ORDER),
        skip_after=_cues(spec.get("skip_after") or (), cjk),
        nouns=_noun_pattern(code, nouns, english),
        noun_before=spec.get("qualified_noun") == "before",
    )


def _noun_pattern(code: str, nouns: Mapping, english: Mapping | None) -> re.Pattern[str]:
    """Every target noun of the language, plus the English ones (cards borrow "benchmark", "dataset",
    "LLM" in every language). German compounds end in the noun ("Trainingsdaten"): no left boundary."""
    cjk = code in CJK_LANGUAGES
    groups = []
    firsts: set[str] = set()
    for category in _TARGET_ORDER:
        parts = {phrase_regex(w, cjk) for w in nouns.get(category) or ()}
        for w in (english or {}).get(category) or ():
            if cjk and len(w.rstrip("*")) >= 4:
                parts.add(phrase_regex(w, True))  # no word boundaries between CJK characters
                firsts.update((w[0].lower(), w[0].upper()))
            elif not cjk:
                parts.add(phrase_regex(w, False))
                firsts.update((w[0].lower(), w[0].upper()))
        firsts.update(ch for w in nouns.get(category) or () for ch in (w[0].lower(), w[0].upper()))
        if code == "de":
            parts = {p.replace(r"(?<!\w)", "", 1) for p in parts}
        if parts:
            groups.append(f"(?P<{category}>{by_first_char(sorted(parts, key=lambda p: (-len(p), p)))})")
    lead = "".join(sorted(re.escape(ch) for ch in firsts))
    return re.compile(f"(?=[{lead}])(?:{'|'.join(groups)})", re.I)


def _cues(words, cjk: bool) -> Cues:
    words = tuple(str(w) for w in words)
    parts = sorted({phrase_regex(w, cjk or _is_cjk(w)) for w in words}, key=lambda p: (-len(p), p))
    if not parts:
        return Cues(words, "")
    # one character test first: most positions cannot start any cue
    firsts = "".join(sorted({re.escape(ch) for w in words if w for ch in (w[0].lower(), w[0].upper())}))
    return Cues(words, f"(?=[{firsts}])(?:{by_first_char(parts)})")


def by_first_char(parts: list[str]) -> str:
    """The alternation of `parts` (regexes, in order), each run of alternatives that start with the
    same literal character put behind one lookahead for it: `re` tries the alternatives one by one
    at every position, and most start with another character than the text has there. The first
    alternative that matches is the same one (the others cannot match where it can: they start with
    another character, ignoring case), so the matches and groups are too. Plain `|` when a part's
    first character is not a literal, or two first characters could stand for one character."""
    keys = [_first_literal(p) for p in parts]
    if len(parts) < 2 or None in keys or not _apart(set(keys)):  # type: ignore[arg-type]
        return "|".join(parts)
    grouped: dict[str, list[str]] = {}
    for key, part in zip(keys, parts):
        grouped.setdefault(key, []).append(part)  # type: ignore[arg-type]
    return "|".join(
        f"(?={re.escape(key)})(?:{'|'.join(group)})" if len(group) > 1 else group[0] for key, group in grouped.items()
    )


def _first_literal(part: str) -> str | None:
    """The literal character every match of `part` starts with (lower case), after zero-width assertions."""
    try:
        parsed = _sre_parser.parse(part, re.I)
    except re.error:
        return None
    c = _sre_constants
    for op, av in parsed.data:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        return chr(av).lower() if op is c.LITERAL else None
    return None


def _apart(keys: set[str]) -> bool:
    """No character matches two of `keys` when case is ignored (their case partners are all apart)."""
    seen: set[str] = set()
    for key in keys:
        partners = {key, key.upper(), key.lower(), key.upper().lower(), key.lower().upper(), *NON_ASCII_PARTNERS.get(key, "")}
        if any(len(p) != 1 for p in partners) or partners & seen:
            return False
        seen |= partners
    return True



def phrase_regex(phrase: str, cjk: bool) -> str:
    """A phrase of policy/claims.yaml as a regex (see the syntax notes at the top of that file)."""
    phrase = " ".join(phrase.replace("...", "…").split())
    pieces = [p.strip() for p in phrase.split("…")]
    if cjk or _is_cjk(phrase):
        body = _CJK_GAP.join(_cjk_piece(p) for p in pieces if p)
        return body
    body = _LATIN_GAP.join(_latin_piece(p) for p in pieces if p)
    return rf"(?<!\w){body}(?!\w)"


def _latin_piece(piece: str) -> str:
    """Words joined by a space or hyphen (which match a space, a hyphen or nothing); `word*` runs on."""
    words = [w for w in re.split(r"[ -]", piece) if w]
    out = []
    for word in words:
        star = word.endswith("*")
        out.append(re.escape(word.rstrip("*")) + (r"\w{0,6}" if star else ""))
    return _LATIN_SEP.join(out)


def _cjk_piece(piece: str) -> str:
    piece = piece.rstrip("*")
    return "".join(r"\s?" if ch == " " else re.escape(ch) for ch in piece)


#: Parts of phrases that are rarer than their other words; only used to pick a prefilter stem.
_RARE = ("open", "offen", "ouvert", "abiert", "libre", "quell", "オープン", "오픈", "开", "開", "공개", "개방", "完全", "全面")


def _stem(phrase: str, cjk: bool) -> str:
    """A literal run every match of the phrase contains, for the cheap trigger test (a rare one if possible)."""
    runs = [r for r in re.split(r"[\s\-*…]+|\.\.\.", phrase.lower()) if r]
    if not runs:
        return ""
    rare = [r for r in runs if any(m in r for m in _RARE)]
    return max(rare or runs, key=len)


def _is_cjk(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)


@functools.lru_cache(maxsize=4096)
def _end_pattern(alternation: str, gap: int, cjk: bool, allowed_gap: str | None) -> re.Pattern[str]:
    if cjk:
        filler = f"[{re.escape(allowed_gap)}]" if allowed_gap is not None else r"[^\s，。、；：,;:!?！？]"
        return re.compile(rf"(?:{alternation}){filler}{{0,{gap}}}\s*\Z", re.I)
    return re.compile(rf"(?:{alternation})(?:{_LATIN_WORD}){{0,{gap}}}[\s\-\"'“”‘’(*_]*\Z", re.I)


@functools.lru_cache(maxsize=4096)
def _start_pattern(alternation: str, gap: int, cjk: bool) -> re.Pattern[str]:
    if cjk:  # Korean separates words with spaces: a gap may hold them
        return re.compile(rf"\s*[^，。；：,;:!?！？]{{0,{gap}}}?(?:{alternation})", re.I)  # "Qwen2.5를 기반": dots in names
    return re.compile(rf"[\s\-\"'“”‘’)*_,]*(?:[\w'’.%]+[\s\-]+){{0,{gap}}}?(?:{alternation})", re.I)


@functools.lru_cache(maxsize=4096)
def _inside_pattern(alternation: str) -> re.Pattern[str]:
    return re.compile(f"(?:{alternation})", re.I)
