"""`ladder import lm-eval`: a real lm-evaluation-harness 0.4.13 output (tests/data/lm-eval, made
by generate.py there: a tiny random Llama on two local multiple-choice tasks, --log_samples)
becomes observation rows whose task loss is the bits per byte of the correct answer."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ladder.cli import main
from ladder.data import observations

SAMPLE = Path(__file__).parent / "data" / "lm-eval"
RESULTS = next(SAMPLE.glob("results_*.json"))
MODEL = "/tmp/lm-eval-sample/model"  # as lm-eval recorded it in model_args


def bpb_by_hand(samples: Path) -> float:
    """Mean over documents of -ln p(gold) / (ln 2 x bytes of the answer without its space)."""
    values = []
    for line in samples.read_text().splitlines():
        sample = json.loads(line)
        gold = int(sample["target"])
        loglik = float(sample["filtered_resps"][gold][0])
        answer = sample["arguments"][f"gen_args_{gold}"]["arg_1"]
        assert answer.startswith(" ")
        values.append(-loglik / math.log(2) / len(answer[1:].encode()))
    return float(np.mean(values))


def soft_by_hand(samples: Path) -> float:
    """Mean over documents of p(gold) / sum of p(choice), from the choices' log-likelihoods."""
    values = []
    for line in samples.read_text().splitlines():
        sample = json.loads(line)
        loglik = np.array([float(r[0]) for r in sample["filtered_resps"]])
        probability = np.exp(loglik - loglik.max())
        values.append(probability[int(sample["target"])] / probability.sum())
    return float(np.mean(values))


def copy_sample(tmp_path: Path) -> Path:
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    return folder / RESULTS.name


def import_args(results: Path, out: Path, *extra: str) -> list[str]:
    return ["import", "lm-eval", str(results), *extra, "-o", str(out)]


ONE_MODEL = ("--run", "tiny", "--params", "tiny=20640", "--tokens", "1e6", "--step", "7")


def test_real_sample_round_trips_with_bpb_and_reported_accuracy(tmp_path, capsys):
    out = tmp_path / "lm.parquet"
    assert main(import_args(RESULTS, out, *ONE_MODEL)) == 0
    assert "2 rows added from 1 runs, 2 tasks" in capsys.readouterr().out
    table = observations.read(out).set_index("task")
    results = json.loads(RESULTS.read_text())["results"]
    # tiny_qa reports acc_norm (4 of 6 right), tiny_yesno only acc (3 of 5)
    assert table.loc["tiny_qa", "accuracy"] == results["tiny_qa"]["acc_norm,none"] == 4 / 6
    assert table.loc["tiny_yesno", "accuracy"] == results["tiny_yesno"]["acc,none"] == 0.6
    assert table["accuracy_metric"].tolist() == ["acc_norm", "acc"]
    assert table["documents"].tolist() == [6, 5]
    for task in ("tiny_qa", "tiny_yesno"):
        samples = next(SAMPLE.glob(f"samples_{task}_*.jsonl"))
        assert table.loc[task, "task_loss"] == pytest.approx(bpb_by_hand(samples), rel=1e-12)
        assert table.loc[task, "soft"] == pytest.approx(soft_by_hand(samples), rel=1e-12)
        assert table.loc[task, "acc"] == results[task]["acc,none"]
    assert (table["soft_log"] <= np.log(table["soft"]) + 1e-12).all()  # Jensen: mean log <= log
    # a random model: ~11 nats over a few bytes per answer
    assert table["task_loss"].between(1.5, 5).all()
    assert (table[["params", "tokens", "step"]].iloc[0].tolist()) == [20640, 1_000_000, 7]
    csv = tmp_path / "lm.csv"
    assert main(["import", "csv", str(out), "-o", str(csv)]) == 0
    pd.testing.assert_frame_equal(observations.read(csv), observations.read(out))


def test_side_table_names_checkpoints_by_model_and_revision(tmp_path):
    side = tmp_path / "checkpoints.csv"
    side.write_text(
        f"model,revision,run,params,tokens,step\n{MODEL},step0,rand-3M,3240096,0,0\n"
        f"{MODEL},step9,rand-3M,3240096,900,9\n"
    )
    out = tmp_path / "lm.parquet"
    assert main(import_args(RESULTS, out, "--checkpoints", str(side), "--tasks", "tiny_qa")) == 0
    table = observations.read(out)
    assert table[["run", "params", "step", "task"]].values.tolist() == [
        ["rand-3M", 3240096, 0, "tiny_qa"]
    ]


