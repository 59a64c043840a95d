"""The `train` section of a ladder spec: which rungs to train, how, and with what data.

Pure configuration (no torch): sizes and token multipliers, the sequence length and tokenizer,
the batch/LR rules' knobs, the corpus (token files), the output folder, checkpointing, the
in-loop evaluation and the launcher settings. Paths are relative to the spec file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ladder.errors import LadderError
from ladder.keys import check_keys, require
from ladder.sizes import BATCH_MULTIPLE, Size

LAUNCHERS = ("local", "torchrun", "slurm")


@dataclass(frozen=True)
class TokenizerSpec:
    """Token ids of a tokenizer and, for evaluation, its JSON file (None: the bundled one)."""

    name: str = "gpt_neox_olmo_dolma_v1_5"
    file: Path | None = None


@dataclass(frozen=True)
class EvalSpec:
    """In-loop evaluation: olmo_eval task names, every `interval` steps (and at the end);
    `limit` caps the documents per task (None: all); `batch_size` is in requests."""

    tasks: tuple[str, ...]
    interval: int = 1000
    limit: int | None = None
    batch_size: int = 32


@dataclass(frozen=True)
class SlurmSpec:
    """sbatch settings: partition, time limit, account, whether to ask for GPUs
    (gpus_per_node of them) and any extra #SBATCH lines."""

    gpus: bool = True
    partition: str | None = None
    time: str | None = None
    account: str | None = None
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainSpec:
    """How to train every rung (sizes x multipliers) of a ladder.

    batch_size: global batch in sequences (None: the paper's rule from N, rounded to a multiple
    of `batch_multiple`); microbatch: sequences per device per forward (None: the whole batch).
    warmup_tokens_per_param: linear warm-up over this many x N tokens; final_lr_fraction: the
    cosine decay's floor. checkpoint_interval is in steps. builtin_corpus: a built-in corpus
    (see ladder.train.data.BUILTIN) that `ladder train` tokenizes into the one `corpus` file
    when that file is missing, so a fresh clone trains without a separate prepare step.
    """

    sizes: tuple[Size, ...]
    multipliers: tuple[float, ...]
    corpus: tuple[Path, ...]
    output: Path
    builtin_corpus: str | None = None
    sequence_length: int = 4096
    tokenizer: TokenizerSpec = field(default_factory=TokenizerSpec)
    batch_size: int | None = None
    batch_multiple: int = BATCH_MULTIPLE
    microbatch: int | None = None
    lr_divisor: float = 4.0
    warmup_tokens_per_param: float = 1.0
    final_lr_fraction: float = 0.1
    weight_decay: float = 0.1
    z_loss: float = 1e-5
    checkpoint_interval: int = 1000
    eval: EvalSpec | None = None
    launcher: str = "local"
    nodes: int = 1
    gpus_per_node: int = 1
    gpu: str = "h100"
    mfu: float = 0.4
    seed: int = 0
    slurm: SlurmSpec = field(default_factory=SlurmSpec)


def _number(raw: dict, key: str, where: str, kind: type, default: Any, low: float = 0) -> Any:
    value = raw.get(key, default)
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise LadderError(f"{where}.{key}: expected a number, got {value!r}") from None
    if number <= low:
        raise LadderError(f"{where}.{key}: must be > {low}, got {value!r}")
    return number


def _size(raw: Any, where: str) -> Size:
    if isinstance(raw, str | int):
        return Size(str(raw))
    raw = check_keys(raw, {"name", "d_model", "n_layers", "n_heads"}, where)
    return Size(
        str(require(raw, "name", where)),
        *(_number(raw, k, where, int, None) for k in ("d_model", "n_layers", "n_heads")),
    )


def _list(raw: dict, key: str, where: str) -> list:
    value = raw.get(key)
    if isinstance(value, str | int | float):
        value = [value]
    if not isinstance(value, list) or not value:
        raise LadderError(f"{where}.{key}: a non-empty list is required")
    return value


def _path(value: Any, base: Path) -> Path:
    path = Path(str(value))
    return path if path.is_absolute() else Path(os.path.normpath(base / path))


