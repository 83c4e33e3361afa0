"""Python values as Arrow columns of a fixed type, whichever driver gave them (SQLite's 0/1 for
booleans, PostgreSQL's bool; JSON documents as text)."""

from __future__ import annotations

import json
from typing import Any, Callable

import pyarrow as pa
import pyarrow.compute as pc


def converter(field: pa.Field) -> Callable[[Any], Any]:
    """Python value -> what pyarrow accepts for the field: SQLite's 0/1 become booleans, and so on."""
    if pa.types.is_boolean(field.type):
        return lambda v: None if v is None else bool(v)
    if pa.types.is_integer(field.type):
        return lambda v: None if v is None else int(v)
    if pa.types.is_floating(field.type):
        return lambda v: None if v is None else float(v)
    if pa.types.is_list(field.type):
        return lambda v: None if v is None else [None if x is None else str(x) for x in v]
    return lambda v: None if v is None else (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v))


def column(field: pa.Field, values: list[Any]) -> pa.Array:
    """One column, converted by pyarrow in one call when the values already fit (ints, strings, None:
    nearly always), else value by value (`converter`)."""
    try:
        if pa.types.is_boolean(field.type):  # PostgreSQL's booleans, or SQLite's 0/1
            try:
                return pa.array(values, type=pa.bool_())
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return pc.not_equal(pa.array(values, type=pa.int64()), 0)
        # Lists of text too: pyarrow takes lists of str (or None) as they are and refuses any other
        # element (a number, a bool, a dict), which `converter` then turns into text. The lists here
        # come from decoded JSON, so they hold no bytes (which pyarrow would read as UTF-8 text).
        return pa.array(values, type=field.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        pass
    convert = converter(field)
    return pa.array([convert(v) for v in values], type=field.type)
