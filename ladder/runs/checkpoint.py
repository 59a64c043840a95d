"""Trusting an OLMo-core checkpoint: read its model weights without running code from it, and
tell a complete, intact checkpoint from a truncated or corrupted one (shared by `ladder train`,
which resumes from the newest intact checkpoint, and `ladder collect`, which scores them).

OLMo-core's reader unpickles a checkpoint's `.metadata` file and loads its tensors with
`torch.load(weights_only=False)`: a crafted checkpoint runs code in whoever loads it. This
reader unpickles the metadata with an allowlist (the classes of torch.distributed.checkpoint's
metadata, OLMo-core's storage records, torch sizes, dtypes and layouts: nothing callable
beyond them), loads every tensor with `weights_only=True`, refuses non-tensor items, and checks
that every stored record lies inside its file before reading.

torch.load does not check the CRC-32s torch.save writes, so a flipped byte in a tensor would
load and score silently: `ladder train` writes a SHA-256 digest of every file of a checkpoint
beside it (`ladder-sha256.json`), checked before a checkpoint is loaded. A checkpoint without
one (trained elsewhere) is loaded unchecked.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from pathlib import Path
from typing import Any

import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.api import CheckpointException
from torch.distributed.checkpoint.metadata import Metadata
from torch.distributed.checkpoint.planner import LoadItemType, LoadPlan, LoadPlanner
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    set_model_state_dict,
)
from torch.futures import Future

from ladder.errors import LadderError
from ladder.files import read_json, write_json
from ladder.runs.folder import single_process_checkpoints

_ALLOWED_MODULES = ("torch.distributed.checkpoint.metadata",)
_ALLOWED = {
    ("olmo_core.distributed.checkpoint.filesystem", "_StorageInfo"),
    ("olmo_core.distributed.checkpoint.filesystem", "_StoragePrefix"),
    ("torch.distributed.checkpoint.filesystem", "_StorageInfo"),
    ("torch", "Size"),
    ("torch.serialization", "_get_layout"),
    ("collections", "OrderedDict"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
}


DIGEST_FILE = "ladder-sha256.json"


def _digests(checkpoint: Path) -> dict[str, str]:
    """SHA-256 of every file under a stepN folder but the digest file, by relative path."""
    out = {}
    for path in sorted(p for p in checkpoint.rglob("*") if p.is_file()):
        name = path.relative_to(checkpoint).as_posix()
        if name != DIGEST_FILE:
            with path.open("rb") as file:
                out[name] = hashlib.file_digest(file, "sha256").hexdigest()
    return out


def write_digest(checkpoint: Path) -> None:
    """Write the digest of a just-saved stepN folder."""
    write_json(checkpoint / DIGEST_FILE, _digests(checkpoint))


def verify_digest(checkpoint: Path) -> None:
    """Check a stepN folder against its digest, if it has one (a checkpoint trained elsewhere
    has none, and is not checked); LadderError naming the first missing or changed file."""
    path = checkpoint / DIGEST_FILE
    if not path.is_file():
        return
    expected = read_json(path, "checkpoint digest")
    found = _digests(checkpoint)
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            raise LadderError(f"{checkpoint}: {name} is missing (an incomplete checkpoint)")
        if expected.get(name) != found[name]:
            raise LadderError(f"{checkpoint}: {name} differs from when it was saved (corrupted)")


def check_checkpoint(checkpoint: Path) -> None:
    """What `ladder train` checks before resuming from a stepN folder: its digest if it has one,
    its model and optimizer metadata (read with the allowlist, every record inside its file)
    and its trainer state; LadderError naming what is wrong."""
    verify_digest(checkpoint)
    read_metadata(checkpoint / "model_and_optim")
    if not (checkpoint / "train" / "rank0.pt").is_file():
        raise LadderError(f"{checkpoint}: no trainer state (train/rank0.pt)")


class _MetadataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            return getattr(torch, name)
        if module in _ALLOWED_MODULES or (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def read_metadata(folder: Path) -> Metadata:
    """The torch.distributed.checkpoint Metadata of a `model_and_optim` folder, unpickled with
    the allowlist; LadderError (naming the folder) if it is missing, refused or unreadable."""
    path = folder / ".metadata"
    try:
        with path.open("rb") as file:
            metadata = _MetadataUnpickler(file).load()
    except FileNotFoundError:
        raise LadderError(f"{folder}: no .metadata (not a complete checkpoint)") from None
    except Exception as exc:  # unpickling raises many kinds on a damaged file
        raise LadderError(f"{folder}/.metadata: unreadable ({exc})") from exc
    if not isinstance(metadata, Metadata) or not isinstance(metadata.storage_data, dict):
        raise LadderError(f"{folder}/.metadata: not a checkpoint's metadata")
    _check_records(folder, metadata.storage_data)
    return metadata


def _check_records(folder: Path, records: dict) -> None:
    """Every record names a file in `folder` and lies inside it."""
    sizes: dict[str, int] = {}
    for info in records.values():
        name = getattr(info, "relative_path", None)
        offset, length = getattr(info, "offset", None), getattr(info, "length", None)
        if not isinstance(name, str) or Path(name).name != name or name.startswith("."):
            raise LadderError(f"{folder}/.metadata: a record names a bad file {name!r}")
        if name not in sizes:
            path = folder / name
            if not path.is_file():
                raise LadderError(f"{folder}: missing data file {name} (an incomplete checkpoint)")
            sizes[name] = path.stat().st_size
        if not (isinstance(offset, int) and isinstance(length, int) and offset >= 0):
            raise LadderError(f"{folder}/.metadata: a record of {name} has a bad extent")
        if offset + length > sizes[name]:
            raise LadderError(
                f"{folder}/{name}: {sizes[name]:,} bytes, but a record ends at byte "
                f"{offset + length:,} (a truncated checkpoint)"
            )


def load_model_weights(checkpoint: Path, model: torch.nn.Module) -> None:
    """Load the weights of an OLMo-core stepN folder into `model` (in place), after checking its
    digest (if any), reading only the model's tensors; LadderError naming it on any failure."""
    verify_digest(checkpoint)
    folder = checkpoint / "model_and_optim"
    reader = SafeReader(folder, read_metadata(folder))
    options = StateDictOptions(full_state_dict=False, cpu_offload=True)
    state = {"model": get_model_state_dict(model, options=options)}
    try:
        with single_process_checkpoints():
            dcp.load(state, storage_reader=reader)
        set_model_state_dict(model, state["model"], options=options)
    except (Exception, CheckpointException) as exc:  # CheckpointException is no Exception
        cause = _cause(exc)
        if isinstance(cause, LadderError):
            raise cause from None
        message = " ".join(str(cause).split())[:300] or type(cause).__name__
        raise LadderError(f"{checkpoint}: cannot load into the rung's model ({message})") from exc


