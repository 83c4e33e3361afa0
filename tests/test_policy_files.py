"""The policy files: each one loads and matches its schema, and a bad edit fails naming file and entry."""

from __future__ import annotations

import pytest
import yaml

import policy


@pytest.mark.parametrize("name", policy.names())
def test_every_policy_file_loads_and_matches_its_schema(name: str) -> None:
    policy.load.cache_clear()
    assert policy.load(name) is not None


@pytest.mark.parametrize("name", policy.names())
def test_the_c_loader_reads_each_policy_file_as_the_python_safe_loader_does(name: str) -> None:
    text = (policy.POLICY_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    assert policy.SAFE_LOADER is yaml.CSafeLoader  # libyaml is there (PyYAML's wheels carry it)
    assert yaml.load(text, Loader=policy.SAFE_LOADER) == yaml.safe_load(text)


def test_every_policy_file_has_a_schema_and_every_schema_a_file() -> None:
    schemas = sorted(p.name.removesuffix(".schema.json") for p in (policy.POLICY_DIR / "schemas").glob("*.schema.json"))
    assert schemas == policy.names()


def test_a_bad_edit_names_the_file_and_the_entry() -> None:
    data = yaml.safe_load((policy.POLICY_DIR / "rules.yaml").read_text(encoding="utf-8"))
    data["rules"][2]["code"] = "not a code"
    with pytest.raises(policy.PolicyError) as err:
        policy.validate("rules", data)
    assert "policy/rules.yaml: rules[2].code:" in str(err.value)
    del data["version"]
    with pytest.raises(policy.PolicyError, match=r"policy/rules.yaml: \(top level\): 'version' is a required property"):
        policy.validate("rules", data)


def test_unsafe_yaml_is_refused(tmp_path, monkeypatch) -> None:
    # Only a safe loader reads policy: a Python object tag must not construct anything.
    (tmp_path / "schemas").mkdir()
    (tmp_path / "evil.yaml").write_text("x: !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    (tmp_path / "schemas" / "evil.schema.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(policy, "POLICY_DIR", tmp_path)
    monkeypatch.setattr(policy, "_SCHEMAS", tmp_path / "schemas")
    policy.load.cache_clear()
    try:
        with pytest.raises(policy.PolicyError, match="policy/evil.yaml: not valid YAML"):
            policy.load("evil")
    finally:
        policy.load.cache_clear()


def test_the_rule_set_version_comes_from_the_policy_file() -> None:
    from classify import RULE_VERSION

    assert RULE_VERSION == policy.load("rules")["version"]
