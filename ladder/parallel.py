"""Independent jobs over the machine's cores: the tasks of a paper fit, the candidates of a
rollout backtest, the methods of a final fit, the ladders of a benchmark. Results never depend
on the number of workers; jobs started inside a worker run there, one after another (the cores
are already busy)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any


def map_processes(
    func: Callable[..., Any],
    jobs: Sequence[tuple],
    workers: int | None = None,
    progress: Callable[[int], Any] | None = None,
) -> list[Any]:
    """func(*job) for every job, in the jobs' order, in `workers` processes (default: one per
    core, at most one per job; 1, or any call from inside a worker, runs them here);
    progress(1) after each job."""
    workers = min(len(jobs), os.cpu_count() or 1) if workers is None else workers
    if multiprocessing.parent_process() is not None:
        workers = 1
    if workers <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(func(*job))
            if progress is not None:
                progress(1)
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(func, *job) for job in jobs]
        for _ in as_completed(futures):
            if progress is not None:
                progress(1)
        return [future.result() for future in futures]
