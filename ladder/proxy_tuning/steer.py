"""A base model steered by an expert / anti-expert pair: load the three, score olmo_eval tasks
under the proxy-tuned distribution (observation rows, the combination in the run name and in
columns of its own) and generate text.

Rows of a proxy-tuned model keep the base's N, D and step (the model whose weights run), so a
law over them is a law in the base's size; their run is named "<base>+<alpha>x(<expert> -
<anti-expert>)" (spaces around the minus: rung names have hyphens) and the columns `base`,
`expert`, `anti_expert` and `alpha` say the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.proxy_tuning.combine import (
    ProxyTuningProcessor,
    check_alpha,
    check_vocabularies,
    proxy,
)
from ladder.proxy_tuning.models import Model, load, locate

if TYPE_CHECKING:
    import pandas as pd

    from ladder.collect.evaluate import Evaluator
    from ladder.collect.logits import LogitsAt


@dataclass
class Steered:
    """A base model, an expert and an anti-expert (loaded, one vocabulary) and alpha >= 0."""

    base: Model
    expert: Model
    anti_expert: Model
    alpha: float

    @property
    def name(self) -> str:
        """The run name of the proxy-tuned model."""
        names = (m.source.name for m in (self.base, self.expert, self.anti_expert))
        return "{}+{:g}x({} - {})".format(next(names), self.alpha, *names)

    def columns(self) -> dict[str, object]:
        """The combination, as observation columns."""
        return {
            "base": self.base.source.name,
            "expert": self.expert.source.name,
            "anti_expert": self.anti_expert.source.name,
            "alpha": self.alpha,
        }

    def logits_at(self) -> LogitsAt:
        """The proxy-tuned logits at the answer positions (each model's output layer there)."""
        from ladder.collect.logits import hf_logits

        models = (self.base, self.expert, self.anti_expert)
        return proxy(*(hf_logits(m.module) for m in models), self.alpha)


def load_steered(
    base: str | Path,
    expert: str | Path,
    anti_expert: str | Path,
    alpha: float,
    train,
    device: str = "cpu",
) -> Steered:
    """Load the three models (rung names or paths, see ladder.proxy_tuning.models); LadderError
    for a bad alpha (before anything loads), a missing model or vocabularies that differ."""
    alpha = check_alpha(alpha)
    sources = [locate(m, train) for m in (base, expert, anti_expert)]  # all there: then load
    steered = Steered(*(load(source, train, device) for source in sources), alpha)
    check_vocabularies(
        base=steered.base.module,
        expert=steered.expert.module,
        **{"anti-expert": steered.anti_expert.module},
    )
    return steered


def model_rows(model: Model, evaluator: Evaluator, device: str = "cpu", progress=None):
    """One model's observation rows for the evaluator's tasks."""
    from ladder.collect.evaluate import to_rows
    from ladder.collect.logits import hf_logits

    scores = evaluator.score(hf_logits(model.module), device, progress)
    source = model.source
    return to_rows(scores, source.name, source.params, source.tokens, source.step)


def steered_rows(
    steered: Steered, evaluator: Evaluator, device: str = "cpu", progress=None
) -> pd.DataFrame:
    """The proxy-tuned model's observation rows for the evaluator's tasks."""
    from ladder.collect.evaluate import to_rows

    scores = evaluator.score(steered.logits_at(), device, progress)
    base = steered.base.source
    rows = to_rows(scores, steered.name, base.params, base.tokens, base.step)
    return rows.assign(**steered.columns())


def generate(
    steered: Steered,
    prompts: Sequence[str],
    tokenizer,
    max_new_tokens: int = 32,
    sample: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int = 0,
    use_cache: bool = True,
    device: str = "cpu",
) -> list[str]:
    """Each prompt's continuation under the proxy-tuned distribution: greedy, or sampled (with
    temperature and top-p, applied after the combination). Prompts are left-padded into one
    batch; generation stops at EOS or after max_new_tokens."""
    import torch

    encoded = tokenizer.encode_batch(list(prompts), add_special_tokens=False)
    width = max(len(ids) for ids in encoded)
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in encoded], device=device)
    mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded])
    processor = ProxyTuningProcessor(
        steered.expert.module, steered.anti_expert.module, steered.alpha, mask, use_cache
    )
    torch.manual_seed(seed)
    options = {"temperature": temperature, "top_p": top_p} if sample else {}
    with torch.no_grad():
        output = steered.base.module.generate(
            input_ids=input_ids,
            attention_mask=mask.to(device),
            logits_processor=[processor],
            max_new_tokens=max_new_tokens,
            do_sample=sample,
            use_cache=use_cache,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=pad,
            **options,
        )
    return tokenizer.decode_batch(output[:, width:].tolist(), skip_special_tokens=True)
