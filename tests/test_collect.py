"""The evaluator: olmo_eval's scoring of hand-built models (a perfect one, a uniform one),
answer-position scoring equal to full logits and to the library on several tasks, the
collector's agreement with the in-loop evaluator, idempotent appends, bad input, and sharded
collects (a real Slurm array job, a killed shard finished by a rerun under torchrun)."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import write_micro_spec

from ladder.cli import main
from ladder.collect.evaluate import Evaluator, build_requests, score_task, to_rows
from ladder.collect.logits import full_logits
from ladder.data import observations
from ladder.errors import LadderError
from ladder.runs.tokenizer import load_tokenizer
from ladder.spec.train import TokenizerSpec

TASK = "arc_easy_rc_0shot"
VOCAB = 50304


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(TokenizerSpec())


@pytest.fixture(scope="module")
def requests(tokenizer):
    return build_requests(TASK, tokenizer, context_length=256, limit=20)


def oracle(requests):
    """A model that, after any prefix of a correct answer's query, puts all its mass on that
    answer's next token (the requests come in length-sorted batches, so it recognizes them
    by their tokens)."""
    following = {}
    for sample in requests.samples:
        if sample["cont_id"] == sample["label_id"]:
            answer = sample["query"] + sample["continuation"][-1:]
            for offset, token in enumerate(sample["continuation"]):
                following[tuple(answer[: sample["ctx_len"] + offset])] = token

    def logits_at(ids: torch.Tensor, rows: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(len(rows), VOCAB)
        for n, (row, column) in enumerate(zip(rows.tolist(), columns.tolist(), strict=True)):
            token = following.get(tuple(ids[row, : column + 1].tolist()))
            if token is not None:
                logits[n, token] = 1e4
        return logits

    return logits_at


def test_perfect_model_has_zero_bpb_and_full_accuracy(requests):
    score = score_task(oracle(requests), requests, TASK)
    assert score.task_loss == pytest.approx(0.0, abs=1e-6)
    assert score.acc == 1.0 and score.accuracy == 1.0 and score.documents == 20
    # nearly all the choices' probability is on the correct one (not all: a wrong answer that
    # extends the correct one loses only its extra tokens' probability)
    assert 0.99 < score.soft <= 1.0 and -0.01 < score.soft_log <= 0.0


def test_uniform_model_bpb_is_tokens_times_log2_vocab_over_bytes(requests):
    score = score_task(full_logits(lambda ids: torch.zeros(*ids.shape, VOCAB)), requests, TASK)
    correct = [s for s in requests.samples if s["cont_id"] == s["label_id"]]
    theory = np.mean(
        [s["cont_len"] * math.log2(VOCAB) / s["cont_byte_len_no_leading_space"] for s in correct]
    )
    assert score.task_loss == pytest.approx(theory, rel=1e-5)
    # every answer equally likely per token: acc picks the fewest tokens, never above 1
    assert 0.0 <= score.acc <= 1.0


def test_collector_agrees_with_the_library_used_directly(tokenizer, requests):
    from olmo_eval import ICLMetric

    torch.manual_seed(0)
    head = torch.nn.Embedding(VOCAB, 16)
    out = torch.nn.Linear(16, VOCAB)

    def forward(ids):
        return out(head(ids))

    evaluator = Evaluator([TASK], tokenizer, context_length=256, limit=20, batch_size=7)
    (score,) = evaluator.score(full_logits(forward))
    metric = ICLMetric(metric_type="len_norm")
    with torch.no_grad():
        batch = requests.collate_fn(requests.samples)
        metric.update(batch, forward(batch["input_ids"]))
    direct = metric.compute()
    assert score.len_norm == pytest.approx(float(direct["len_norm_v1"]))
    assert score.task_loss == pytest.approx(float(direct["bpb_v1"]), rel=1e-5)
    rows = to_rows([score], run="r", params=10, tokens=100, step=1)
    assert rows["accuracy"].iloc[0] == score.len_norm  # rc task: length-normalized


EQUALITY_TASKS = [
    "arc_easy_rc_0shot",
    "hellaswag_rc_5shot",  # long, ragged answers
    "piqa_rc_0shot",
    "winogrande_rc_0shot",  # the choices change the context, not the answer
    "boolq_rc_0shot",
    "arc_easy_mc_5shot",
    "arc_easy_val_mc_5shot_fast",  # all choices scored at one position
]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """A random OLMo-core model of the tiny ladder's geometry and a random tiny Llama (Hugging
    Face), each as (logits at the answer positions, full forward)."""
    from ladder.collect.logits import hf_logits, olmo_core_logits
    from ladder.spec.train import Size

    torch.manual_seed(0)
    size = Size(name="d16", d_model=16, n_layers=2, n_heads=2)
    olmo = size.transformer_config(VOCAB).build(init_device="cpu").eval()
    llama = tiny_llama(tmp_path_factory.mktemp("llama"))
    return {
        "olmo-core": (olmo_core_logits(olmo), olmo),
        "hf": (hf_logits(llama), lambda ids: llama(input_ids=ids).logits),
    }


@pytest.mark.parametrize("task", EQUALITY_TASKS)
def test_answer_position_scoring_equals_full_logits_and_the_library(task, tokenizer, tiny_models):
    from ladder.collect.evaluate import loglikelihoods, reported_metric

    requests = build_requests(task, tokenizer, context_length=256, limit=6)
    for logits_at, forward in tiny_models.values():
        fast = score_task(logits_at, requests, task, batch_size=5)
        full = score_task(full_logits(forward), requests, task, batch_size=5)
        direct = {kind: direct_scores(forward, requests, kind) for kind in ("acc", "len_norm")}
        reported = direct[reported_metric(task)]
        expected = {
            "task_loss": direct["acc"]["bpb_v1"],
            "ce_loss": direct["acc"]["ce_loss_v1"],
            "soft": reported["soft_v1"],
            "soft_log": reported["soft_log_v1"],
        }
        for score in (fast, full):
            accuracies = (direct["acc"]["acc_v1"], direct["len_norm"]["len_norm_v1"])
            assert (score.acc, score.len_norm) == accuracies
            for key, value in expected.items():
                assert getattr(score, key) == pytest.approx(value, rel=1e-6), key
        assert fast.requests == len(requests.samples) and fast.documents == 6

        # per request, in the order of the samples although batched by length
        batch = requests.collate_fn(requests.samples)
        with torch.no_grad():
            logits = forward(batch["input_ids"])
        expected_ll = [
            -float(
                torch.nn.functional.cross_entropy(
                    logits[i, s["ctx_len"] - 1 : s["ctx_len"] - 1 + s["cont_len"]],
                    torch.tensor(s["continuation"]),
                    reduction="sum",
                )
            )
            for i, s in enumerate(requests.samples)
        ]
        assert loglikelihoods(logits_at, requests, batch_size=5) == pytest.approx(expected_ll)


def test_append_is_idempotent(tmp_path):
    rows = pd.DataFrame(
        {
            "run": "r",
            "params": 5,
            "tokens": [10, 20],
            "step": [1, 2],
            "task": "t",
            "task_loss": [1.0, 0.9],
            "accuracy": [0.3, 0.4],
        }
    )
    table = tmp_path / "t.parquet"
    assert observations.append(rows, table) == 2
    assert observations.append(rows, table) == 0
    changed = rows.assign(task_loss=[5.0, 5.0], step=[2, 3])
    assert observations.append(changed, table) == 1
    assert observations.read(table)["task_loss"].tolist() == [1.0, 0.9, 5.0]


def test_unknown_task_lists_valid_ones(capsys):
    assert main(["collect", "--tasks", "arc_eazy_rc_5shot", "-q"]) == 2
    err = capsys.readouterr().err
    assert "unknown task 'arc_eazy_rc_5shot'" in err and "arc_easy_rc_5shot" in err
    with pytest.raises(LadderError, match="unknown task"):
        Evaluator(["nope"], None, 128)


def test_hf_folder_that_does_not_load_is_an_error(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{not json")
    args = [
        "collect",
        "--hf",
        str(tmp_path),
        "--run",
        "x",
        "--tasks",
        TASK,
        "--tokenizer",
        "gpt_neox_olmo_dolma_v1_5",
        "-o",
        str(tmp_path / "o.parquet"),
        "-q",
    ]
    assert main(args) == 2
    assert "cannot load the model" in capsys.readouterr().err
    assert not (tmp_path / "o.parquet").exists()


def tiny_llama(folder, vocab: int = VOCAB, positions: int = 256):
    """A random 2-layer Llama saved as a local Hugging Face folder."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=positions,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    return model.eval()


