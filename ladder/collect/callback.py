"""OLMo-core trainer callbacks: the in-loop evaluator (the same Evaluator as `ladder collect`,
appending to the observation table) and a per-step progress hook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from olmo_core.distributed.utils import get_rank
from olmo_core.train.callbacks import Callback

from ladder.collect.evaluate import Evaluator, to_rows
from ladder.collect.logits import olmo_core_logits
from ladder.collect.validation import HeldOutText
from ladder.data import observations
from ladder.runs.folder import RungPlan
from ladder.runs.schedule import schedule_columns
from ladder.spec.train import EvalSpec, TokenizerSpec


@dataclass
class ProgressCallback(Callback):
    """Calls on_step(step, max_steps) after every optimizer step."""

    on_step: Callable[[int, int], None] | None = None

    def post_step(self) -> None:
        if self.on_step is not None:
            self.on_step(self.step, self.trainer.max_steps or 0)


@dataclass
class ObservationCallback(Callback):
    """Every `eval_spec.interval` steps, at the run's fixed steps (before and at the bottom of
    each WSD-S decay) and at the last step, score the model on the spec's tasks and append one
    row per task to `table`, marked with the step's learning rate and schedule phase (rank 0
    writes; rows already there are kept, so a resumed run adds no duplicates). `validation`:
    a token file of held-out text whose loss is one more task (collect.validation)."""

    eval_spec: EvalSpec | None = None
    tokenizer: TokenizerSpec | None = None
    rung: RungPlan | None = None
    table: Path | None = None
    validation: Path | None = None
    _evaluator: Evaluator | None = None
    _held_out: HeldOutText | None = None

    def pre_train(self) -> None:
        self._build()
        self._score_if_due()  # in case the checkpoint was loaded before this callback ran

    def _build(self) -> None:
        from ladder.runs.tokenizer import load_tokenizer

        if self._evaluator is not None:
            return

        tokenizer = load_tokenizer(self.tokenizer)
        self._evaluator = Evaluator(
            self.eval_spec.tasks,
            tokenizer,
            context_length=self.rung.sequence_length,
            limit=self.eval_spec.limit,
            batch_size=self.eval_spec.batch_size,
        )
        if self.validation is not None:
            self._held_out = HeldOutText.load(self.validation, tokenizer, self.rung.sequence_length)

    def post_step(self) -> None:
        self._score_if_due()

    def post_checkpoint_loaded(self, path) -> None:
        """A resumed run: score the loaded step if it was due and its rows never landed (the
        process was killed between saving the checkpoint and appending the rows)."""
        self._build()
        self._score_if_due()

    def _score_if_due(self) -> None:
        last = self.step >= (self.trainer.max_steps or 0)
        fixed = self.step in self.rung.fixed_steps
        if self.step == 0 or (self.step % self.eval_spec.interval and not (last or fixed)):
            return
        have = observations.keys_in(self.table)
        tasks = [*self.eval_spec.tasks, *([self._held_out.task] if self._held_out else [])]
        if all((self.rung.name, self.step, t) in have for t in tasks):
            return
        model = self.trainer.train_module.model
        model.eval()
        try:
            device = str(self.trainer.device)
            scores = self._evaluator.score(olmo_core_logits(model), device=device)
            if self._held_out is not None:
                scores.append(self._held_out.score(model, device=device))
        finally:
            model.train()
        if get_rank() == 0:
            rows = to_rows(
                scores,
                run=self.rung.name,
                params=self.rung.params,
                tokens=self.step * self.rung.tokens_per_step,
                step=self.step,
            ).assign(**schedule_columns(self.rung, self.step))
            observations.append(rows, self.table)
