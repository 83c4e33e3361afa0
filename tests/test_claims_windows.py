"""The cue windows compiled with the lexicon (claims_lexicon.END_WINDOWS, START_WINDOWS, INSIDE) hold
every window the judge asks for on the labelled corpus: reading it, in all seven languages, compiles
no cue pattern after the lexicon is built. A window added to extract/claims_judge.py without its row
there would be compiled on first use by every worker instead of once by the forkserver."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from extract import claims_lexicon

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("claims_scoring", ROOT / "benchmarks" / "claims_scoring.py")
scoring = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("claims_scoring", scoring)
_spec.loader.exec_module(scoring)

_CACHES = (claims_lexicon._end_pattern, claims_lexicon._start_pattern, claims_lexicon._inside_pattern)


def test_reading_the_corpus_compiles_no_cue_pattern_after_the_lexicon():
    lex = claims_lexicon.lexicon()
    for cache in _CACHES:
        cache.cache_clear()  # what earlier tests compiled on use goes too
    claims_lexicon._compile_windows(lex.languages)  # as `lexicon()` does when it builds
    built = [cache.cache_info().currsize for cache in _CACHES]
    assert all(built), built
    rows = scoring.load()
    judged_languages = set()
    for row in rows:
        claims = scoring.read_sentence(row["text"], row["repo_id"], scoring.tags_of(row))
        judged_languages.update(c.language for c in claims if c.source == "card")
    assert judged_languages >= set(lex.languages)  # every language's windows were asked for
    assert [cache.cache_info().currsize for cache in _CACHES] == built


def test_a_window_left_out_of_the_list_would_be_compiled_on_use():
    """The check above can fail: a window the list does not hold is a new cache entry."""
    claims_lexicon.lexicon()
    before = claims_lexicon._end_pattern.cache_info().currsize
    claims_lexicon.lexicon().languages["en"].cue("other_before").at_end("one of the other", 7, False)
    assert claims_lexicon._end_pattern.cache_info().currsize == before + 1
