"""The `train` section of a ladder spec: which rungs to train, how, and with what data.

Pure configuration (no torch): sizes and token multipliers, the sequence length and tokenizer,
the batch/LR rules' knobs, the corpus (token files), the output folder, checkpointing, the
in-loop evaluation and the launcher settings. Relative paths are relative to the spec file.
Validated by ladder.spec.config like the rest of the spec.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from ladder.runs.schedule import SCHEDULES, Schedule
from ladder.runs.sizes import BATCH_MULTIPLE, OLMO_CORE_FACTORIES, PEAK_FLOPS
from ladder.spec.config import Bool, Config, Float, Int, PositiveFloat, PositiveInt, SafeName

if TYPE_CHECKING:
    from olmo_core.nn.transformer import TransformerConfig

LAUNCHERS = ("local", "torchrun", "slurm")
BUILTIN_CORPORA = {
    "python-docs": "the CPython documentation topics and standard-library docstrings"
}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def resolve_path(value: Path, info: ValidationInfo) -> Path:
    """A path relative to the spec file's folder (the validation context's `base`)."""
    base = (info.context or {}).get("base")
    if value.is_absolute() or base is None:
        return value
    return Path(os.path.normpath(Path(base) / value))


def _no_control(value: Any) -> Any:
    if isinstance(value, str) and CONTROL.search(value):
        raise ValueError(f"{value!r} has a control character (newline, tab, ...)")
    return value


ScriptText = Annotated[str, BeforeValidator(_no_control)]
"""Text that goes into a generated script: no newlines or other control characters."""


class Size(Config):
    """A rung size: a named OLMo-core OLMo-2 config, or a custom geometry in the same style."""

    name: SafeName = Field(
        description=(
            "An OLMo-core OLMo-2 size (`190M`, `1B`, ...) or a name of your own with the geometry"
            " below; part of run names and folders."
        ),
    )
    d_model: PositiveInt | None = Field(
        None, description="Hidden width of a custom size (unset for a named OLMo-core size)."
    )
    n_layers: PositiveInt | None = Field(None, description="Transformer blocks of a custom size.")
    n_heads: PositiveInt | None = Field(
        None, description="Attention heads of a custom size (must divide d_model)."
    )

    @model_validator(mode="before")
    @classmethod
    def _named(cls, raw: Any) -> Any:
        return {"name": raw} if isinstance(raw, str | int) and not isinstance(raw, bool) else raw

    @model_validator(mode="after")
    def _geometry(self) -> Size:
        custom = (self.d_model, self.n_layers, self.n_heads)
        if all(v is None for v in custom):
            if self.name not in OLMO_CORE_FACTORIES:
                raise ValueError(
                    f"unknown size {self.name!r}: use one of {', '.join(OLMO_CORE_FACTORIES)} "
                    "or give d_model, n_layers and n_heads"
                )
        elif any(v is None for v in custom):
            raise ValueError(f"size {self.name!r}: give all of d_model, n_layers and n_heads")
        elif self.d_model % self.n_heads:
            raise ValueError(
                f"size {self.name!r}: d_model {self.d_model} is not divisible by "
                f"n_heads {self.n_heads}"
            )
        return self

    def transformer_config(self, vocab_size: int) -> TransformerConfig:
        """The OLMo-core TransformerConfig of this size for a (padded) vocabulary."""
        from olmo_core.nn.transformer import TransformerBlockType, TransformerConfig

        if self.d_model is None:
            return getattr(TransformerConfig, OLMO_CORE_FACTORIES[self.name])(vocab_size)
        return TransformerConfig.llama_like(  # the OLMo-2 recipe of olmo2_1M ... olmo2_30M
            d_model=self.d_model,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            vocab_size=vocab_size,
            block_name=TransformerBlockType.reordered_norm,
            qk_norm=True,
            rope_theta=500_000,
            layer_norm_eps=1e-6,
        )


class TokenizerSpec(Config):
    """Token ids of a tokenizer (an OLMo-core TokenizerConfig name) and, for evaluation, its
    JSON file (None: the one bundled with ai2-olmo-eval)."""

    name: str = Field(
        "gpt_neox_olmo_dolma_v1_5",
        description="OLMo-core TokenizerConfig name (token ids, vocabulary size).",
    )
    file: Path | None = Field(
        None,
        description=(
            "The tokenizer's JSON file for evaluation (unset: the one bundled with ai2-olmo-eval)."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _named(cls, raw: Any) -> Any:
        return {"name": raw} if isinstance(raw, str) else raw

    @field_validator("file", mode="after")
    @classmethod
    def _relative(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else resolve_path(value, info)


class EvalSpec(Config):
    """In-loop evaluation: olmo_eval task names, every `interval` steps (and at the end);
    `limit` caps the documents per task (None: all); `batch_size` is in requests."""

    tasks: tuple[str, ...] = Field(
        min_length=1,
        description="olmo_eval task names (e.g. `arc_easy_rc_5shot`; `ladder collect --help`).",
    )
    interval: PositiveInt = Field(
        1000, description="Evaluate every this many steps (and at the last step), in steps."
    )
    limit: PositiveInt | None = Field(None, description="Documents per task (unset: all).")
    batch_size: PositiveInt = Field(
        32, description="Requests (document, answer choice) per forward pass."
    )


class WSDSSpec(Config):
    """The WSD-S schedule's knobs (`schedule: wsds`; see ladder.runs.schedule for the rules)."""

    decay_fraction: Annotated[Float, Field(gt=0.0, le=0.5)] = Field(
        0.2,
        description=(
            "Each decay's length as a fraction of the steps since the previous decay bottom "
            "(since step 0 for the first): 0.2 puts 10% of every point's tokens in its decay on a"
            " doubling ladder."
        ),
    )
    lr_factor: PositiveFloat = Field(
        2.0,
        description=(
            "The peak learning rate is this many times the cosine rule's (2: OLMo-core's WSD-S "
            "ladder)."
        ),
    )


