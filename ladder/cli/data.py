"""`ladder import` and `ladder prepare-data`: observation tables and training tokens."""

from __future__ import annotations

import argparse
from typing import Any

from ladder import api
from ladder.cli.common import add_output, add_quiet, add_verb, count, pairs, progress, split
from ladder.errors import LadderError

IMPORT_KINDS = ["olmo-logs", "lm-eval", "csv", "pythia", "obsscaling"]  # data/importers.py


def register(sub: Any) -> None:
    imp = add_verb(
        sub,
        "import",
        "convert evaluation logs into an observation table",
        "Convert into observation rows and add them to the --output table (rows whose (run, "
        "step, task) the table already has are kept as they are; --replace replaces the "
        "table): olmo-logs, OLMo / OLMo-core in-loop evaluation logs exported from W&B as CSV "
        "(one file per run; the file name is the run name); lm-eval, lm-evaluation-harness "
        "results_<date>.json files written with --log_samples (the task loss, bits per byte of "
        "the correct answer, is computed from the samples_<task>_<date>.jsonl beside each; "
        "accuracy is acc_norm, else acc); csv, tables (CSV or Parquet) already in the "
        "observation columns (run, params, tokens, step, task, task_loss and/or accuracy); "
        "pythia and obsscaling, the public suites' results (one folder: Pythia's evaluations "
        "over its checkpoints, ObsScaling's base models; see data/README.md).",
        [
            "ladder import olmo-logs runs/*.csv --params 190M=190354176 "
            "--params 370M=371262464 -o data/mine.parquet",
            "ladder import lm-eval out/*/results_*.json --checkpoints pythia.csv "
            "-o data/mine.parquet",
            "ladder import pythia ../shared/data/pythia -o data/pythia.parquet --replace",
        ],
    )
    imp.add_argument("kind", choices=IMPORT_KINDS, help="the files' format")
    imp.add_argument("paths", nargs="+", help="log or results files")
    imp.add_argument(
        "--params",
        action="append",
        default=[],
        metavar="PREFIX=N",
        help="N (parameters) of the runs whose name starts with PREFIX (repeatable; "
        "lm-eval, one model: default the results' model_num_parameters, embeddings included)",
    )
    imp.add_argument(
        "--checkpoints",
        metavar="CSV",
        help="lm-eval: side table with columns model, revision, run, params, tokens, step; "
        "model and revision as in lm-eval's model_args pretrained=...,revision=...",
    )
    imp.add_argument("--run", help="lm-eval, one model: its run name")
    imp.add_argument("--tokens", type=count, help="lm-eval, one model: D, tokens seen")
    imp.add_argument("--step", type=int, default=0, help="lm-eval, one model: its step")
    imp.add_argument("--tasks", help="lm-eval: comma-separated tasks (default: all scored)")
    add_output(imp, "the table to add the rows to (.parquet or .csv)", required=True, appends=True)
    imp.add_argument(
        "--replace", action="store_true", help="replace the --output table instead of adding"
    )
    imp.add_argument(
        "--ladders",
        metavar="FOLDER",
        help="obsscaling: also write one ladder spec per model family that makes a ladder "
        "(fit the smaller models, predict the largest) into FOLDER",
    )
    imp.set_defaults(func=run_import)

    prep = add_verb(
        sub,
        "prepare-data",
        "tokenize text into an OLMo-core numpy token file",
        "Tokenize text files (one document each) or JSON Lines (one document per line, in "
        "--field) with an offline tokenizer into a flat token-id array, each document followed "
        "by EOS: the format of OLMo-core's numpy datasets (train.corpus).",
        ["ladder prepare-data --builtin python-docs -o data/corpora/python-docs.npy"],
    )
    prep.add_argument("inputs", nargs="*", help=".txt / .jsonl files")
    prep.add_argument("--builtin", help="a built-in corpus instead: python-docs (PSF licence)")
    add_output(prep, "the token file to write (.npy)", required=True)
    prep.add_argument("--field", default="text", help="JSON Lines field")
    prep.add_argument(
        "--tokenizer",
        default="gpt_neox_olmo_dolma_v1_5",
        help="OLMo-core tokenizer name (the default is bundled offline)",
    )
    prep.add_argument("--tokenizer-file", help="its tokenizer.json, if not bundled")
    add_quiet(prep)
    prep.set_defaults(func=run_prepare_data)


def run_import(args: argparse.Namespace) -> int:
    rows, added = api.import_observations(
        args.kind,
        args.paths,
        args.output,
        params=pairs(args.params, "--params", kind=int),
        checkpoints=args.checkpoints,
        run=args.run,
        tokens=args.tokens,
        step=args.step,
        tasks=split(args.tasks, "--tasks") or None,
        replace=args.replace,
    )
    kept = len(rows) - added
    note = f" ({kept} already in the table, kept as they were)" if kept else ""
    print(
        f"{args.output}: {added} rows {'written' if args.replace else 'added'}{note} "
        f"from {rows['run'].nunique()} runs, {rows['task'].nunique()} tasks"
    )
    if args.ladders:
        if args.kind != "obsscaling":
            raise LadderError("--ladders: only for the obsscaling kind")
        written = api.write_family_ladders(args.output, args.ladders)
        print(f"{args.ladders}: {len(written)} ladder specs written")
    return 0


def run_prepare_data(args: argparse.Namespace) -> int:
    tokens = api.prepare_data(
        args.output,
        inputs=args.inputs,
        builtin=args.builtin,
        field=args.field,
        tokenizer=args.tokenizer,
        tokenizer_file=args.tokenizer_file,
        progress=progress(args),
    )
    print(f"{args.output}: {tokens:,} tokens ({args.tokenizer})")
    return 0
