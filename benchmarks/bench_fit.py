"""Time the full default fit: 8 tasks, 2 targets, 1,000 bootstrap resamples (run by hand).

    python benchmarks/bench_fit.py [--repeats 3]

Prints the wall time of `fit_ladder` on the bundled ladder (reading the table excluded), with
one process per core and with one process, and the peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

from ladder import observations
from ladder.pipeline import fit_ladder
from ladder.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    spec = load_spec(ROOT / "configs" / "olmo-paper.yaml")
    table = observations.read(spec.data)
    print(
        f"cores: {os.cpu_count()}, tasks: {len(spec.tasks)}, targets: {len(spec.targets)}, "
        f"resamples: {spec.fit.bootstrap}"
    )
    for workers in (None, 1):
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            fit_ladder(table, spec, workers=workers)
            times.append(time.perf_counter() - start)
        label = "one process per core" if workers is None else "one process"
        print(
            f"{label:>22}: median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f}, {args.repeats} runs)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the main process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