class SlurmSpec(Config):
    """sbatch settings: partition, time limit, account, whether to ask for GPUs
    (gpus_per_node of them) and any extra #SBATCH lines (no control characters: each value
    becomes part of one line of the script)."""

    gpus: Bool = Field(
        True, description="Ask for `gpus_per_node` GPUs per node (`--gpus-per-node`)."
    )
    partition: ScriptText | None = Field(None, description="`--partition`.")
    time: ScriptText | None = Field(None, description="`--time` limit per job (e.g. `2-00:00:00`).")
    account: ScriptText | None = Field(None, description="`--account`.")
    extra: tuple[ScriptText, ...] = Field(
        (), description="Extra `#SBATCH` lines, verbatim (one line each, no control characters)."
    )

    @field_validator("extra", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def _listed(value: Any) -> Any:
    """A single value as a one-item list (YAML `sizes: 190M`)."""
    single = isinstance(value, str | int | float) and not isinstance(value, bool)
    return [value] if single else value


class TrainSpec(Config):
    """How to train every run of a ladder (sizes x multipliers); every key is described in
    docs/spec.md."""

    sizes: Annotated[tuple[Size, ...], BeforeValidator(_listed)] = Field(
        min_length=1, description="The model sizes, smallest first."
    )
    multipliers: Annotated[tuple[PositiveFloat, ...], BeforeValidator(_listed)] = Field(
        min_length=1,
        description=(
            "Token budgets in Chinchilla units: D = k x 20 N tokens for each k (the paper's 0.5, "
            "1, 2, 5, 10)."
        ),
    )
    corpus: Annotated[tuple[Path, ...], BeforeValidator(_listed)] = Field(
        min_length=1,
        description=(
            "Token files (`ladder prepare-data` output, numpy uint16/uint32 ids), relative to the"
            " spec."
        ),
    )
    output: Path = Field(
        description="Folder of the run folders (checkpoints, `rung.json`, `DONE`)."
    )
    validation: Path | None = Field(
        None,
        description=(
            "A token file of held-out text whose loss the in-loop evaluator records, in bits per "
            "byte, as the task named after the file (its stem)."
        ),
    )
    builtin_corpus: Literal[tuple(BUILTIN_CORPORA)] | None = Field(  # type: ignore[valid-type]
        None,
        description=(
            "A built-in corpus that `ladder train` tokenizes into `corpus` (and `validation`, "
            "from held-out documents) when the files are missing."
        ),
    )
    sequence_length: PositiveInt = Field(4096, description="Tokens per training sequence.")
    tokenizer: TokenizerSpec = Field(
        default_factory=TokenizerSpec,
        description="The tokenizer (a name alone is an OLMo-core tokenizer name).",
    )
    batch_size: PositiveInt | None = Field(
        None,
        description=(
            "Global batch in sequences (unset: the paper's rule from N, a multiple of "
            "`batch_multiple`)."
        ),
    )
    batch_multiple: PositiveInt = Field(
        BATCH_MULTIPLE,
        description="The paper's batch rule rounds to a multiple of this many sequences.",
    )
    microbatch: PositiveInt | None = Field(
        None,
        description="Sequences per device per forward pass (unset: the whole per-device batch).",
    )
    lr_divisor: PositiveFloat = Field(
        4.0, description="Peak LR = 0.0047 (N / 108M)^(-1/3) / lr_divisor (the paper's rule: 4)."
    )
    warmup_tokens_per_param: Annotated[Float, Field(ge=0.0)] = Field(
        1.0, description="Linear warm-up over this many x N tokens."
    )
    final_lr_fraction: Annotated[Float, Field(ge=0.0, le=1.0)] = Field(
        0.1, description="The cosine schedule's floor, as a fraction of the peak LR."
    )
    schedule: Literal[tuple(SCHEDULES)] = Field(  # type: ignore[valid-type]
        "cosine",
        description=(
            "`cosine` (the paper's: one run per size and multiplier) or `wsds` (one run per size "
            "whose decays end at every multiplier's D)."
        ),
    )
    wsds: WSDSSpec | None = Field(
        None, description="The WSD-S schedule's knobs (only with `schedule: wsds`)."
    )
    weight_decay: Annotated[Float, Field(ge=0.0)] = Field(
        0.1, description="AdamW weight decay (not on embeddings)."
    )
    z_loss: Annotated[Float, Field(ge=0.0)] = Field(1e-5, description="Z-loss multiplier (0: off).")
    checkpoint_interval: PositiveInt = Field(
        1000,
        description=(
            "Save a checkpoint every this many steps (and at the last; WSD-S runs also before and"
            " at each decay's bottom)."
        ),
    )
    eval: EvalSpec | None = Field(
        None,
        description="In-loop evaluation (unset: none; `ladder collect` scores checkpoints later).",
    )
    launcher: Literal[LAUNCHERS] = Field(  # type: ignore[valid-type]
        "local",
        description=(
            "`local` (this process), `torchrun` (one node, `gpus_per_node` ranks) or `slurm` (one"
            " sbatch job per run)."
        ),
    )
    nodes: PositiveInt = Field(1, description="Nodes per run (Slurm).")
    gpus_per_node: PositiveInt = Field(1, description="GPUs (ranks) per node.")
    gpu: Literal[tuple(PEAK_FLOPS)] = Field(  # type: ignore[valid-type]
        "h100",
        description="The GPU the cost estimate of `--dry-run` assumes (its peak bf16 FLOP/s).",
    )
    mfu: Annotated[Float, Field(gt=0.0, le=1.0)] = Field(
        0.4, description="Model FLOPs utilization the cost estimate assumes, in (0, 1]."
    )
    seed: Annotated[Int, Field(ge=0)] = Field(
        0, description="Seed of model initialization and data order."
    )
    slurm: SlurmSpec = Field(
        default_factory=SlurmSpec, description="sbatch settings (with `launcher: slurm`)."
    )

    @field_validator("corpus", mode="after")
    @classmethod
    def _corpus_paths(cls, value: tuple[Path, ...], info: ValidationInfo) -> tuple[Path, ...]:
        return tuple(resolve_path(path, info) for path in value)

    @field_validator("output", mode="after")
    @classmethod
    def _output_path(cls, value: Path, info: ValidationInfo) -> Path:
        return resolve_path(value, info)

    @field_validator("validation", mode="after")
    @classmethod
    def _validation_path(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else resolve_path(value, info)

    @model_validator(mode="after")
    def _consistent(self) -> TrainSpec:
        names = [size.name for size in self.sizes]
        if len(set(names)) != len(names):
            raise ValueError("sizes: a size is listed twice")
        if len(set(self.multipliers)) != len(self.multipliers):
            raise ValueError("multipliers: must be distinct")
        if self.builtin_corpus is not None and len(self.corpus) != 1:
            raise ValueError("builtin_corpus: needs exactly one corpus file to write")
        for name, schedule in SCHEDULES.items():
            key = schedule.knobs_key
            if key is not None and name != self.schedule and getattr(self, key) is not None:
                raise ValueError(f"{key}: set only with `schedule: {name}`")
        if self.validation is not None and self.validation in self.corpus:
            raise ValueError("validation: must not be one of the corpus files")
        return self

    @property
    def schedule_strategy(self) -> Schedule:
        """The strategy of `schedule` (ladder.runs.schedule)."""
        return SCHEDULES[self.schedule]()

    @property
    def wsds_options(self) -> WSDSSpec:
        """The WSD-S knobs (their defaults when the spec gives none)."""
        return self.wsds or WSDSSpec()

    def rung_names(self) -> list[str]:
        """Every rung's name ("<size>-<k>xC"), sizes in the spec's order, then multipliers
        ascending: the cosine runs, or the WSD-S runs' decay bottoms."""
        from ladder.runs.rungs import rung_name

        return [rung_name(s.name, m) for s in self.sizes for m in sorted(self.multipliers)]

    def run_names(self) -> list[str]:
        """The runs that train, as the schedule groups the rungs: every rung (cosine), or one
        "<size>-wsds" run per size."""
        return [
            run
            for size in self.sizes
            for run in self.schedule_strategy.runs(size.name, self.multipliers)
        ]

    def step2_runs_of(self, fit_runs: tuple[str, ...]) -> tuple[str, ...]:
        """Step 2's default runs for these fit runs: the fit runs themselves (cosine), or the
        WSD-S runs of their sizes, whose every checkpoint is a point of step 2 (wsds)."""
        return self.schedule_strategy.step2_runs(self, fit_runs)

    def size(self, name: str) -> Size:
        """The size called `name`."""
        return next(size for size in self.sizes if size.name == name)