def _cause(exc: BaseException) -> BaseException:
    """The first rank's exception inside torch's CheckpointException, else `exc` itself."""
    if isinstance(exc, CheckpointException) and exc.failures:
        return next(iter(exc.failures.values()))[0]
    return exc


class SafeReader(dcp.StorageReader):
    """A StorageReader over a folder's checked metadata: tensors only, `weights_only=True`."""

    def __init__(self, folder: Path, metadata: Metadata) -> None:
        super().__init__()
        self.folder, self.metadata = folder, metadata

    def reset(self, checkpoint_id: Any = None) -> None:
        pass

    @classmethod
    def validate_checkpoint_id(cls, checkpoint_id: Any) -> bool:
        return True

    def read_metadata(self) -> Metadata:
        return self.metadata

    def set_up_storage_reader(self, metadata: Metadata, is_coordinator: bool) -> None:
        pass

    def prepare_local_plan(self, plan: LoadPlan) -> LoadPlan:
        return plan

    def prepare_global_plan(self, plans: list[LoadPlan]) -> list[LoadPlan]:
        return plans

    def read_data(self, plan: LoadPlan, planner: LoadPlanner) -> Future[None]:
        for item in plan.items:
            if item.type == LoadItemType.BYTE_IO:
                raise LadderError(f"{self.folder}: holds a non-tensor entry for the model")
            info = self.metadata.storage_data[item.storage_index]
            with (self.folder / info.relative_path).open("rb") as file:
                file.seek(info.offset)
                content = file.read(info.length)
            tensor = torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
            for dim, (start, length) in enumerate(
                zip(item.storage_offsets, item.lengths, strict=True)
            ):
                tensor = tensor.narrow(dim, start, length)
            target = planner.resolve_tensor(item).detach()
            if target.size() != tensor.size():
                raise LadderError(
                    f"{self.folder}: {item.storage_index.fqn} has shape "
                    f"{tuple(tensor.size())}, the model {tuple(target.size())}"
                )
            target.copy_(tensor)
            planner.commit_tensor(item, target)
        future: Future[None] = Future()
        future.set_result(None)
        return future