def test_older_list_form_of_arguments_gives_the_same_loss(tmp_path):
    results = copy_sample(tmp_path)
    samples = next(results.parent.glob("samples_tiny_qa_*.jsonl"))
    lines = []
    for line in samples.read_text().splitlines():
        sample = json.loads(line)
        arguments = sample["arguments"]
        sample["arguments"] = [
            [arguments[f"gen_args_{i}"]["arg_0"], arguments[f"gen_args_{i}"]["arg_1"]]
            for i in range(len(arguments))
        ]
        sample["filtered_resps"] = [
            [float(ll), greedy == "True"] for ll, greedy in sample["filtered_resps"]
        ]
        lines.append(json.dumps(sample))
    samples.write_text("\n".join(lines) + "\n")
    out = tmp_path / "lm.parquet"
    assert main(import_args(results, out, *ONE_MODEL, "--tasks", "tiny_qa")) == 0
    loss = observations.read(out)["task_loss"].iloc[0]
    assert loss == pytest.approx(bpb_by_hand(next(SAMPLE.glob("samples_tiny_qa_*.jsonl"))))


def _drop_samples(results: Path) -> None:
    next(results.parent.glob("samples_tiny_yesno_*.jsonl")).unlink()


def _swap_samples(results: Path) -> None:
    qa = next(results.parent.glob("samples_tiny_qa_*.jsonl"))
    yesno = next(results.parent.glob("samples_tiny_yesno_*.jsonl"))
    qa.write_bytes(yesno.read_bytes())


def _generation_task(results: Path) -> None:
    samples = next(results.parent.glob("samples_tiny_yesno_*.jsonl"))
    sample = {"doc_id": 0, "target": "4", "arguments": {"gen_args_0": {"arg_0": "2+2="}}}
    samples.write_text(json.dumps({**sample, "filtered_resps": ["4"]}) + "\n")


def _wandb_csv(results: Path) -> None:
    results.write_text("_step,throughput/total_tokens\n1,100\n")


def _accuracy(value: str):
    """Damage: tiny_qa's acc_norm in the results is `value` (JSON text: null, NaN)."""

    def damage(results: Path) -> None:
        text = results.read_text()
        results.write_text(
            text.replace('"acc_norm,none": 0.6666666666666666', f'"acc_norm,none": {value}')
        )

    return damage


def _no_count(results: Path) -> None:
    """Damage: the results do not report the model's parameter count."""
    results.write_text(results.read_text().replace('"model_num_parameters": 3240096', '"x": 0'))


def test_one_model_without_params_takes_lm_evals_count(tmp_path):
    """lm-eval reports the model's parameters: --params is needed only where it does not."""
    out = tmp_path / "lm.parquet"
    args = ("--run", "tiny", "--tokens", "1e6")
    assert main(import_args(copy_sample(tmp_path), out, *args)) == 0
    assert observations.read(out)["params"].unique().tolist() == [3240096]


@pytest.mark.parametrize(
    ("damage", "extra", "message"),
    [
        (_drop_samples, ONE_MODEL, "rerun lm_eval with --log_samples"),
        (_swap_samples, ONE_MODEL, "does not belong to results_"),
        (_generation_task, ONE_MODEL, "not a log-likelihood (multiple-choice) task"),
        (_wandb_csv, ONE_MODEL, "not an lm-eval results JSON file"),
        (_accuracy("null"), ONE_MODEL, "task 'tiny_qa': acc_norm is None, not a fraction"),
        (_accuracy("NaN"), ONE_MODEL, "task 'tiny_qa': acc_norm is nan, not a fraction"),
        (None, (), "lm-eval results do not say N and D"),
        (_no_count, ("--run", "tiny", "--tokens", "1e9"), "no config.model_num_parameters"),
        (None, (*ONE_MODEL, "--tasks", "tiny_qb"), "no per-task accuracy for tiny_qb"),
    ],
)
def test_bad_input_is_an_error_and_leaves_the_table(tmp_path, capsys, damage, extra, message):
    results = copy_sample(tmp_path)
    if damage is not None:
        damage(results)
    out = tmp_path / "lm.parquet"
    before = pd.DataFrame(
        {
            "run": ["r"],
            "params": [2e8],
            "tokens": [4e9],
            "step": [1],
            "task": ["t"],
            "task_loss": [1.0],
        }
    )
    observations.write(before, out)
    assert main(import_args(results, out, *extra)) == 2
    assert message in capsys.readouterr().err
    assert observations.read(out)["run"].tolist() == ["r"]


def test_model_missing_from_side_table(tmp_path, capsys):
    side = tmp_path / "checkpoints.csv"
    side.write_text("model,run,params,tokens,step\nother/model,x,1,1,1\n")
    assert main(import_args(RESULTS, tmp_path / "o.parquet", "--checkpoints", str(side))) == 2
    assert f"model {MODEL!r} revision 'step0' is not in the side table" in capsys.readouterr().err
    assert not (tmp_path / "o.parquet").exists()
