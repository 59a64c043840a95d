"""The benchmark corpus: the public ladders converted into data/ (rows, units, licences), the
ladder specs of configs/corpus, and `ladder benchmark` (its split never reads a target)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from ladder import api
from ladder.analyses.benchmark import run_ladder, summarize, target_noise
from ladder.cli import main
from ladder.cli.data import IMPORT_KINDS
from ladder.data import observations, obsscaling, pythia
from ladder.data.importers import IMPORTERS
from ladder.errors import LadderError

DATA, SHARED = ROOT / "data", ROOT.parent / "shared" / "data"
CORPUS = ROOT / "configs" / "corpus"


def test_pythia_table_rows_units_and_facts():
    table = observations.read(DATA / "pythia.parquet")
    assert len(table) == 5480 and table["run"].nunique() == 18
    assert table["task"].nunique() == 16 and (table["step"] > 0).all()
    final = table[(table["run"] == "pythia-12b") & (table["step"] == 143_000)]
    assert (final["tokens"] == 143_000 * 2_097_152).all()
    assert (final["params"] == 11_327_027_200).all()  # non-embedding, the card's
    assert (final["params_total"] == 11_846_072_320).all()
    lambada = final.set_index("task").loc["lambada_openai_0shot"]
    assert lambada["loss_unit"] == "nats per word"
    assert lambada["task_loss"] == pytest.approx(math.log(3.923642), rel=1e-6)  # ln ppl
    assert table.loc[~table["task"].str.startswith("lambada"), "task_loss"].isna().all()
    # cosine to 10% of the peak (1.2e-4 for 12B) at the last step; warm-up over 1% of steps
    assert final["learning_rate"].iloc[0] == pytest.approx(1.2e-5)
    assert pythia.learning_rate("70m", np.array([715]))[0] == pytest.approx(5e-4)


def test_obsscaling_table_and_its_family_ladders():
    table = observations.read(DATA / "obsscaling.parquet")
    assert len(table) == 963 and table["run"].nunique() == 123
    assert table["task_loss"].isna().all() and (table["step"] == 0).all()
    llama = table[table["run"] == "meta-llama/Llama-2-70b-hf"].iloc[0]
    assert (llama["params"], llama["tokens"]) == (70_000_000_000, 2_000_000_000_000)
    specs = obsscaling.family_ladders(table)
    assert len(specs) == 21
    for spec in specs:  # the committed specs are what the rule writes
        path = CORPUS / "obsscaling" / f"{spec['name']}.yaml"
        written = yaml.safe_load(path.read_text())
        assert {k: written[k] for k in spec} == spec
        assert not {"gsm8k", "humaneval"} & {t["name"] for t in spec["tasks"]}


def test_licences_and_attribution_are_bundled():
    for name in ("pythia", "obsscaling", "olmo-ladder"):
        assert "Apache License" in (DATA / f"LICENSE-{name}").read_text()
    readme = (DATA / "README.md").read_text()
    assert "arXiv 2304.01373" in readme and "arXiv 2405.10938" in readme


@pytest.mark.parametrize("name", ["pythia", "obsscaling"])
def test_converters_reproduce_the_bundled_tables(name, tmp_path):
    source = SHARED / name
    if not source.is_dir():
        pytest.skip("the original results (../shared) are not beside this checkout")
    out = tmp_path / f"{name}.parquet"
    assert main(["import", name, str(source), "-o", str(out)]) == 0
    pd.testing.assert_frame_equal(
        observations.read(out), observations.read(DATA / f"{name}.parquet")
    )


def test_every_import_kind_is_offered():
    assert set(IMPORT_KINDS) == set(IMPORTERS)


def test_every_corpus_spec_loads_with_a_clean_split():
    paths = api.corpus_paths()
    assert len(paths) == 25
    for path in paths:
        spec = api.spec(path)
        fit = set(spec.fit_runs)
        assert not fit & {t.run for t in spec.targets}
        assert all(t.params > 0 for t in spec.targets)


def test_a_ladder_whose_target_is_a_fit_run_is_one_error_line(tmp_path, capsys):
    spec = yaml.safe_load((CORPUS / "obsscaling" / "obsscaling-llama.yaml").read_text())
    spec["data"] = str(DATA / "obsscaling.parquet")
    spec["fit"]["runs"].append(spec["targets"][0]["run"])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["benchmark", "--ladders", str(path), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a fit run (a target is predicted, never fitted)" in err[0]
    with pytest.raises(LadderError, match="ladder 'nope'"):
        api.corpus_paths(["nope"])


def test_the_benchmark_never_reads_a_target_row():
    """Changing every target row's scores changes the actuals only, never a prediction."""
    spec = api.spec(CORPUS / "obsscaling" / "obsscaling-opt.yaml")
    table = api.table(spec)
    first = run_ladder(spec, table, ["auto", "linear_c"]).rows
    targets = table["run"].isin([t.run for t in spec.targets])
    changed = table.assign(accuracy=np.where(targets, 0.9, table["accuracy"]))
    second = run_ladder(spec, changed, ["auto", "linear_c"]).rows
    columns = ["predicted", "lower", "upper"]
    pd.testing.assert_frame_equal(first[columns], second[columns])
    assert (second["actual"] == 0.9).all() and not (first["actual"] == 0.9).any()
    summary = summarize(first)
    assert set(summary["method"]) == {"auto", "linear_c"}
    assert summary.loc[summary["method"] == "linear_c", "vs_best_baseline"].iloc[0] == 1.0


