"""Load checkpoints for evaluation: OLMo-core `stepN` checkpoints of a rung trained by
`ladder train` (see ladder.runs.folder), and Hugging Face model folders (local; nothing is
downloaded). What is scored is a model's logits at the answer positions (see
ladder.collect.logits)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ladder.errors import LadderError

if TYPE_CHECKING:
    from olmo_core.nn.transformer import Transformer


def load_olmo(checkpoint: Path, model_config, device: str = "cpu") -> Transformer:
    """An OLMo-core model of `model_config` with the weights of `checkpoint` (a stepN folder),
    read without unpickling code and checked against its digest (ladder.runs.checkpoint)."""
    from ladder.runs.checkpoint import load_model_weights

    model = model_config.build(init_device="cpu")
    load_model_weights(checkpoint, model)
    model.to(device).eval()
    return model


def require_hf_folder(folder: Path) -> None:
    """LadderError unless `folder` holds a Hugging Face model's config.json."""
    if not (folder / "config.json").is_file():
        raise LadderError(f"{folder}: not a Hugging Face model folder (no config.json)")


def load_hf(folder: Path, vocab_size: int, device: str = "cpu"):
    """A local Hugging Face causal LM; LadderError if it does not load or its vocabulary is
    smaller than the tokenizer's (a tokenizer mismatch)."""
    require_hf_folder(folder)
    try:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    except Exception as exc:
        raise LadderError(f"{folder}: cannot load the model ({exc})") from exc
    rows = model.get_input_embeddings().weight.shape[0]
    if rows < vocab_size:
        raise LadderError(
            f"{folder}: tokenizer mismatch: the model has {rows:,} token embeddings, the "
            f"tokenizer {vocab_size:,} ids; give the model's own tokenizer (--tokenizer-file)"
        )
    return model.to(device).eval()
