"""`ladder collect`: score checkpoints on olmo_eval tasks and append observations."""

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


def register(sub: Any) -> None:
    col = add_verb(
        sub,
        "collect",
        "score checkpoints on olmo_eval tasks and append observations",
        "Score every OLMo-core checkpoint of the spec's rungs that has no rows yet (or one "
        "Hugging Face model folder with --hf) on ai2-olmo-eval's task suites, with the "
        "library's own requests and metrics: task_loss (bits per byte of the correct answer), "
        "ce_loss, acc, len_norm, soft and soft_log (the probability of the correct choice "
        "among the choices, and its log), and accuracy (len_norm for rc tasks but BoolQ). The "
        "output layer runs only where the metrics read (the answer tokens). Rows are "
        "appended atomically; running it twice adds nothing. With --launcher torchrun or "
        "slurm the checkpoints are split into shards (torchrun ranks on this node, or the "
        "tasks of a Slurm array job), each writing its own file in <table>.collect/ that is "
        "merged into the table when it ends; if a shard is killed, run the same command "
        "again (once the others have ended) to merge what it finished and score the rest.",
        [
            "ladder collect -c configs/tiny.yaml",
            "ladder collect -c ladder.yaml --launcher slurm --shards 64 --device cuda",
            "ladder collect --hf ~/models/x --run x --tokens 2e12 --tasks arc_easy_rc_5shot "
            "-o data/public.parquet",
        ],
    )
    add_config(col)
    add_eval_args(col, "the rungs'; 2048 with --hf")
    col.add_argument("--list-tasks", action="store_true", help="list the valid task names")
    col.add_argument(
        "--device", default="cpu", help="cpu or cuda (under torchrun: each rank's own GPU)"
    )
    col.add_argument(
        "--launcher",
        choices=api.COLLECT_LAUNCHERS,
        default="local",
        help="score in this process, in torchrun ranks, or in a Slurm array job (with the "
        "spec's train.slurm settings, one GPU per task when train.slurm.gpus)",
    )
    col.add_argument(
        "--shards",
        type=count,
        help="processes to split the checkpoints over (default: train.gpus_per_node under "
        f"torchrun, one per checkpoint up to {api.SLURM_SHARDS} with Slurm)",
    )
    col.add_argument("--hf", help="a local Hugging Face model folder to score instead")
    col.add_argument("--run", help="with --hf: its run name in the table")
    col.add_argument(
        "--params",
        type=count,
        help="with --hf: N (default: every parameter but the input embedding)",
    )
    col.add_argument("--tokens", type=count, help="with --hf: D, tokens it was trained on")
    col.add_argument("--step", type=int, default=0, help="with --hf: its step")
    col.add_argument(
        "--tokenizer",
        help="OLMo-core tokenizer name: its token ids, its JSON bundled unless "
        "--tokenizer-file (default: the spec's; with --hf, the folder's own tokenizer)",
    )
    col.add_argument(
        "--tokenizer-file",
        help="the named tokenizer's tokenizer.json; with --hf and no --tokenizer, a "
        "Hugging Face tokenizer (folder or tokenizer.json) to encode with",
    )
    add_output(col, "the table to append to (default: the spec's data)", appends=True)
    add_quiet(col)
    col.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list_tasks:
        from ladder.collect.evaluate import task_names

        print("\n".join(task_names()))
        return 0
    spec = None if args.hf and not args.config else api.spec(args.config)
    result = api.collect(
        spec,
        eval_settings(args),
        output=args.output,
        hf=args.hf,
        run=args.run,
        params=args.params,
        tokens=args.tokens or 0,
        step=args.step,
        progress=progress(args),
        launcher=args.launcher,
        shards=args.shards,
        config=args.config or api.default_spec_path(),
    )
    if not result.checkpoints:
        print(f"{result.table}: nothing to collect (every checkpoint has its rows)")
    elif result.job is not None:
        print(
            f"submitted Slurm array job {result.job}: {result.checkpoints} checkpoint(s) in "
            f"{result.shards} shard(s); each merges its rows into {result.table} when it ends "
            f"({result.added} rows merged from earlier shards now)"
        )
    else:
        print(
            f"{result.table}: {result.added} rows added from {result.checkpoints} "
            f"checkpoint(s)" + (f" in {result.shards} shards" if result.shards > 1 else "")
        )
    return 0
