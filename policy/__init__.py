"""hubscan's openness policy, as data files a reviewer can read without Python.

Each `policy/<name>.yaml` holds one part of the policy (licence families, claim phrases, training-code
signals, data-information points and threshold, washing codes, gates and rules ...) and is checked
against `policy/schemas/<name>.schema.json` when it is first loaded. A bad edit fails loudly, naming
the file and the entry:

    policy.PolicyError: policy/claims.yaml: phrases[3].kind: 'opn-source' is not one of [...]

Only `yaml.safe_load` reads these files; the loaded data is cached for the life of the process and
must be treated as read-only. `digest()` fingerprints every file, so a label can say which policy
text decided it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["POLICY_DIR", "PolicyError", "digest", "load", "names"]

POLICY_DIR = Path(__file__).resolve().parent
_SCHEMAS = POLICY_DIR / "schemas"


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PolicyError(ValueError):
    """A policy file is missing, is not valid YAML, or does not match its schema."""


def names() -> list[str]:
    """Every policy file's name (without `.yaml`), sorted."""
    return sorted(p.stem for p in POLICY_DIR.glob("*.yaml"))


@functools.cache
def load(name: str) -> Any:
    """The validated content of `policy/<name>.yaml` (cached; do not mutate it)."""
    path = POLICY_DIR / f"{name}.yaml"
    where = f"policy/{name}.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{where}: cannot read: {exc.strerror or exc}") from exc
    try:
        # The safe loader, in libyaml's C when PyYAML has it: every process (each CLI command, the
        # extraction pool's forkserver) reads these 130 kB, 0.5 s in Python against 0.05 s. The same
        # data either way (tests/test_policy_files.py compares them).
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{where}: not valid YAML: {exc}") from exc
    validate(name, data, where)
    if isinstance(data, dict) and "card_patterns" in data:
        from policy.patterns import expand  # named regular expressions must expand and compile

        expand(data, where)
    return data


def validate(name: str, data: Any, where: str | None = None) -> None:
    """Check `data` against `policy/schemas/<name>.schema.json`; raise PolicyError naming the entry."""
    import jsonschema  # imported here: only loading policy needs it

    where = where or f"policy/{name}.yaml"
    schema_path = _SCHEMAS / f"{name}.schema.json"
    if not schema_path.exists():
        raise PolicyError(f"{where}: no schema at policy/schemas/{schema_path.name}: every policy file needs one")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    # format_checker: a `"format": "regex"` entry must compile, so a broken pattern fails at load time
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        entry = _path(first.absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise PolicyError(f"{where}: {entry}: {first.message}{more}")


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@functools.cache
def digest() -> str:
    """A short fingerprint of every policy file's bytes (which policy text a label was decided by)."""
    h = hashlib.sha1()
    for name in names():
        h.update(name.encode() + b"\0" + (POLICY_DIR / f"{name}.yaml").read_bytes() + b"\0")
    return h.hexdigest()[:12]
