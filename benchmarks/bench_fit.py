"""`ladder fit` against the paper's reference predict.py, side by side in one run (by hand).

    python benchmarks/bench_fit.py --reference PATH [--reference-python PYTHON] [--repeats 3]

Times, as whole commands (start-up and imports included), the full default `ladder fit` on the
bundled ladder (8 tasks, 2 targets, the default method with its rollout selection and
calibrated intervals) with a cold selection cache (the backtests run) and a warm one (they are
read back), the paper method with its 1,000-resample bootstrap, `ladder --help`, and the
reference's one-target fit without intervals (allenai/OLMo-ladder's src/scripts/predict.py for
13B-5T, the paper's chained_main command). The reference is read from PATH, a checkout of
allenai/OLMo-ladder (never copied into this repository), run with PYTHON, an environment with
its dependencies (numpy scipy pandas matplotlib seaborn scikit-learn prettytable); see
benchmarks/README.md. Prints the median of `--repeats` runs of each and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_ARGS = [
    "src/scripts/predict.py",
    "-k",
    "v2_main",
    "-c",
    "src/scripts/paper/configs/final.json",
    "--step2-config-path",
    "src/scripts/paper/configs/final.json",
    "-n",
    "13202396160",
    "-d",
    "5000088518656",
    "-t",
    "13B-5T",
    "--skip_perc",
    "0.1",
    "--moving_avg",
    "5",
]


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, help="a checkout of allenai/OLMo-ladder")
    parser.add_argument("--reference-python", default=sys.executable)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = {**os.environ, "XDG_DATA_HOME": f"{tmp}/data", "XDG_CACHE_HOME": f"{tmp}/warm"}
        ladder = [sys.executable, "-m", "ladder"]
        fit = [*ladder, "fit", "-q", "-o", f"{tmp}/fit.json"]
        subprocess.run(fit, env=base, cwd=ROOT, check=True, capture_output=True)  # fills warm
        runs = {
            "ladder --help": lambda i: timed([*ladder, "--help"], base, ROOT),
            "ladder fit (default, cold selection)": lambda i: timed(
                fit, {**base, "XDG_CACHE_HOME": f"{tmp}/cold{i}"}, ROOT
            ),
            "ladder fit (default, cached selection)": lambda i: timed(fit, base, ROOT),
            "ladder fit --method paper (1,000 resamples)": lambda i: timed(
                [*fit, "--method", "paper"], base, ROOT
            ),
        }
        if args.reference:
            env = {**os.environ, "PYTHONPATH": str(args.reference / "src")}
            command = [args.reference_python, *REFERENCE_ARGS, "-o", f"{tmp}/reference.png"]
            runs["reference predict.py (13B-5T, no intervals)"] = lambda i: timed(
                command, env, args.reference
            )
        medians = {}
        for name, run in runs.items():
            times = [run(i) for i in range(args.repeats)]
            medians[name] = statistics.median(times)
            spread = ", ".join(f"{t:.2f}" for t in times)
            print(f"{name:>46}: median {medians[name]:.2f} s ({spread})")
    reference = medians.get("reference predict.py (13B-5T, no intervals)")
    if reference:
        for name in [n for n in medians if n.startswith("ladder fit")]:
            print(f"{name:>46}: {medians[name] / reference:.2f} x the reference")


if __name__ == "__main__":
    main()
