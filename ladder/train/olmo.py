"""Train one run with OLMo-core: its Transformer, numpy token dataset, AdamW, its schedule
(cosine or WSD-S: ladder.runs.schedule), Trainer and checkpointer. Runs in the current process:
one CPU or GPU, or one rank of torchrun.

The rung's folder is laid out as ladder.runs.folder says. Re-running resumes from the latest
checkpoint that passes ladder.runs.checkpoint's checks (OLMo-core's load_strategy
"if_available", after ladder.train.resume sets aside the ones that fail) and skips a rung that
is DONE.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ladder.errors import LadderError
from ladder.runs.folder import (
    RungPlan,
    mark_done,
    rung_dir,
    single_process_checkpoints,
    write_rung,
)
from ladder.spec.train import TrainSpec

# OLMo-core's warnings that say nothing about a ladder's run, silenced before it is imported:
# its optional Transformer Engine kernels, and its Hugging Face export, which ladder never asks
# for ("No checkpoint found, skipping HF conversion" once per rung)
QUIET_LOGGERS = ("olmo_core.nn.attention.te_attn_api", "olmo_core.train.callbacks.hf_converter")
for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.ERROR)


def check_corpus(train: TrainSpec) -> None:
    """Raise LadderError unless every token file of the corpus (and the validation file)
    exists and is non-empty."""
    files = [("corpus", path) for path in train.corpus]
    if train.validation is not None:
        files.append(("validation", train.validation))
    for kind, path in files:
        if not path.is_file() or path.stat().st_size == 0:
            raise LadderError(
                f"{kind} file {path}: missing or empty; make one with `ladder prepare-data`"
            )


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def train_rung(
    train: TrainSpec,
    rung: RungPlan,
    size_config,
    on_step: Callable[[int, int], None] | None = None,
    observations: Path | None = None,
) -> Path:
    """Train (or resume) one rung to its last step; return its folder.

    size_config: the rung's OLMo-core TransformerConfig. on_step(step, steps) is called after
    every optimizer step (progress bars). observations: the table the in-loop evaluator
    appends to (needs train.eval).
    """
    import torch
    from olmo_core.data import NumpyDataLoaderConfig, NumpyFSLDatasetConfig
    from olmo_core.optim import AdamWConfig, OptimGroupOverride
    from olmo_core.train import Duration, TrainerConfig
    from olmo_core.train.callbacks import CheckpointerCallback
    from olmo_core.train.train_module import TransformerTrainModuleConfig
    from olmo_core.utils import seed_all

    from ladder.collect.callback import ObservationCallback, ProgressCallback
    from ladder.runs.schedule import scheduler
    from ladder.runs.tokenizer import token_config
    from ladder.train.resume import DigestCallback, set_aside_unloadable

    check_corpus(train)
    folder = rung_dir(train, rung.name)
    folder.mkdir(parents=True, exist_ok=True)
    write_rung(folder, rung)
    for note in set_aside_unloadable(folder):
        print(f"ladder train: warning: {note}", file=sys.stderr)
    device = _device()
    seed_all(train.seed)
    tokenizer = token_config(train.tokenizer)
    work_dir = train.output / ".work"
    dataset = NumpyFSLDatasetConfig(
        tokenizer=tokenizer,
        paths=[str(p) for p in train.corpus],
        sequence_length=rung.sequence_length,
        work_dir=str(work_dir),
    ).build()
    loader = NumpyDataLoaderConfig(
        global_batch_size=rung.tokens_per_step,
        seed=train.seed,
        work_dir=str(work_dir),
        num_workers=0,
    ).build(dataset)
    model = size_config.build(init_device="meta" if device == "cuda" else "cpu")
    ranks = int(os.environ.get("WORLD_SIZE", "1"))
    microbatch = train.microbatch or rung.batch_size // ranks
    module = TransformerTrainModuleConfig(
        rank_microbatch_size=microbatch * rung.sequence_length,
        max_sequence_length=rung.sequence_length,
        optim=AdamWConfig(
            lr=rung.learning_rate,
            betas=(0.9, 0.95),
            weight_decay=train.weight_decay,
            group_overrides=[
                OptimGroupOverride(params=["embeddings.weight"], opts=dict(weight_decay=0.0))
            ],
        ),
        scheduler=scheduler(rung),
        max_grad_norm=1.0,
        z_loss_multiplier=train.z_loss or None,
        dp_config=_data_parallel(ranks),
    ).build(model, device=torch.device(device))
    callbacks = {
        "checkpointer": CheckpointerCallback(
            save_interval=train.checkpoint_interval,
            fixed_steps=list(rung.fixed_steps) or None,  # before and at each WSD-S decay's end
            max_checkpoints=None,
            save_async=False,
        ),
        "digests": DigestCallback(),
        "progress": ProgressCallback(on_step=on_step),
    }
    if train.eval is not None and observations is not None:
        callbacks["observations"] = ObservationCallback(
            eval_spec=train.eval,
            tokenizer=train.tokenizer,
            rung=rung,
            table=observations,
            validation=train.validation,
        )
    trainer = TrainerConfig(
        save_folder=str(folder),
        work_dir=str(work_dir),
        max_duration=Duration.steps(rung.steps),
        save_overwrite=True,
        metrics_collect_interval=10,
        cancel_check_interval=10,
        callbacks=callbacks,
    ).build(module, loader)
    with single_process_checkpoints():
        trainer.fit()
    if trainer.global_step < rung.steps:
        raise LadderError(f"rung {rung.name}: stopped at step {trainer.global_step}")
    mark_done(folder, rung.steps)
    return folder


def _data_parallel(ranks: int):
    """FSDP across ranks when there are several (torchrun, Slurm), none on one device."""
    if ranks <= 1:
        return None
    from olmo_core.distributed.parallel import DataParallelType
    from olmo_core.train.train_module import TransformerDataParallelConfig

    return TransformerDataParallelConfig(name=DataParallelType.fsdp)