def test_benchmark_from_the_command_line(tmp_path, capsys):
    """Two ObsScaling families: the default and the baselines, their numbers as in
    benchmarks/defaults.md (shipped column), the JSON and the figure written."""
    out = tmp_path / "bench.json"
    args = ["benchmark", "--ladders", "obsscaling-llama,obsscaling-qwen", "-q", "-o", str(out)]
    assert main([*args, "--output-dir", str(tmp_path / "fig"), "--formats", "png"]) == 0
    assert "Over the corpus" in capsys.readouterr().out
    summary = pd.DataFrame(json.loads(out.read_text())["summary"]).set_index(["ladder", "method"])
    errors = summary["mean_rel_error"]
    assert errors[("obsscaling-llama", "auto")] == pytest.approx(0.0083, abs=5e-4)
    assert errors[("obsscaling-qwen", "auto")] == pytest.approx(0.0459, abs=5e-4)
    assert errors[("obsscaling-qwen", "linear_c")] == pytest.approx(0.0767, abs=5e-4)
    assert (tmp_path / "fig" / "benchmark.png").stat().st_size > 10_000


def test_a_loss_within_the_targets_noise_is_told_from_one_beyond_it():
    """Two ladders of one accuracy-0.5 target on ARC-Challenge (1,172 questions: binomial SE
    1.46 points, 2.92% of 0.5): 'auto' 1% above 1.1x the baseline's error is within the
    noise, 7.5% above it is beyond."""
    rows = []
    for ladder, base, auto in (("near", 0.10, 0.12), ("far", 0.25, 0.35)):
        for method, err in (("linear_c", base), ("auto", auto)):
            rows.append(
                {
                    "ladder": ladder,
                    "method": method,
                    "actual": 0.5,
                    "rel_error": err,
                    "covered": True,
                    "width": 10.0,
                    "target_noise": target_noise(0.5, "ARC_Challenge", 0.0, "accuracy"),
                }
            )
    summary = summarize(pd.DataFrame(rows)).set_index(["ladder", "method"])
    assert summary.loc[("near", "auto"), "target_noise"] == pytest.approx(
        np.sqrt(0.25 / 1172) / 0.5
    )
    assert summary.loc[("near", "auto"), "vs_best_baseline"] == pytest.approx(1.2)
    assert not summary.loc[("near", "auto"), "beyond_noise"]
    assert summary.loc[("far", "auto"), "beyond_noise"]
    assert target_noise(0.5, "arc_challenge", 0.04, "accuracy") == 0.04  # checkpoints noisier
    assert target_noise(0.5, "mystery", 0.0, "accuracy") == 0.0


def test_a_chained_method_on_a_task_without_its_loss_says_what_to_do(capsys):
    """Pythia has a task loss for LAMBADA only: the paper method on its accuracy-only tasks
    is one line naming the remedies, not 'NaN or infinity' from the solver."""
    config = str(ROOT / "configs" / "corpus" / "pythia.yaml")
    assert main(["fit", "-c", config, "--method", "paper", "--tasks", "arc_easy", "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "task 'arc_easy', method 'paper': the table has no task_loss" in err[0]
    assert "--tasks" in err[0] and "direct" in err[0]