def direct_scores(forward, requests, kind: str = "len_norm") -> dict[str, float]:
    """olmo_eval's ICLMetric on all the requests at once, on full logits: the library used
    directly."""
    from olmo_eval import ICLMetric

    metric = ICLMetric(metric_type=kind)
    with torch.no_grad():
        batch = requests.collate_fn(requests.samples)
        metric.update(batch, forward(batch["input_ids"]))
    return {key: float(value) for key, value in metric.compute().items()}


def test_hf_folder_is_scored_like_the_library_and_only_once(tmp_path, requests, capsys):
    model = tiny_llama(tmp_path / "hf")
    out = tmp_path / "public.parquet"
    args = ["collect", "--hf", str(tmp_path / "hf"), "--run", "llama-tiny", "--tokens", "2e6"]
    args += [
        "--tokenizer",
        "gpt_neox_olmo_dolma_v1_5",
        "--step",
        "9",
        "--tasks",
        TASK,
        "--limit",
        "20",
        "--context-length",
        "256",
    ]
    assert main([*args, "-o", str(out), "-q"]) == 0
    (row,) = observations.read(out).to_dict("records")
    direct = direct_scores(lambda ids: model(input_ids=ids).logits, requests)
    assert row["accuracy"] == pytest.approx(direct["len_norm_v1"])
    assert row["task_loss"] == pytest.approx(direct["bpb_v1"], rel=1e-5)
    embedding = model.get_input_embeddings().weight.numel()
    assert row["params"] == sum(p.numel() for p in model.parameters()) - embedding
    assert (row["run"], row["tokens"], row["step"], row["documents"]) == (
        "llama-tiny",
        2_000_000,
        9,
        20,
    )
    capsys.readouterr()
    assert main([*args, "-o", str(out), "-q"]) == 0
    assert "0 rows added" in capsys.readouterr().out
    assert len(observations.read(out)) == 1


