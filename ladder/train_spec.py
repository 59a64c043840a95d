"""The `train` section of a ladder spec: which rungs to train, how, and with what data.

Pure configuration (no torch): sizes and token multipliers, the sequence length and tokenizer,
the batch/LR rules' knobs, the corpus (token files), the output folder, checkpointing, the
in-loop evaluation and the launcher settings. Relative paths are relative to the spec file.
Validated by ladder.config like the rest of the spec.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from ladder.config import Bool, Config, Float, Int, PositiveFloat, PositiveInt, SafeName
from ladder.sizes import BATCH_MULTIPLE, OLMO_CORE_FACTORIES, PEAK_FLOPS

if TYPE_CHECKING:
    from olmo_core.nn.transformer import TransformerConfig

LAUNCHERS = ("local", "torchrun", "slurm")
SCHEDULES = ("cosine", "wsds")
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

    name: SafeName
    d_model: PositiveInt | None = None
    n_layers: PositiveInt | None = None
    n_heads: PositiveInt | None = None

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

    name: str = "gpt_neox_olmo_dolma_v1_5"
    file: Path | None = None

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

    tasks: tuple[str, ...] = Field(min_length=1)
    interval: PositiveInt = 1000
    limit: PositiveInt | None = None
    batch_size: PositiveInt = 32


class WSDSSpec(Config):
    """The WSD-S schedule's knobs (`schedule: wsds`; see ladder.schedule for the rules).

    decay_fraction: each decay's length as a fraction of its period, the steps since the
    previous decay bottom (since step 0 for the first): 0.2 puts 10% of the tokens of every
    point of a doubling ladder (0.5, 1, 2, 4, 8 x C) in its decay, 20% for the first point.
    lr_factor: the peak learning rate is this many times the cosine rule's (sizes.learning_rate
    with the spec's lr_divisor); 2 is OLMo-core's WSD-S ladder's choice.
    """

    decay_fraction: Annotated[Float, Field(gt=0.0, le=0.5)] = 0.2
    lr_factor: PositiveFloat = 2.0


class SlurmSpec(Config):
    """sbatch settings: partition, time limit, account, whether to ask for GPUs
    (gpus_per_node of them) and any extra #SBATCH lines (no control characters: each value
    becomes part of one line of the script)."""

    gpus: Bool = True
    partition: ScriptText | None = None
    time: ScriptText | None = None
    account: ScriptText | None = None
    extra: tuple[ScriptText, ...] = ()

    @field_validator("extra", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def _listed(value: Any) -> Any:
    """A single value as a one-item list (YAML `sizes: 190M`)."""
    single = isinstance(value, str | int | float) and not isinstance(value, bool)
    return [value] if single else value


class TrainSpec(Config):
    """How to train every rung (sizes x multipliers) of a ladder.

    batch_size: global batch in sequences (None: the paper's rule from N, rounded to a multiple
    of `batch_multiple`); microbatch: sequences per device per forward (None: the whole batch).
    warmup_tokens_per_param: linear warm-up over this many x N tokens; final_lr_fraction: the
    cosine decay's floor. schedule: `cosine` (the paper's: one run per size and multiplier) or
    `wsds` (one run per size whose decays end at every multiplier; knobs in `wsds`).
    checkpoint_interval is in steps. validation: a token file of held-out text whose language
    modelling loss the in-loop evaluator records as the task named after the file (its stem),
    in bits per byte. builtin_corpus: a built-in corpus (BUILTIN_CORPORA) that `ladder train`
    tokenizes into the one `corpus` file (and `validation`, from documents held out of the
    corpus) when one is missing, so a fresh clone trains without a separate prepare step.
    """

    sizes: Annotated[tuple[Size, ...], BeforeValidator(_listed), Field(min_length=1)]
    multipliers: Annotated[tuple[PositiveFloat, ...], BeforeValidator(_listed), Field(min_length=1)]
    corpus: Annotated[tuple[Path, ...], BeforeValidator(_listed), Field(min_length=1)]
    output: Path
    validation: Path | None = None
    builtin_corpus: Literal[tuple(BUILTIN_CORPORA)] | None = None  # type: ignore[valid-type]
    sequence_length: PositiveInt = 4096
    tokenizer: TokenizerSpec = Field(default_factory=TokenizerSpec)
    batch_size: PositiveInt | None = None
    batch_multiple: PositiveInt = BATCH_MULTIPLE
    microbatch: PositiveInt | None = None
    lr_divisor: PositiveFloat = 4.0
    warmup_tokens_per_param: Annotated[Float, Field(ge=0.0)] = 1.0
    final_lr_fraction: Annotated[Float, Field(ge=0.0, le=1.0)] = 0.1
    schedule: Literal[SCHEDULES] = "cosine"  # type: ignore[valid-type]
    wsds: WSDSSpec | None = None
    weight_decay: Annotated[Float, Field(ge=0.0)] = 0.1
    z_loss: Annotated[Float, Field(ge=0.0)] = 1e-5
    checkpoint_interval: PositiveInt = 1000
    eval: EvalSpec | None = None
    launcher: Literal[LAUNCHERS] = "local"  # type: ignore[valid-type]
    nodes: PositiveInt = 1
    gpus_per_node: PositiveInt = 1
    gpu: Literal[tuple(PEAK_FLOPS)] = "h100"  # type: ignore[valid-type]
    mfu: Annotated[Float, Field(gt=0.0, le=1.0)] = 0.4
    seed: Annotated[Int, Field(ge=0)] = 0
    slurm: SlurmSpec = Field(default_factory=SlurmSpec)

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
        if self.wsds is not None and self.schedule != "wsds":
            raise ValueError("wsds: set only with `schedule: wsds`")
        if self.validation is not None and self.validation in self.corpus:
            raise ValueError("validation: must not be one of the corpus files")
        return self

    @property
    def wsds_options(self) -> WSDSSpec:
        """The WSD-S knobs (their defaults when the spec gives none)."""
        return self.wsds or WSDSSpec()

    def rung_names(self) -> list[str]:
        """Every rung's name ("<size>-<k>xC"), sizes in the spec's order, then multipliers
        ascending: the cosine runs, or the WSD-S runs' decay bottoms."""
        from ladder.rungs import rung_name

        return [rung_name(s.name, m) for s in self.sizes for m in sorted(self.multipliers)]

    def run_names(self) -> list[str]:
        """The runs that train: every rung (cosine), or one "<size>-wsds" run per size."""
        from ladder.rungs import wsds_run_name

        if self.schedule == "wsds":
            return [wsds_run_name(size.name) for size in self.sizes]
        return self.rung_names()

    def step2_runs_of(self, fit_runs: tuple[str, ...]) -> tuple[str, ...]:
        """Step 2's default runs for these fit runs: the fit runs themselves (cosine), or the
        WSD-S runs of their sizes, whose every checkpoint is a point of step 2 (wsds)."""
        from ladder.rungs import parse_rung, wsds_run_name

        if self.schedule != "wsds":
            return fit_runs
        sizes = {parsed[0] for run in fit_runs if (parsed := parse_rung(run))}
        return tuple(wsds_run_name(s.name) for s in self.sizes if s.name in sizes)

    def size(self, name: str) -> Size:
        """The size called `name`."""
        return next(size for size in self.sizes if size.name == name)
