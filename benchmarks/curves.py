"""Pythia, a ladder whose runs share D (about 300B tokens each): the task-loss and accuracy
errors of the final-point laws against the whole-curve laws (run by hand; prints Markdown for
benchmarks/curves.md).

    python benchmarks/curves.py [--config configs/corpus/pythia.yaml] [--task lambada_openai]

Each method fits the ladder's fit runs (70M-1.4B) and predicts 2.8B, 6.9B and 12B; `auto` is
the default choice among the candidates (by rollouts on this one task), `auto+multipower`
adds multipower to its pool.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from ladder import api
from ladder.spec.presets import CANDIDATES

ROOT = Path(__file__).resolve().parents[1]
METHODS = {
    "paper": {"method": "paper"},
    "flops": {"method": "flops"},
    "lr": {"method": "lr"},
    "multipower": {"method": "multipower"},
    "auto": {"method": "auto"},
    "auto+multipower": {"method": "auto", "candidates": (*CANDIDATES, "multipower")},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "corpus" / "pythia.yaml"))
    parser.add_argument("--task", default="lambada_openai")
    args = parser.parse_args()
    spec = api.spec(args.config).with_tasks([args.task])
    table = api.table(spec)
    rows = []
    for name, changes in METHODS.items():
        started = time.perf_counter()
        fit = api.fit(spec.with_fit(**changes), table)
        seconds = time.perf_counter() - started
        frame = fit.table()
        frame = frame[frame["task"] == args.task]
        chosen = ", ".join(fit.selection.chosen) if fit.selection is not None else ""
        chosen = chosen or name
        for _, r in frame.iterrows():
            rows.append(
                {
                    "method": name,
                    "target": r["target"],
                    "task loss rel err %": 100 * r.get("step1_rel_error", float("nan")),
                    "accuracy rel err %": 100 * r["chained_rel_error"],
                    "fit s": seconds,
                    "chosen": chosen,
                }
            )
    out = pd.DataFrame(rows)
    targets = list(dict.fromkeys(out["target"]))
    header = [f"{t} loss" for t in targets] + [f"{t} acc" for t in targets] + ["fit s", "chosen"]
    print(f"{spec.name}, {args.task}: relative error (%) of the task loss and the accuracy\n")
    print("| method | " + " | ".join(header) + " |")
    print("|---" * (len(header) + 1) + "|")
    for name, group in out.groupby("method", sort=False):
        by = group.set_index("target")
        cells = [f"{by.loc[t, 'task loss rel err %']:.1f}" for t in targets]
        cells += [f"{by.loc[t, 'accuracy rel err %']:.1f}" for t in targets]
        cells += [f"{group['fit s'].iloc[0]:.1f}", group["chosen"].iloc[0]]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