def test_hf_folder_with_a_smaller_vocabulary_is_a_tokenizer_mismatch(tmp_path, capsys):
    tiny_llama(tmp_path / "hf", vocab=1000)
    args = ["collect", "--hf", str(tmp_path / "hf"), "--run", "x", "--tasks", TASK]
    args += ["--tokenizer", "gpt_neox_olmo_dolma_v1_5"]
    assert main([*args, "-o", str(tmp_path / "o.parquet"), "-q"]) == 2
    assert "tokenizer mismatch: the model has 1,000 token embeddings" in capsys.readouterr().err
    assert not (tmp_path / "o.parquet").exists()


def tiny_tokenizer(folder: Path) -> int:
    """A byte-level BPE tokenizer unlike OLMo's (512 ids, `<s>` prepended like Llama's), trained
    here and saved as a Hugging Face tokenizer in `folder`; its vocabulary size."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    base = Tokenizer(models.BPE())
    base.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    base.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=["<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    text = "Question: Which of these is a source of light? Answer: the Sun, a lamp or a candle."
    base.train_from_iterator([text] * 20, trainer)
    base.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", 0)]
    )
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=base, bos_token="<s>", eos_token="</s>")
    tokenizer.save_pretrained(folder)
    return len(tokenizer)


@pytest.fixture(scope="module")
def own_tokenizer_llama(tmp_path_factory) -> tuple[Path, object]:
    """A tiny random Llama saved with its own tokenizer (unlike OLMo's); (folder, model)."""
    folder = tmp_path_factory.mktemp("own") / "hf"
    model = tiny_llama(folder, vocab=tiny_tokenizer(folder), positions=4096)
    return folder, model


def collect_hf(folder: Path, table: Path, *extra: str) -> int:
    args = ["collect", "--hf", str(folder), "--run", "m", "--params", "1000", "--tokens", "1e6"]
    return main(
        [*args, "--tasks", "arc_easy_rc_5shot", "--limit", "4", "-o", str(table), "-q", *extra]
    )


def test_hf_folder_is_scored_with_its_own_tokenizer(own_tokenizer_llama, tmp_path):
    from ladder.runs.hf_tokenizer import load_own_tokenizer

    folder, model = own_tokenizer_llama
    assert collect_hf(folder, tmp_path / "own.parquet") == 0
    (row,) = observations.read(tmp_path / "own.parquet").to_dict("records")
    assert (row["run"], row["params"], row["documents"]) == ("m", 1000, 4)
    assert math.isfinite(row["task_loss"]) and row["task_loss"] > 0
    requests = build_requests("arc_easy_rc_5shot", load_own_tokenizer(folder), 2048, limit=4)
    assert {sample["query"][0] for sample in requests.samples} == {0}  # its own BOS
    direct = direct_scores(lambda ids: model(input_ids=ids).logits, requests)
    assert row["task_loss"] == pytest.approx(direct["bpb_v1"], rel=1e-5)
    assert row["accuracy"] == pytest.approx(direct["len_norm_v1"])


def test_tokenizer_file_is_the_folders_own_or_a_bare_tokenizer_json(own_tokenizer_llama, tmp_path):
    import shutil

    folder, _ = own_tokenizer_llama
    assert collect_hf(folder, tmp_path / "own.parquet") == 0
    bare = shutil.copy(folder / "tokenizer.json", tmp_path / "tokenizer.json")
    for file in (folder / "tokenizer.json", bare, folder):
        table = tmp_path / f"{len(str(file))}.parquet"
        assert collect_hf(folder, table, "--tokenizer-file", str(file)) == 0
        pd.testing.assert_frame_equal(
            observations.read(table), observations.read(tmp_path / "own.parquet")
        )


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--tokenizer", "smollm2"], "unknown tokenizer 'smollm2': one of dolma2, "),
        (["--tokenizer-file", "/nowhere/tokenizer.json"], "/nowhere/tokenizer.json: no such"),
        (["--tokenizer", "gpt2"], "tokenizer 'gpt2' is not bundled offline"),
    ],
)
def test_bad_tokenizer_options_are_one_line(own_tokenizer_llama, tmp_path, capsys, extra, message):
    assert collect_hf(own_tokenizer_llama[0], tmp_path / "o.parquet", *extra) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "internal error" not in err


