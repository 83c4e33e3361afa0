"""A model card's YAML front matter: split off the body, safely loaded, copied into plain data.

Untrusted: the YAML goes through a safe loader only, its size is bounded before loading, and
the loaded value is copied into str/int/float/bool/None/list/dict under a node budget (so alias
bombs cannot blow up later walks).

Loading uses libyaml (`yaml.CSafeLoader`, ~5x faster) where it is sure to give what PyYAML's
pure-Python `yaml.safe_load` gives, and `yaml.safe_load` otherwise. Differential fuzzing found
them apart only on tabs, a byte-order mark inside the text and an empty "!" tag; libyaml's
composer also recurses in C without a limit (a crash on deep nesting, where PyYAML raises
RecursionError), so it only sees text whose nesting is provably shallow. Any libyaml error is
retried with PyYAML, which words the error the way it is reported.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import yaml

from extract.memo import text_memo
from extract.sentences import clip
from extract.types import ParseProblem

MAX_FRONT_MATTER_CHARS = 200_000  # real cards with big model-index blocks stay well below
MAX_YAML_NODES = 100_000  # counted after alias expansion
MAX_YAML_DEPTH = 64

_FM_OPEN = re.compile(r"\A[ \t\n]*---[ \t]*\n")
_FM_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*$", re.M)  # matched at a line's start
_FM_CLOSE_AFTER = re.compile(r"\n((?:---|\.\.\.)[ \t]*)$", re.M)  # found by the newline before it


def split_front_matter(text: str) -> tuple[dict[str, Any], str, list[ParseProblem]]:
    """(front matter, body, problems) of a card's text; {} when it has none or it is unreadable."""
    opening = _FM_OPEN.match(text)
    if not opening:
        return {}, text, []
    # the first line after the opening (it ends with a newline) that closes it
    closing = _FM_CLOSE.match(text, opening.end())
    if closing is not None:
        close_start, close_end = closing.span()
    else:
        after = _FM_CLOSE_AFTER.search(text, opening.end())
        if after is None:
            return {}, text, [ParseProblem("yaml-unclosed", "front matter starts with --- but never closes")]
        close_start, close_end = after.span(1)
    yaml_text = text[opening.end() : close_start]
    body = text[close_end:]
    if body.startswith("\n"):
        body = body[1:]
    if len(yaml_text) > MAX_FRONT_MATTER_CHARS:
        return {}, body, [ParseProblem("yaml-oversize", f"front matter is {len(yaml_text)} characters; not parsed")]
    if _flow_depth(yaml_text) > MAX_YAML_DEPTH:
        # PyYAML's scanner walks every open flow level for each token: thousands of '[' cost it
        # seconds (quadratic) before it fails anyway. Refused before parsing.
        return {}, body, [_too_deep()]
    try:
        loaded = load_yaml(yaml_text)
    except FlowTooDeep:  # what `_flow_depth` missed (a quote that YAML reads as text), refused as met
        return {}, body, [_too_deep()]
    except Exception as exc:  # YAMLError, RecursionError on deep nesting, ...
        return {}, body, [ParseProblem("yaml-invalid", clip(f"{type(exc).__name__}: {exc}", 300))]
    if loaded is None:
        return {}, body, []
    if not isinstance(loaded, dict):
        return {}, body, [ParseProblem("yaml-not-mapping", f"front matter is a {type(loaded).__name__}, not a mapping")]
    try:
        return _plain(loaded, _Budget()), body, []
    except _TooComplex as exc:
        return {}, body, [ParseProblem("yaml-too-complex", str(exc))]


# --- loading --------------------------------------------------------------------------------

_C_SAFE_LOADER = getattr(yaml, "CSafeLoader", None)  # None when PyYAML was built without libyaml
_EMPTY_TAG_RISK = re.compile(r"(?<![^\s\[{,:?\-])!")  # a '!' that may start a tag
_FIRST_BLOCK_PREFIX = re.compile(r"[ ?\-]*")  # indentation and "- " / "? " indicators: the first line's,
_BLOCK_PREFIX = re.compile(r"\n[ ?\-]+")  # and the other lines' (with the newline before)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load(text)`, through libyaml when that gives the same (see the module docstring)."""
    if _C_SAFE_LOADER is not None and _libyaml_agrees(text):
        try:
            return _c_load(text)
        except Exception:
            pass  # PyYAML decides, and words the error
    return safe_load(text)


def _too_deep() -> ParseProblem:
    return ParseProblem("yaml-too-complex", f"front matter nests deeper than {MAX_YAML_DEPTH} brackets")


class FlowTooDeep(yaml.YAMLError):
    """Flow collections ('[', '{') nested deeper than MAX_YAML_DEPTH, met by PyYAML's own scanner."""


class BoundedSafeLoader(yaml.SafeLoader):
    """`yaml.SafeLoader`, but its scanner refuses a flow collection opened MAX_YAML_DEPTH levels deep.

    The scanner walks every open flow level for each token, so a deep nest costs it seconds before
    the parser's recursion fails. `_flow_depth` refuses such text beforehand, but it reads quotes by
    their surroundings and a '"' inside a plain scalar ('a: x "') hides every bracket after it; the
    scanner's own count cannot be misled. Below the bound it reads exactly as `yaml.SafeLoader`.
    """

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= MAX_YAML_DEPTH:
            raise FlowTooDeep(f"flow collections nest deeper than {MAX_YAML_DEPTH}")
        super().fetch_flow_collection_start(TokenClass)  # type: ignore[misc]


