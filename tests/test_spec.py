"""Spec validation: one mechanism for YAML, flags and Python, one error per mistake naming the
key, numbers never coerced from booleans, names safe to use in paths and scripts."""

from __future__ import annotations

import copy
import re

import pytest
import yaml
from conftest import ROOT

from ladder.errors import LadderError
from ladder.spec.ladder import LadderSpec, load_spec, min_bootstrap, parse_target

GOOD = {
    "name": "s",
    "data": "t.csv",
    "fit": {"runs": ["a", "b"], "bootstrap": 200},
    "targets": [{"name": "T", "params": 7e9, "tokens": 2e12}],
    "tasks": [{"name": "piqa", "chance": 0.5, "source": "piqa_val_rc_5shot"}],
}
TRAIN = {"sizes": ["190M"], "multipliers": [1], "corpus": "c.npy", "output": "out"}


def write(tmp_path, spec) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def test_good_spec_loads(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.fit_runs == ("a", "b")
    assert spec.fit.bootstrap == 200 and spec.fit.moving_average == 5
    assert spec.targets[0].params == 7_000_000_000
    assert spec.tasks[0].sources == {"piqa_val_rc_5shot": 1.0}
    assert spec.data == tmp_path / "t.csv"


def test_numbers_written_as_strings_are_numbers(tmp_path):
    """PyYAML reads 6.9e9 (no decimal point) as a string."""
    spec = copy.deepcopy(GOOD)
    spec["targets"][0] |= {"params": "6.9e9", "tokens": "2e12"}
    assert load_spec(write(tmp_path, spec)).targets[0].params == 6_900_000_000


def test_fit_runs_default_to_the_rungs_the_spec_trains(tmp_path):
    spec = copy.deepcopy(GOOD) | {"train": TRAIN | {"multipliers": [2, 1]}}
    del spec["fit"]["runs"]
    loaded = load_spec(write(tmp_path, spec))
    assert loaded.fit_runs == ("190M-1xC", "190M-2xC")
    assert loaded.train.corpus == (tmp_path / "c.npy",)
    assert loaded.train.output == tmp_path / "out"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("fit"), "fit.runs: missing"),
        (lambda s: s["fit"].update(window=3), "unknown key 'fit.window' (allowed: anchor,"),
        (lambda s: s["fit"].update(level=1.5), "fit.level: Input should be less than 1"),
        (lambda s: s["fit"].update(bootstrap="many"), "fit.bootstrap: expected a whole number"),
        (lambda s: s["fit"].update(bootstrap=True), "fit.bootstrap: expected a whole number, got"),
        (lambda s: s["fit"].update(bootstrap=2.5), "fit.bootstrap: expected a whole number"),
        (lambda s: s["fit"].update(anchor=1), "fit.anchor: Input should be a valid boolean"),
        (lambda s: s["fit"].update(bootstrap=2), "bootstrap 2 is too few for a 95% interval"),
        (lambda s: s["fit"].update(bootstrap=10**6), "fit.bootstrap: Input should be less"),
        (lambda s: s["fit"].update(level=float("nan")), "fit.level: expected a finite number"),
        (lambda s: s["fit"].update(runs=[]), "fit.runs: an empty list"),
        (lambda s: s["fit"].update(runs=["a", "b", "a"]), "fit.runs: run 'a' is listed twice"),
        (lambda s: s["targets"][0].pop("tokens"), "targets[0].tokens: missing"),
        (lambda s: s["targets"][0].update(params=-1), "targets[0].params: Input should be greater"),
        (lambda s: s["targets"][0].update(params=1e30), "targets[0].params: 1e+30 is out of range"),
        (lambda s: s["targets"][0].update(name="a/b"), "targets[0].name: 'a/b' is not a safe name"),
        (lambda s: s["targets"].append(dict(s["targets"][0])), "target 'T' is defined twice"),
        (lambda s: s["tasks"][0].update(chance=1.0), "tasks[0].chance: Input should be less"),
        (lambda s: s["tasks"][0].update(source={"x": -1}), "tasks[0].source.x: Input should be"),
        (lambda s: s["tasks"].append(dict(s["tasks"][0])), "task 'piqa' is defined twice"),
        (lambda s: s.update(colour="red"), "unknown key 'colour'"),
        (lambda s: s.update(name="../../x"), "name: '../../x' is not a safe name"),
        (lambda s: s.update(train=TRAIN | {"sizes": ["../x"]}), "train.sizes[0].name: '../x'"),
        (lambda s: s.update(train=TRAIN | {"sizes": [{"name": "d8", "d_model": 8}]}), "give all"),
        (lambda s: s.update(train=TRAIN | {"launcher": "k8s"}), "train.launcher: Input should be"),
        (lambda s: s.update(train=TRAIN | {"foo": 1}), "unknown key 'train.foo'"),
        (
            lambda s: s.update(train=TRAIN | {"slurm": {"time": "1:00\nrm -rf ~"}}),
            "train.slurm.time: '1:00\\nrm -rf ~' has a control character",
        ),
    ],
)
def test_bad_spec_names_the_key(tmp_path, change, message):
    spec = copy.deepcopy(GOOD)
    change(spec)
    with pytest.raises(LadderError) as info:
        load_spec(write(tmp_path, spec))
    assert str(info.value).startswith(f"{tmp_path}/spec.yaml: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value).replace("\\n", "")


def test_overrides_are_validated_like_the_file(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.with_fit(bootstrap=0, level=0.9).fit.level == 0.9
    for changes, message in [
        ({"level": 1.5}, "fit.level"),
        ({"bootstrap": True}, "fit.bootstrap"),
        ({"bootstrap": 5}, "too few"),
    ]:
        with pytest.raises(LadderError, match=message):
            spec.with_fit(**changes)
    with pytest.raises(LadderError, match="unknown task 'arc'"):
        spec.with_tasks(["arc"])


def test_python_construction_is_validated_too():
    with pytest.raises(LadderError, match=r"fit\.runs: missing"):
        LadderSpec.parse({"name": "x"}, "notebook")
    with pytest.raises(LadderError, match="targets"):
        LadderSpec.parse({"name": "x", "fit": {"runs": ["a"]}, "targets": [{"name": "t"}]}, "x")


def test_minimum_resamples_leave_five_beyond_each_end():
    assert min_bootstrap(0.95) == 200 and min_bootstrap(0.9) == 100 and min_bootstrap(0.5) == 20


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7B=6.9e9", "expected NAME=N,D"),
        ("7B=x,2e12", "params: expected a whole number"),
        ("7B=0,2e12", "params: Input should be greater than 0"),
        ("7B=1e300,2e12", "out of range"),
        ("../7B=1e9,2e12", "not a safe name"),
    ],
)
def test_bad_target_text(text, message):
    with pytest.raises(LadderError, match=message):
        parse_target(text)


