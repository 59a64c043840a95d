"""Slurm batch scripts, their submission and torchrun commands, shared by `ladder train` and
`ladder collect`.

Every value written into a script is quoted with shlex.quote (sbatch reads the quotes of an
`#SBATCH` line as the shell does) and may hold no control character: a newline would end a
directive and start a command.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.errors import LadderError
from ladder.spec.train import CONTROL

if TYPE_CHECKING:
    from ladder.spec.train import SlurmSpec


def quote(value: object) -> str:
    """`value` as one shell word; LadderError if it has a control character."""
    text = str(value)
    if CONTROL.search(text):
        raise LadderError(f"{text!r}: a control character (newline, tab, ...) in a Slurm script")
    return shlex.quote(text)


def directive(option: str, value: object) -> str:
    """An `#SBATCH --option=value` line (a backslash is refused: sbatch would read it as an
    escape even between quotes)."""
    if "\\" in str(value):
        raise LadderError(f"{value!r}: a backslash cannot go into an #SBATCH line")
    return f"#SBATCH --{option}={quote(value)}"


def slurm_directives(slurm: SlurmSpec) -> list[str]:
    """The spec's partition, time limit, account and extra lines (each re-quoted word by
    word)."""
    lines = [
        directive(key, getattr(slurm, key))
        for key in ("partition", "time", "account")
        if getattr(slurm, key)
    ]
    for extra in slurm.extra:
        try:
            words = shlex.split(extra)
        except ValueError as exc:
            raise LadderError(f"train.slurm.extra {extra!r}: {exc}") from None
        lines.append("#SBATCH " + " ".join(quote(word) for word in words))
    return lines


def submit(script: Path) -> str:
    """sbatch the script; its job id."""
    try:
        result = subprocess.run(
            ["sbatch", "--parsable", str(script)], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise LadderError("sbatch not found: is this a Slurm login node?") from None
    if result.returncode:
        raise LadderError(f"sbatch {script}: {result.stderr.strip() or result.returncode}")
    return result.stdout.strip().split(";")[0]


def torchrun(gpus: int, nodes: int = 1, program: Sequence[str] = ("torchrun",)) -> list[str]:
    """torchrun (`program`) over `gpus` processes per node (rendezvous from Slurm's environment
    across nodes; the `$` words are for the shell of a Slurm script); the program to run
    follows."""
    command = [*program, f"--nproc-per-node={gpus}", f"--nnodes={nodes}"]
    if nodes > 1:
        return [
            *command,
            "--rdzv-backend=c10d",
            '--rdzv-endpoint="$MASTER_ADDR:29500"',
            '--rdzv-id="$SLURM_JOB_ID"',
        ]
    return [*command, "--standalone"]