def safe_load(text: str) -> Any:
    """`yaml.safe_load(text)` for untrusted text: `FlowTooDeep` past MAX_YAML_DEPTH flow levels."""
    return yaml.load(text, Loader=BoundedSafeLoader)  # noqa: S506 - a SafeLoader


def _c_load(text: str) -> Any:
    """`yaml.load(text, Loader=yaml.CSafeLoader)`: libyaml composes the nodes; the plain ones (mappings,
    sequences, scalars of the core tags, no alias of a collection, no merge key) are turned into data
    here in one walk, the rest by the loader's own constructor (its generators and bookkeeping cost
    more than the parse)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _construct(loader, node, set())
        except _NotPlain:
            return loader.construct_document(node)
    finally:
        loader.dispose()


if _C_SAFE_LOADER is not None:

    class _Loader(_C_SAFE_LOADER):  # type: ignore[misc,valid-type]
        """libyaml's safe loader, its plain scalars' tags remembered: the composer asks `resolve` (in
        Python) for every scalar, and cards repeat their keys and most of their values."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is yaml.ScalarNode and implicit[0] and not self.yaml_path_resolvers:
                return _implicit_tag(value)
            return super().resolve(kind, value, implicit)

    _RESOLVER = _C_SAFE_LOADER("")  # the loader's own resolver tables, asked by `_implicit_tag`


@text_memo(4096, max_key=100)
def _implicit_tag(value: str) -> str:
    """The tag `Resolver.resolve` gives a plain scalar: the first implicit resolver's that matches it,
    else str's (with no path resolvers, whatever `implicit[1]` says)."""
    return _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-any-return]


class _NotPlain(Exception):
    """A node `_construct` leaves to the loader's constructor."""


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_MERGE_KEYS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})  # SafeConstructor.flatten_mapping's
# The core scalar tags and SafeConstructor's own functions for them (none keeps state between calls).
_SCALARS = {
    tag: yaml.constructor.SafeConstructor.yaml_constructors[tag]
    for tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
}


def _construct(loader: Any, node: yaml.Node, seen: set[int]) -> Any:
    """What SafeConstructor makes of `node`, or `_NotPlain`. Recursive: only for text whose nesting
    `_libyaml_agrees` bounded. A collection met twice (an alias) is left to the constructor, which
    shares one object between the two places (and copes with recursion)."""
    kind, tag = type(node), node.tag
    if kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        make = _SCALARS.get(tag)
        if make is None:
            raise _NotPlain
        return make(loader, node)
    if id(node) in seen:
        raise _NotPlain
    seen.add(id(node))
    if kind is yaml.MappingNode and tag == _MAP:
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            # a key that is a collection is unhashable (the constructor reports it); merge keys are flattened
            if type(key_node) is not yaml.ScalarNode or key_node.tag in _MERGE_KEYS:
                raise _NotPlain
            key = _construct(loader, key_node, seen)
            mapping[key] = _construct(loader, value_node, seen)
        return mapping
    if kind is yaml.SequenceNode and tag == _SEQ:
        return [_construct(loader, child, seen) for child in node.value]
    raise _NotPlain


def _libyaml_agrees(text: str) -> bool:
    if "\t" in text or "\ufeff" in text or ("!" in text and _EMPTY_TAG_RISK.search(text)):
        return False
    return _nesting_bound(text) <= MAX_YAML_DEPTH


def _flow_depth(text: str) -> int:
    """How deep '[' and '{' nest outside quoted strings (0 at once when there are few of them)."""
    if text.count("[") + text.count("{") <= MAX_YAML_DEPTH:
        return 0
    depth = deepest = 0
    quote = ""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"" and (i == 0 or text[i - 1] in " \t\n[{,:-?"):
            quote = c
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth = max(0, depth - 1)
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n"):
            nl = text.find("\n", i)  # a comment runs to the end of the line
            i = n if nl < 0 else nl
            continue
        i += 1
    return deepest


def _nesting_bound(text: str) -> int:
    """An upper bound of how deep the YAML nests: each flow level opens with '[' or '{', and each
    block level is indented further or starts with "- " / "? " on the deepest line."""
    flow = text.count("[") + text.count("{")
    if flow > MAX_YAML_DEPTH:
        return flow
    first = len(_FIRST_BLOCK_PREFIX.match(text).group())  # type: ignore[union-attr]
    return flow + max(first, max(map(len, _BLOCK_PREFIX.findall(text)), default=1) - 1) + 2


# --- plain data -----------------------------------------------------------------------------


class _TooComplex(Exception):
    pass


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0

    def spend(self, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            raise _TooComplex(f"front matter has more than {MAX_YAML_NODES} nodes (after alias expansion)")
        if depth > MAX_YAML_DEPTH:
            raise _TooComplex(f"front matter nests deeper than {MAX_YAML_DEPTH}")


def _plain(value: Any, budget: _Budget, depth: int = 0) -> Any:
    """Copy safe_load output into str/int/float/bool/None/list/dict, bounded."""
    budget.spend(depth)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {(_plain_key(k)): _plain(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, budget, depth + 1) for v in value]
    return str(value)


def _plain_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return str(key).lower() if key is not None else "null"
    return str(key)
