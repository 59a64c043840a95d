"""The tiny ladder both ways, cosine (configs/tiny.yaml) and WSD-S (configs/tiny-wsds.yaml),
each predicting a held-out larger rung trained with the cosine schedule (run by hand).

    flock /tmp/ladder-heavy.lock python benchmarks/bench_schedules.py [--work DIR] [--keep]

Trains everything from scratch into DIR (default /tmp/ladder-schedules; wiped first unless
--keep, which reuses what is there): the built-in corpus, the two ladders and the target
rung. Prints the wall time and FLOPs (6 N D) of each, every rung's final losses both ways
(a cosine rung beside the WSD-S decay bottom of the same N and D), and each ladder's
step-1 prediction of the target's validation loss and task losses (bits per byte) with
the relative error.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import pandas as pd

from ladder import api
from ladder.spec.ladder import LadderSpec, TargetSpec, load_spec
from ladder.train import data
from ladder.train.launch import ladder_plan

ROOT = Path(__file__).resolve().parents[1]
TARGET_SIZE, TARGET_MULTIPLIER = "d32", 0.01


def in_work_dir(spec: LadderSpec, work: Path, name: str) -> LadderSpec:
    """The spec with its corpus, runs and table in `work`."""
    corpora = work / "corpora"
    train = spec.train.replace(
        corpus=[corpora / "python-docs.npy"],
        validation=corpora / "python-docs-validation.npy",
        output=work / "runs" / name,
    )
    return spec.replace(train=train, data=work / f"{name}.parquet")


def target_spec(tiny: LadderSpec) -> LadderSpec:
    """The held-out rung: one size above the ladder, at its largest multiplier, cosine."""
    size = {"name": TARGET_SIZE, "d_model": 32, "n_layers": 2, "n_heads": 4}
    return tiny.replace(train=tiny.train.replace(sizes=[size], multipliers=[TARGET_MULTIPLIER]))


def markdown(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (floats to 4 decimals)."""
    cells = frame.map(lambda v: f"{v:.4f}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + " --- |" * frame.shape[1]]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells.to_numpy()])


def timed_train(spec: LadderSpec, config: Path) -> tuple[float, float]:
    """Train the spec's runs; (wall seconds, FLOPs)."""
    start = time.perf_counter()
    result = api.train(spec, config)
    return time.perf_counter() - start, sum(r.flops for r in result.plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/ladder-schedules"))
    parser.add_argument("--keep", action="store_true", help="reuse what DIR has")
    parser.add_argument(
        "--wsds-lr-factor", type=float, help="train the WSD-S ladder with this wsds.lr_factor"
    )
    args = parser.parse_args()
    if args.work.exists() and not args.keep:
        shutil.rmtree(args.work)
    configs = {name: ROOT / "configs" / f"{name}.yaml" for name in ("tiny", "tiny-wsds")}
    specs = {name: in_work_dir(load_spec(path), args.work, name) for name, path in configs.items()}
    if args.wsds_lr_factor is not None:
        name = f"tiny-wsds-lr{args.wsds_lr_factor:g}"
        configs[name] = configs.pop("tiny-wsds")
        wsds = load_spec(configs[name])
        options = {"decay_fraction": wsds.train.wsds_options.decay_fraction}
        wsds = wsds.replace(
            train=wsds.train.replace(wsds={**options, "lr_factor": args.wsds_lr_factor})
        )
        del specs["tiny-wsds"]
        specs[name] = in_work_dir(wsds, args.work, name)
    target = in_work_dir(target_spec(load_spec(configs["tiny"])), args.work, "target")

    start = time.perf_counter()
    if data.builtin_corpus_missing(target.train):
        data.build_builtin_corpus(target.train)
    print(f"tokenizing the built-in corpus: {time.perf_counter() - start:.0f} s")
    costs = {name: timed_train(spec, configs[name]) for name, spec in specs.items()}
    costs["target"] = timed_train(target, configs["tiny"])
    print("\n| runs | wall | FLOPs |\n| --- | --- | --- |")
    for name, (seconds, flops) in costs.items():
        print(f"| {name} | {seconds / 60:.1f} min | {flops:.3g} |")

    (rung,) = ladder_plan(target)
    actual = api.table(target)
    finals = {}
    predictions = []
    for name, spec in specs.items():
        rows = api.observations_for(spec)
        finals[name] = rows[rows["run"].isin(spec.fit_runs)].pivot_table(
            index="run", columns="task", values="task_loss", aggfunc="last"
        )
        goal = TargetSpec(name=rung.name, params=rung.params, tokens=rung.tokens, run=rung.name)
        fit = api.fit(spec.replace(targets=[goal]), pd.concat([rows, actual], ignore_index=True))
        for task, task_fit in fit.tasks.items():
            step1 = task_fit.predictions[rung.name].step1
            predictions.append(
                {
                    "ladder": name,
                    "task": task,
                    "predicted": step1.predicted,
                    "interval": f"[{step1.lower:.3f}, {step1.upper:.3f}]",
                    "actual": step1.actual,
                    "rel_error": f"{step1.rel_error:.1%}",
                }
            )
    print("\nfinal task loss (bits per byte) of each rung: cosine run | WSD-S decay bottom")
    both = pd.concat(finals, axis=1).swaplevel(axis=1).sort_index(axis=1)
    both.columns = [f"{task} {ladder}" for task, ladder in both.columns]
    print(markdown(both.reset_index()))
    print(f"\nstep-1 predictions of {rung.name} (N = {rung.params:,}, D = {rung.tokens:,})")
    print(markdown(pd.DataFrame(predictions)))


if __name__ == "__main__":
    main()