def test_target_text():
    target = parse_target("13B=1.32e10,5e12,peteish13")
    assert (target.params, target.tokens, target.run) == (13_200_000_000, 5 * 10**12, "peteish13")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"fit: [unclosed", "not valid YAML"),
        (b"a: &x [1, 2]\nb: *x\n", "aliases (*name) are not allowed"),
        (b"name: \xff\xfe", "not UTF-8 text"),
    ],
)
def test_unreadable_yaml_is_one_line(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(LadderError, match=re.escape(message)) as info:
        load_spec(path)
    assert "\n" not in str(info.value)


def test_an_alias_bomb_is_refused_without_expanding(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines))
    with pytest.raises(LadderError, match="aliases"):
        load_spec(path)


def test_docs_spec_reference_is_up_to_date():
    from ladder.spec.reference import reference

    written = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    assert written == reference(), "run: python -m ladder.spec.reference > docs/spec.md"
    assert "| `train.wsds.decay_fraction` | number (> 0.0, <= 0.5) | `0.2` |" in written


def test_tasks_are_named_in_any_case_or_by_display_name(paper_spec):
    """`--tasks MMLU,ARC-Challenge,Piqa` names the spec's mmlu, arc_challenge and piqa: for a
    fit, a plain table's tasks, and a saved fit's figures; a name matching none still fails."""
    from ladder import api
    from ladder.figures.plots import select_tasks

    asked, names = ["MMLU", "ARC-Challenge", "Piqa"], ["mmlu", "arc_challenge", "piqa"]
    assert [task.name for task in paper_spec.with_tasks(asked).tasks] == names
    assert api.figure_tasks(paper_spec, asked) == names
    assert api.figure_tasks(paper_spec, None) is None
    fit = api.load_fit(ROOT / "fits" / "olmo-paper.json")
    assert [task_fit.task.name for task_fit in select_tasks(fit, asked)] == names
    table, _ = api.table_spec(ROOT / paper_spec.data, ["190M-1xC"], tasks=["PIQA_val_rc_5shot"])
    assert [task.name for task in table.tasks] == ["piqa_val_rc_5shot"]
    with pytest.raises(LadderError, match="unknown task 'MMLU-Pro'"):
        paper_spec.with_tasks(["MMLU-Pro"])


def test_n_is_defined_in_the_same_words_everywhere():
    """README's Words, data/README.md, the spec reference and the fit document's units say
    what N counts as ladder.runs.sizes.N_MEANS does (line breaks aside)."""
    from ladder.fits.document import UNITS
    from ladder.runs.sizes import N_MEANS

    assert UNITS["N"] == N_MEANS
    for path in ("README.md", "data/README.md", "docs/spec.md"):
        assert N_MEANS in " ".join((ROOT / path).read_text().split()), path
    assert "**N, D, C**: non-embedding" not in (ROOT / "README.md").read_text()
