"""`ladder predict`, `ladder allocate` and `ladder compare`: use saved fits without refitting."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from ladder import api
from ladder.cli.common import add_output, add_verb, progress, split
from ladder.errors import LadderError


def register(sub: Any) -> None:
    predict = add_verb(
        sub,
        "predict",
        "predict any (N, D) from a saved fit",
        "Every task's prediction with its interval at the given model sizes and token counts "
        "(every N with every D), or at the given training compute C = 6 N D for models of a "
        "given number of tokens per parameter, from a fit written by `ladder fit -o` (the same "
        "laws, draws and calibration: nothing is refitted). The split of a budget that the fit "
        "predicts best: `ladder allocate`.",
        [
            "ladder fit -o fit.json",
            "ladder predict fit.json --params 7e9,13e9 --tokens 2e12,5e12",
            "ladder predict fit.json --compute 1e23,1e24 --tokens-per-param 100 -o grid.csv",
        ],
    )
    predict.add_argument("fit", metavar="FIT", help="a fit file written by `ladder fit`")
    predict.add_argument("--params", help="comma-separated N (parameters), e.g. 7e9,13e9")
    predict.add_argument("--tokens", help="comma-separated D (tokens), e.g. 2e12,5e12")
    predict.add_argument("--compute", help="comma-separated C (training FLOPs, 6 N D)")
    predict.add_argument(
        "--tokens-per-param", type=float, default=20.0, help="with --compute: D / N"
    )
    add_output(predict, "write the grid here (.csv or .json; accuracies as fractions)")
    predict.set_defaults(func=run_predict)

    allocate = add_verb(
        sub,
        "allocate",
        "the compute-optimal N and D for a training budget",
        "For each training compute C (FLOPs), the model size N and token count D = C / 6N that "
        "maximize each task's predicted accuracy (minimize a task loss) under a fit written by "
        "`ladder fit -o`: N*, D*, D*/N*, the prediction there with the fit's interval, and the "
        "range of N whose prediction at the same C lies within that interval (the sizes the "
        "fit cannot tell from N*). Needs a method with a law of (N, D): a law of C alone "
        "(method flops) or of ln N or ln C (the baselines) has no optimum.",
        [
            "ladder allocate fits/olmo-paper.json --compute 1e22,1e23",
            "ladder allocate fit.json --compute 1e24 -o allocation.json",
        ],
    )
    allocate.add_argument("fit", metavar="FIT", help="a fit file written by `ladder fit`")
    allocate.add_argument(
        "--compute",
        required=True,
        metavar="C",
        default=argparse.SUPPRESS,
        help="comma-separated budgets C (training FLOPs, 6 N D), e.g. 1e22,1e23",
    )
    add_output(allocate, "write the table here (.csv or .json; accuracies as fractions)")
    allocate.set_defaults(func=run_allocate)

    compare = add_verb(
        sub,
        "compare",
        "two ladders' laws and predictions side by side",
        "Compare two fits (fit files, or specs that are fitted first), e.g. two data mixes or "
        "architectures: for each task both have, at each target of the first, both predictions "
        "with their intervals, the difference (second - first) with its own interval (paired: "
        "the two bootstraps' draws, or the two ladders' rollout residuals on the same rungs; "
        "the intervals in quadrature otherwise), which ladder that interval favours, and on "
        "how many common rungs the second scores better. Overlapping intervals are not 'no "
        "difference': ladders built alike share error that cancels in the difference.",
        ["ladder compare mix-a.json mix-b.json", "ladder compare configs/a.yaml configs/b.yaml"],
    )
    compare.add_argument("first", metavar="A", help="a fit file (.json) or a spec (.yaml)")
    compare.add_argument("second", metavar="B", help="a fit file (.json) or a spec (.yaml)")
    add_output(compare, "write the comparison here (.csv or .json)")
    compare.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    compare.set_defaults(func=run_compare)


def _numbers(text: str | None, flag: str) -> list[float]:
    """A comma-separated list of positive finite numbers; LadderError naming the flag."""
    values = []
    for item in split(text, flag):
        try:
            value = float(item)
        except ValueError:
            value = float("nan")
        if not (math.isfinite(value) and value > 0):
            raise LadderError(f"{flag} {item!r}: expected a positive number")
        values.append(value)
    return values


def run_predict(args: argparse.Namespace) -> int:
    from ladder.fits.report import format_grid, labels_of, write_frame

    fit = api.load_fit(args.fit)
    params, tokens = api.grid(
        _numbers(args.params, "--params"),
        _numbers(args.tokens, "--tokens"),
        _numbers(args.compute, "--compute"),
        args.tokens_per_param,
    )
    frame = api.predict(fit, params, tokens)
    warnings = fit.far_warnings(params, tokens)
    print(format_grid(frame, fit.spec.fit.level, warnings, labels_of(fit)))
    if args.output:
        print(f"\nwrote {write_frame(frame, args.output)}")
    return 0


def run_allocate(args: argparse.Namespace) -> int:
    from ladder.fits.allocation import allocation_warnings, format_allocation
    from ladder.fits.report import write_frame

    fit = api.load_fit(args.fit)
    frame = api.allocate(fit, _numbers(args.compute, "--compute"))
    print(format_allocation(fit, frame, allocation_warnings(fit, frame)))
    if args.output:
        print(f"\nwrote {write_frame(frame, args.output)}")
    return 0


def _fit(path: str, args: argparse.Namespace):
    if path.endswith((".yaml", ".yml")):
        return api.fit(api.spec(path), progress=progress(args))
    return api.load_fit(path)


def run_compare(args: argparse.Namespace) -> int:
    from ladder.fits.report import format_comparison, labels_of, write_frame

    first, second = _fit(args.first, args), _fit(args.second, args)
    frame = api.compare(first, second)
    names = Path(args.first).stem, Path(args.second).stem
    print(format_comparison(frame, *names, labels_of(first)))
    if args.output:
        print(f"\nwrote {write_frame(frame, args.output)}")
    return 0
