"""benchmarks/instruction_split.py sorts cachegrind's function lines into the groups the docs quote.

The grouping is what the "what cheaper Python cannot remove" figures rest on (docs/benchmarks.md),
so each group is pinned on lines in cg_annotate's own format, as valgrind 3.19 prints them.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from instruction_split import GROUPS, split  # noqa: E402

PY = "/tmp/python-build.1/Python-3.11.7"
ANNOTATION = f"""\
--------------------------------------------------------------------------------
Ir
--------------------------------------------------------------------------------
4,786,122,700 (100.0%)  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir                    file:function
--------------------------------------------------------------------------------
741,000 (15.49%)  {PY}/Python/ceval.c:_PyEval_EvalFrameDefault
594,000 (12.43%)  {PY}/./Modules/_sre/sre_lib.h:sre_ucs1_match
 98,000 ( 2.05%)  {PY}/./Modules/_sre/sre_lib.h:sre_search
 79,000 ( 1.65%)  {PY}/Objects/stringlib/fastsearch.h:PyUnicode_Contains
 57,000 ( 1.20%)  {PY}/Objects/unicodectype.c:_PyUnicode_ToLowercase
 53,000 ( 1.12%)  ./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S:__memcpy_avx_unaligned_erms
 44,000 ( 0.92%)  {PY}/Objects/unicodeobject.c:_PyUnicode_JoinArray
 38,000 ( 0.80%)  {PY}/Objects/unicodeobject.c:PyUnicode_New
 48,000 ( 1.02%)  {PY}/Modules/_json.c:py_encode_basestring_ascii
 11,000 ( 0.24%)  ???:markdown_it::parser::block::state::BlockState::new
175,000 ( 3.66%)  ???:???
 -2,000 (-0.04%)  {PY}/Objects/dictobject.c:_Py_dict_lookup
"""


def test_each_function_goes_to_the_group_of_what_executes_it() -> None:
    groups = split(ANNOTATION)
    regex, strings, rust, _hyperscan, _yaml, json, unnamed, interpreter = (label for label, _ in GROUPS)
    assert groups[regex] == 594_000 + 98_000
    assert groups[strings] == 79_000 + 57_000 + 53_000 + 44_000
    assert groups[rust] == 11_000
    assert groups[json] == 48_000
    assert groups[unnamed] == 175_000
    # making and looking up objects is the interpreter's work, not a string method's; a negative
    # line (the baseline ran it more often) counts against its group
    assert groups[interpreter] == 741_000 + 38_000 - 2_000
    assert "PROGRAM TOTALS" not in groups and sum(groups.values()) == 741_000 + 594_000 + 98_000 + 79_000 + 57_000 + 53_000 + 44_000 + 38_000 + 48_000 + 11_000 + 175_000 - 2_000