def test_hf_folder_without_a_tokenizer_says_so(tmp_path, capsys):
    tiny_llama(tmp_path / "hf")
    assert collect_hf(tmp_path / "hf", tmp_path / "o.parquet") == 2
    assert "no tokenizer files" in capsys.readouterr().err


@pytest.fixture(scope="module")
def trained(tmp_path_factory, corpus) -> Path:
    """A one-rung micro ladder (13 checkpoints) trained once, with its in-loop rows in
    obs.parquet beside the spec; the spec's path (its Slurm settings ask for no GPU)."""
    config = write_micro_spec(
        tmp_path_factory.mktemp("micro"), corpus, slurm={"gpus": False, "time": "00:10:00"}
    )
    assert main(["train", "-c", str(config), "-q"]) == 0
    return config


def collect_args(config: Path, table: Path, *extra: str) -> list[str]:
    return ["collect", "-c", str(config), "-o", str(table), "-q", *extra]


@pytest.fixture(scope="module")
def one_process(trained, tmp_path_factory) -> pd.DataFrame:
    """The rows of a one-process `ladder collect` of the trained checkpoints."""
    table = tmp_path_factory.mktemp("one") / "one.parquet"
    assert main(collect_args(trained, table)) == 0
    return observations.read(table)


def test_collect_rescores_olmo_core_checkpoints_as_trained(trained, one_process, capsys):
    from ladder.collect.checkpoints import load_olmo
    from ladder.runs.folder import model_config
    from ladder.spec.ladder import load_spec
    from ladder.train.launch import ladder_plan

    in_loop = observations.read(trained.parent / "obs.parquet")
    collected = one_process
    assert collected["step"].tolist() == in_loop["step"].tolist()  # step0 (D = 0) is skipped
    assert collected["tokens"].tolist() == in_loop["tokens"].tolist()
    for column in ("accuracy", "acc", "len_norm"):
        assert collected[column].tolist() == in_loop[column].tolist()
    for column in ("task_loss", "ce_loss", "soft", "soft_log"):
        assert np.allclose(collected[column], in_loop[column], rtol=1e-5), column

    spec = load_spec(trained)
    (rung,) = ladder_plan(spec)
    size = model_config(spec.train, rung.size)
    final = trained.parent / "runs" / rung.name / f"step{rung.steps}"
    model = load_olmo(final, size)
    tokenizer = load_tokenizer(TokenizerSpec())
    direct = direct_scores(model, build_requests(TASK, tokenizer, context_length=64, limit=4))
    last = collected.iloc[-1]
    assert last["step"] == rung.steps
    assert last["accuracy"] == pytest.approx(direct["len_norm_v1"])
    assert last["task_loss"] == pytest.approx(direct["bpb_v1"], rel=1e-5)
    assert last["soft"] == pytest.approx(direct["soft_v1"], rel=1e-5)

    table = trained.parent / "again.parquet"
    observations.write(collected, table)
    for out in (table, trained.parent / "obs.parquet"):  # the in-loop table has every row too
        capsys.readouterr()
        assert main(collect_args(trained, out)) == 0
        assert "nothing to collect" in capsys.readouterr().out
    assert len(observations.read(table)) == len(collected)