def parse_train(raw: Any, base: Path, where: str = "train") -> TrainSpec:
    """Validate the spec's `train` mapping; `base` is the spec file's folder."""
    simple = {
        "sequence_length": int,
        "batch_size": int,
        "batch_multiple": int,
        "microbatch": int,
        "lr_divisor": float,
        "warmup_tokens_per_param": float,
        "final_lr_fraction": float,
        "weight_decay": float,
        "checkpoint_interval": int,
        "nodes": int,
        "gpus_per_node": int,
        "mfu": float,
    }
    structured = {"sizes", "multipliers", "corpus", "builtin_corpus", "output", "tokenizer"}
    other = {"eval", "launcher", "gpu", "seed", "slurm", "z_loss"}
    raw = check_keys(raw, set(simple) | structured | other, where)
    sizes = tuple(_size(s, f"{where}.sizes[{i}]") for i, s in enumerate(_list(raw, "sizes", where)))
    names = [s.name for s in sizes]
    if len(set(names)) != len(names):
        raise LadderError(f"{where}.sizes: a size is listed twice")
    try:
        multipliers = tuple(float(m) for m in _list(raw, "multipliers", where))
    except (TypeError, ValueError):
        raise LadderError(f"{where}.multipliers: numbers like 0.5, 1, 2") from None
    if any(m <= 0 for m in multipliers) or len(set(multipliers)) != len(multipliers):
        raise LadderError(f"{where}.multipliers: must be positive and distinct")
    if "output" not in raw:
        raise LadderError(f"{where}: missing key 'output' (the folder for checkpoints)")
    values = {key: _number(raw, key, where, kind, None) for key, kind in simple.items()}
    values["z_loss"] = _number(raw, "z_loss", where, float, 1e-5, low=-1)
    values = {k: v for k, v in values.items() if v is not None}
    if not 0 <= values.get("final_lr_fraction", 0.1) <= 1:
        raise LadderError(f"{where}.final_lr_fraction: must be in [0, 1]")
    if values.get("mfu", 0.4) > 1:
        raise LadderError(f"{where}.mfu: must be in (0, 1]")
    launcher = str(raw.get("launcher", "local"))
    if launcher not in LAUNCHERS:
        raise LadderError(f"{where}.launcher: one of {', '.join(LAUNCHERS)}, got {launcher!r}")
    tokenizer = raw.get("tokenizer", {})
    if isinstance(tokenizer, str):
        tokenizer = {"name": tokenizer}
    tokenizer = check_keys(tokenizer, {"name", "file"}, f"{where}.tokenizer")
    corpus = tuple(_path(p, base) for p in _list(raw, "corpus", where))
    builtin = raw.get("builtin_corpus")
    if builtin is not None:
        from ladder.train.data import BUILTIN

        if builtin not in BUILTIN:
            raise LadderError(
                f"{where}.builtin_corpus: {builtin!r} is not built in; one of {', '.join(BUILTIN)}"
            )
        if len(corpus) != 1:
            raise LadderError(f"{where}.builtin_corpus: needs exactly one corpus file to write")
    return TrainSpec(
        sizes=sizes,
        multipliers=multipliers,
        corpus=corpus,
        output=_path(raw["output"], base),
        builtin_corpus=builtin,
        tokenizer=TokenizerSpec(
            name=str(tokenizer.get("name", TokenizerSpec.name)),
            file=_path(tokenizer["file"], base) if tokenizer.get("file") else None,
        ),
        eval=_eval(raw["eval"], f"{where}.eval") if raw.get("eval") else None,
        launcher=launcher,
        gpu=str(raw.get("gpu", "h100")),
        seed=int(raw.get("seed", 0)),
        slurm=_slurm(raw.get("slurm") or {}, f"{where}.slurm"),
        **values,
    )


def _eval(raw: Any, where: str) -> EvalSpec:
    raw = check_keys(raw, {"tasks", "interval", "limit", "batch_size"}, where)
    return EvalSpec(
        tasks=tuple(str(t) for t in _list(raw, "tasks", where)),
        interval=_number(raw, "interval", where, int, 1000),
        limit=_number(raw, "limit", where, int, None),
        batch_size=_number(raw, "batch_size", where, int, 32),
    )


def _slurm(raw: Any, where: str) -> SlurmSpec:
    raw = check_keys(raw, {"gpus", "partition", "time", "account", "extra"}, where)
    extra = raw.get("extra") or []
    if isinstance(extra, str):
        extra = [extra]
    return SlurmSpec(
        gpus=bool(raw.get("gpus", True)),
        partition=raw.get("partition"),
        time=None if raw.get("time") is None else str(raw["time"]),
        account=raw.get("account"),
        extra=tuple(str(line) for line in extra),
    )
