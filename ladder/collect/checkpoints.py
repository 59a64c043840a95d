"""Load checkpoints for evaluation: OLMo-core `stepN` checkpoints of a rung trained by
`ladder train`, and Hugging Face model folders (local; nothing is downloaded). What is scored
is a forward function: token ids (B, S) -> logits (B, S, V); an OLMo-core Transformer is one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.errors import LadderError
from ladder.train.olmo import RUNG_FILE, single_process_checkpoints
from ladder.train.plan import RungPlan

if TYPE_CHECKING:
    from ladder.collect.evaluate import Forward

STEP = re.compile(r"^step(\d+)$")


def olmo_checkpoints(folder: Path) -> list[tuple[int, Path]]:
    """The complete OLMo-core checkpoints in a rung folder, by step (OLMo-core writes a
    checkpoint's `.metadata.json` last)."""
    found = []
    for path in folder.iterdir() if folder.is_dir() else []:
        match = STEP.match(path.name)
        if match and (path / ".metadata.json").is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)


def read_rung(folder: Path) -> RungPlan:
    """The plan `ladder train` wrote beside a rung's checkpoints."""
    path = folder / RUNG_FILE
    if not path.is_file():
        raise LadderError(f"{folder}: no {RUNG_FILE}; was it trained by `ladder train`?")
    return RungPlan(**json.loads(path.read_text()))


def load_olmo(checkpoint: Path, model_config, device: str = "cpu") -> Forward:
    """An OLMo-core model of `model_config` with the weights of `checkpoint` (a stepN folder)."""
    from olmo_core.distributed.checkpoint import load_model_and_optim_state

    model = model_config.build(init_device="cpu")
    try:
        with single_process_checkpoints():
            load_model_and_optim_state(str(checkpoint / "model_and_optim"), model)
    except Exception as exc:  # torch.distributed.checkpoint raises many kinds
        raise LadderError(f"{checkpoint}: cannot load into the rung's model ({exc})") from exc
    model.to(device).eval()
    return model


def load_hf(folder: Path, vocab_size: int, device: str = "cpu"):
    """A local Hugging Face causal LM; LadderError if it does not load or its vocabulary is
    smaller than the tokenizer's (a tokenizer mismatch)."""
    if not (folder / "config.json").is_file():
        raise LadderError(f"{folder}: not a Hugging Face model folder (no config.json)")
    try:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    except Exception as exc:
        raise LadderError(f"{folder}: cannot load the model ({exc})") from exc
    rows = model.get_input_embeddings().weight.shape[0]
    if rows < vocab_size:
        raise LadderError(
            f"{folder}: tokenizer mismatch: the model has {rows:,} token embeddings, the "
            f"tokenizer {vocab_size:,} ids; pass the model's own tokenizer with --tokenizer"
        )
    return model.to(device).eval()


def hf_forward(model) -> Forward:
    """The logits of a Hugging Face causal LM."""
    return lambda ids: model(input_ids=ids).logits