def test_sharded_collect_on_a_real_slurm_equals_one_process(
    trained, one_process, slurm, tmp_path, capsys
):
    table = tmp_path / "it's a folder" / "sharded.parquet"  # quoted in the sbatch script
    assert main(collect_args(trained, table, "--launcher", "slurm", "--shards", "3")) == 0
    assert "submitted Slurm array job" in capsys.readouterr().out
    folder = table.parent / "sharded.parquet.collect"
    script = (folder / "job.sbatch").read_text()
    assert "#SBATCH --array=0-2\n" in script and "--gpus" not in script
    assert f"#SBATCH --output='{tmp_path}/it'\"'\"'s a folder/" in script
    deadline = time.time() + 300
    while subprocess.run(["squeue", "-h"], capture_output=True, text=True).stdout.strip():
        assert time.time() < deadline, "the array job did not end"
        time.sleep(1)
    logs = "".join(path.read_text() for path in folder.glob("slurm-*.out"))
    assert logs.count("rows merged into the table") == 3, logs[-3000:]
    pd.testing.assert_frame_equal(observations.read(table), one_process, rtol=1e-6)
    assert not list(folder.glob("shard-*.parquet"))  # merged and removed
    assert main(collect_args(trained, table, "--launcher", "slurm")) == 0
    assert "nothing to collect" in capsys.readouterr().out


def test_killed_shard_is_finished_by_running_the_same_command_again(
    trained, one_process, tmp_path, monkeypatch, capsys
):
    from ladder.collect import shards

    table = tmp_path / "t.parquet"
    killed = []

    def kill_shard_zero(plan: Path, count: int) -> None:
        """Shard 0 is killed after its first checkpoint; shard 1 never starts."""
        worker = [sys.executable, "-m", shards.WORKER, "--plan", str(plan), "--shard", "0"]
        process = subprocess.Popen(worker, stdout=subprocess.PIPE, text=True)
        for line in process.stdout:  # the first checkpoint's rows are in the shard file
            if "scored" in line:
                break
        process.kill()
        process.wait()
        killed.extend(plan.parent.glob("shard-*.parquet"))
        raise LadderError("torchrun exited with -9")

    args = collect_args(trained, table, "--launcher", "torchrun", "--shards", "2")
    with monkeypatch.context() as patch:
        patch.setattr(shards, "launch_torchrun", kill_shard_zero)
        assert main(args) == 2
    assert [path.name for path in killed] == ["shard-0.parquet"]  # its finished checkpoints
    assert not table.exists()

    capsys.readouterr()
    assert main(args) == 0  # merges shard 0's file, scores the rest in two torchrun ranks
    assert f"{len(one_process)} rows added" in capsys.readouterr().out
    pd.testing.assert_frame_equal(observations.read(table), one_process, rtol=1e-6)
    assert not list(table.with_name("t.parquet.collect").glob("shard-*.parquet"))
    assert main(args) == 0
    assert "nothing to collect" in capsys.readouterr().out


def test_sbatch_values_with_control_characters_are_refused(trained, tmp_path, capsys):
    table = tmp_path / "a\nb" / "t.parquet"
    assert main(collect_args(trained, table, "--launcher", "slurm")) == 2
    assert "control character" in capsys.readouterr().err


class _Payload:
    """Unpickling it would create the file it names: what a crafted checkpoint could run."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def _final_checkpoint(trained: Path, copy_to: Path) -> tuple[Path, object]:
    """A copy of the trained rung's last checkpoint in `copy_to` and the rung's model config."""
    import shutil

    from ladder.runs.folder import model_config
    from ladder.spec.ladder import load_spec
    from ladder.train.launch import ladder_plan

    spec = load_spec(trained)
    (rung,) = ladder_plan(spec)
    source = trained.parent / "runs" / rung.name / f"step{rung.steps}"
    assert (source / "ladder-sha256.json").is_file()  # written as training saved it
    copy = copy_to / source.name
    shutil.copytree(source, copy)
    return copy, model_config(spec.train, rung.size)


def _model_record(metadata):
    """The storage record of a model tensor in a checkpoint's metadata."""
    return next(
        info for index, info in metadata.storage_data.items() if index.fqn.startswith("model.")
    )


