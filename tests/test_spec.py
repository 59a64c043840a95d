"""Spec validation: one error per mistake, naming the key."""

from __future__ import annotations

import pytest
import yaml

from ladder.errors import LadderError
from ladder.spec import load_spec

GOOD = {
    "name": "s",
    "data": "t.csv",
    "fit": {"runs": ["a", "b"], "bootstrap": 10},
    "targets": [{"name": "T", "params": 7e9, "tokens": 2e12}],
    "tasks": [{"name": "piqa", "chance": 0.5, "source": "piqa_val_rc_5shot"}],
}


def write(tmp_path, spec) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def test_good_spec_loads(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.fit_runs == ("a", "b")
    assert spec.options.bootstrap == 10 and spec.options.moving_average == 5
    assert spec.targets[0].params == 7_000_000_000
    assert spec.tasks[0].sources == {"piqa_val_rc_5shot": 1.0}
    assert spec.data == tmp_path / "t.csv"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("fit"), "missing key 'fit'"),
        (lambda s: s["fit"].update(window=3), "unknown key 'window'"),
        (lambda s: s["fit"].update(level=1.5), "'level': invalid value 1.5"),
        (lambda s: s["fit"].update(bootstrap="many"), "fit.bootstrap: expected a int"),
        (lambda s: s["fit"].update(runs=[]), "fit.runs must be a non-empty list"),
        (lambda s: s["targets"][0].pop("tokens"), "targets[0]: missing key 'tokens'"),
        (lambda s: s["targets"][0].update(params=-1), "targets[0].params"),
        (lambda s: s["tasks"][0].update(chance=1.0), "tasks[0].chance"),
        (lambda s: s["tasks"].append(dict(s["tasks"][0])), "task 'piqa' is defined twice"),
        (lambda s: s.update(colour="red"), "unknown key 'colour'"),
        (lambda s: s["fit"].update(runs=["a", "b", "a"]), "fit run 'a' is listed twice"),
    ],
)
def test_bad_spec_names_the_key(tmp_path, change, message):
    spec = yaml.safe_load(yaml.safe_dump(GOOD))
    change(spec)
    with pytest.raises(LadderError) as info:
        load_spec(write(tmp_path, spec))
    assert message in str(info.value)


def test_invalid_yaml_is_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("fit: [unclosed")
    with pytest.raises(LadderError, match="not valid YAML"):
        load_spec(path)
