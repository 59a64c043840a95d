"""How models are scored, as one object: the evaluation settings that `ladder collect` builds
once and hands to its scoring, its shards' plan and proxy-tuning's scoring."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.errors import LadderError
from ladder.spec.train import TokenizerSpec

if TYPE_CHECKING:
    from olmo_eval import Tokenizer

    from ladder.collect.evaluate import Evaluator
    from ladder.spec.ladder import LadderSpec

DEFAULT_CONTEXT_LENGTH = 2048  # a Hugging Face folder's, with no rung to read it from


@dataclass(frozen=True)
class EvalSettings:
    """olmo_eval tasks (empty: the spec's train.eval tasks), documents per task (None: the
    spec's train.eval limit, else all), requests per forward pass, the context length requests
    are left-truncated to (None: the rungs' sequence length, else DEFAULT_CONTEXT_LENGTH), the
    device, and the tokenizer: an OLMo-core name and its JSON file (None: see tokenizer_spec
    and hf_tokenizer)."""

    tasks: tuple[str, ...] = ()
    limit: int | None = None
    batch_size: int = 32
    context_length: int | None = None
    device: str = "cpu"
    tokenizer: str | None = None
    tokenizer_file: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(self.tasks))  # a list from JSON or a caller

    def for_spec(self, spec: LadderSpec | None) -> EvalSettings:
        """The tasks named, else the spec's in-loop evaluation's (and its limit when none is
        given); LadderError if there are none or one is unknown."""
        from ladder.collect.evaluate import check_tasks

        evaluation = spec.train.eval if spec is not None and spec.train is not None else None
        tasks = self.tasks or (tuple(evaluation.tasks) if evaluation else ())
        if not tasks:
            raise LadderError("no tasks: name them, or give the spec a train.eval.tasks list")
        check_tasks(tasks)
        limit = self.limit if self.limit is not None or evaluation is None else evaluation.limit
        return replace(self, tasks=tasks, limit=limit)

    def with_context_length(self, default: int) -> EvalSettings:
        """`default` as the context length unless one is set."""
        return self if self.context_length else replace(self, context_length=default)

    def tokenizer_spec(self, spec: LadderSpec | None) -> TokenizerSpec:
        """The checkpoints' tokenizer (see tokenizer_for)."""
        return tokenizer_for(spec, self.tokenizer, self.tokenizer_file)

    def pinned(self, tokenizer: TokenizerSpec) -> EvalSettings:
        """With `tokenizer` as its tokenizer, the file as an absolute path (for a plan read by
        processes elsewhere)."""
        file = str(tokenizer.file.resolve()) if tokenizer.file is not None else None
        return replace(self, tokenizer=tokenizer.name, tokenizer_file=file)

    def hf_tokenizer(self, folder: Path, spec: LadderSpec | None) -> Tokenizer:
        """A Hugging Face folder's tokenizer: OLMo-core's named one if a name is set (see
        tokenizer_for), else the tokenizer file or folder set, else the folder's own tokenizer
        files (else, with a spec, its training tokenizer)."""
        from ladder.runs.hf_tokenizer import has_tokenizer, load_own_tokenizer
        from ladder.runs.tokenizer import load_tokenizer

        if self.tokenizer:
            return load_tokenizer(self.tokenizer_spec(spec))
        file = self.tokenizer_file
        if file or has_tokenizer(folder) or spec is None or spec.train is None:
            return load_own_tokenizer(Path(file) if file else folder)
        return load_tokenizer(spec.train.tokenizer)

    def evaluator(self, tokenizer: Tokenizer) -> Evaluator:
        """The tasks' requests encoded with `tokenizer`, ready to score any model."""
        from ladder.collect.evaluate import Evaluator

        context_length = self.context_length or DEFAULT_CONTEXT_LENGTH
        return Evaluator(self.tasks, tokenizer, context_length, self.limit, self.batch_size)


def tokenizer_for(
    spec: LadderSpec | None, name: str | None = None, file: str | None = None
) -> TokenizerSpec:
    """OLMo-core token ids and file of the checkpoints' tokenizer: the spec's training
    tokenizer (else OLMo's bundled one), with the name and file given overriding its own."""
    base = spec.train.tokenizer if spec is not None and spec.train is not None else None
    base = base or TokenizerSpec()
    name = name or base.name
    if file is None and name == base.name:
        return TokenizerSpec(name=name, file=base.file)
    return TokenizerSpec(name=name, file=Path(file) if file else None)