def test_crafted_checkpoint_metadata_is_refused_without_running_it(trained, tmp_path):
    import pickle

    from ladder.collect.checkpoints import load_olmo

    checkpoint, size = _final_checkpoint(trained, tmp_path)
    (checkpoint / "ladder-sha256.json").unlink()  # a checkpoint trained elsewhere: no digest
    marker = tmp_path / "ran"
    (checkpoint / "model_and_optim" / ".metadata").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(LadderError, match=r"\.metadata: unreadable \(refusing to load pathlib"):
        load_olmo(checkpoint, size)
    assert not marker.exists()


def test_crafted_tensor_record_is_refused_without_running_it(trained, tmp_path):
    import io
    import pickle

    from ladder.collect.checkpoints import load_olmo
    from ladder.runs.checkpoint import read_metadata

    checkpoint, size = _final_checkpoint(trained, tmp_path)
    (checkpoint / "ladder-sha256.json").unlink()
    folder = checkpoint / "model_and_optim"
    marker = tmp_path / "ran"
    crafted = io.BytesIO()
    torch.save(_Payload(marker), crafted)
    (folder / "crafted.distcp").write_bytes(crafted.getvalue())
    metadata = read_metadata(folder)
    info = _model_record(metadata)
    info.relative_path, info.offset, info.length = "crafted.distcp", 0, len(crafted.getvalue())
    (folder / ".metadata").write_bytes(pickle.dumps(metadata))
    with pytest.raises(LadderError, match=r"cannot load into the rung's model.*Weights only"):
        load_olmo(checkpoint, size)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncate", r"bytes, but a record ends at byte .* \(a truncated checkpoint\)"),
        ("flip", r"differs from when it was saved \(corrupted\)"),
        ("remove", r"is missing \(an incomplete checkpoint\)"),
    ],
)
def test_damaged_checkpoint_is_one_line_naming_it(trained, tmp_path, capsys, damage, message):
    from ladder.collect.checkpoints import load_olmo
    from ladder.runs.checkpoint import read_metadata

    checkpoint, size = _final_checkpoint(trained, tmp_path)
    info = _model_record(read_metadata(checkpoint / "model_and_optim"))
    data = checkpoint / "model_and_optim" / info.relative_path
    if damage == "truncate":
        (checkpoint / "ladder-sha256.json").unlink()  # caught without a digest too
        data.write_bytes(data.read_bytes()[: info.offset + info.length // 2])
    elif damage == "flip":  # a byte of a tensor's record: torch.load alone would not notice
        content = bytearray(data.read_bytes())
        content[info.offset + 64] ^= 0x01
        data.write_bytes(bytes(content))
    else:
        data.unlink()
    with pytest.raises(LadderError, match=message) as error:
        load_olmo(checkpoint, size)
    assert str(checkpoint) in str(error.value) and "\n" not in str(error.value)


def test_tokenizer_options_override_the_spec_tokenizer():
    from ladder.collect.settings import tokenizer_for

    default = TokenizerSpec()
    assert tokenizer_for(None, None, None) == default
    assert tokenizer_for(None, None, "t.json") == TokenizerSpec(name=default.name, file="t.json")
    assert tokenizer_for(None, "dolma2", None) == TokenizerSpec(name="dolma2")


def test_a_plan_round_trips_its_evaluation_settings(tmp_path):
    from ladder.collect.settings import EvalSettings
    from ladder.collect.shards import Plan, read_plan, write_plan

    settings = EvalSettings(tasks=[TASK], limit=3, context_length=64, tokenizer_file="/t.json")
    plan = Plan("c.yaml", str(tmp_path / "t.parquet"), settings, [[("r", 2)], [("r", 4)]])
    path = write_plan(plan)
    assert read_plan(path) == plan
    path.write_text('{"config": "c.yaml", "table": "t", "tasks": [], "shards": []}')
    with pytest.raises(LadderError, match="not a plan written by `ladder collect`"):
        read_plan(path)


@pytest.mark.parametrize("tied", [False, True])
def test_n_is_every_parameter_but_the_input_embedding(tied):
    """N of a Hugging Face model: untied, the output layer counts (the paper's all but the LM
    head, the same number); tied, Kaplan et al.'s non-embedding count."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from ladder.runs.sizes import params_of

    shape = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32}
    heads = {"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2}
    model = LlamaForCausalLM(LlamaConfig(**shape, **heads, tie_word_embeddings=tied))
    matrix = 64 * 16
    body = sum(p.numel() for p in model.model.layers.parameters()) + 16  # + the final norm
    assert params_of(model) == body + (0 if tied else matrix)
