"""The models proxy-tuning combines, each as a Hugging Face causal LM (so that `generate` and
its KV cache work for all three): a local Hugging Face folder, or one of the ladder's OLMo-core
checkpoints converted with OLMo-core's own Hugging Face converter (the same logits).

A model is named by a path (a Hugging Face folder, a rung folder: its latest checkpoint, or a
rung's `stepN` folder) or by a rung's name in the spec's train.output (a rung of the ladder or
one written by `ladder tune`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ladder.errors import LadderError
from ladder.runs.folder import RUNG_FILE, STEP, RungPlan, checkpoints, model_config, read_rung
from ladder.runs.sizes import params_of

if TYPE_CHECKING:
    from ladder.spec.train import TrainSpec


MAX_POSITIONS = 4096  # what Hugging Face's length checks see; RoPE itself has no limit


@dataclass(frozen=True)
class Source:
    """Where a model is: its name (the rung's, or the folder's), N (ladder.runs.sizes.params_of;
    None until a Hugging Face model is loaded), D (tokens it was trained on; 0 if unknown), its
    step, its folder (a Hugging Face folder or an OLMo-core checkpoint) and, for the ladder's
    checkpoints, the rung's plan."""

    name: str
    params: int | None
    tokens: int
    step: int
    folder: Path
    rung: RungPlan | None = None


@dataclass
class Model:
    """A loaded model: where it is from (with N filled in) and the Hugging Face causal LM."""

    source: Source
    module: Any


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """No "Loading weights" / "Writing model shards" bars from transformers (one line per error,
    nothing else, on stderr)."""
    from transformers.utils import logging

    enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            logging.enable_progress_bar()


def olmo_to_hf(model):
    """An OLMo-core Transformer as the equivalent Hugging Face causal LM (OLMo-core's config
    and state converters; Olmo2ForCausalLM for the ladder's models)."""
    from olmo_core.nn.hf.config import get_hf_config
    from olmo_core.nn.hf.convert import convert_state_to_hf
    from transformers import AutoModelForCausalLM

    config = get_hf_config(model)
    config.max_position_embeddings = MAX_POSITIONS  # OLMo-core writes -1 (RoPE has no bound)
    state = convert_state_to_hf(config, model.state_dict())
    hf = AutoModelForCausalLM.from_config(config)
    hf.load_state_dict({key: value.contiguous() for key, value in state.items()}, strict=True)
    return hf.eval()


def resolve(name: str | Path, train: TrainSpec | None) -> Path:
    """The folder a model name points to: a path that exists, else the rung of that name in the
    spec's train.output; LadderError if neither."""
    path = Path(name)
    if path.exists():
        return path
    if train is not None and (train.output / str(name)).is_dir():
        return train.output / str(name)
    where = f", and no rung of that name in {train.output}" if train is not None else ""
    raise LadderError(f"model {name}: no such checkpoint or model folder{where}")


def locate(name: str | Path, train: TrainSpec | None) -> Source:
    """Where the model `name` is (see the module's docstring); LadderError if it is not there or
    is not a model."""
    folder = resolve(name, train)
    if (folder / "config.json").is_file():
        return Source(folder.name, None, 0, 0, folder)
    if STEP.match(folder.name) and (folder.parent / RUNG_FILE).is_file():
        rung_folder, step = folder.parent, int(STEP.match(folder.name).group(1))
        if not (folder / ".metadata.json").is_file():
            raise LadderError(f"model {folder}: an incomplete checkpoint (no .metadata.json)")
    elif (folder / RUNG_FILE).is_file():
        rung_folder = folder
        found = checkpoints(folder)
        if not found:
            raise LadderError(f"model {folder}: a rung folder without a complete checkpoint")
        step, folder = found[-1]
    else:
        raise LadderError(
            f"model {folder}: neither a Hugging Face folder (config.json) nor a rung or "
            "checkpoint of `ladder train`"
        )
    if train is None:
        raise LadderError(f"model {folder}: an OLMo-core checkpoint needs the ladder's spec (-c)")
    rung = read_rung(rung_folder)
    tokens = min(step, rung.steps) * rung.tokens_per_step
    return Source(rung.name, rung.params, tokens, step, folder, rung)


def load_olmo_core(source: Source, train: TrainSpec, device: str = "cpu"):
    """The OLMo-core Transformer of one of the ladder's checkpoints."""
    from ladder.collect.checkpoints import load_olmo

    return load_olmo(source.folder, model_config(train, source.rung.size), device)


def load(name: str | Path | Source, train: TrainSpec | None, device: str = "cpu") -> Model:
    """The model `name` (or an already located Source) as a Hugging Face causal LM on
    `device`, in eval mode."""
    from ladder.collect.checkpoints import load_hf

    source = name if isinstance(name, Source) else locate(name, train)
    if source.rung is not None:
        return Model(source, olmo_to_hf(load_olmo_core(source, train)).to(device))
    with quiet_transformers():
        module = load_hf(source.folder, 0, device)
    return Model(replace(source, params=params_of(module)), module)
