"""The proxy-tuning combination: logits = base + alpha (expert - anti_expert).

Combining logits or log-probabilities gives the same distribution: log_softmax(e) -
log_softmax(a) differs from e - a by a constant per position, which the final softmax removes.
So a scorer that applies log_softmax to the combined logits (olmo_eval's ICLMetric, a
cross-entropy) scores the proxy-tuned distribution, and sampling from softmax(combined) samples
from it.

Two forms:
- `proxy(base, expert, anti_expert, alpha)` over any three functions that return logits for the
  same arguments: three `LogitsAt` (each model's output layer at the answer positions only) or
  three `Forward` (full logits); the result is of the same kind, so `ladder collect`'s scorer
  takes it as it takes one model.
- `ProxyTuningProcessor`, a Hugging Face `LogitsProcessor` given to the base model's `generate`
  (greedy or sampling; it runs before temperature, top-k and top-p, which `generate` appends
  after custom processors). It runs the expert and the anti-expert on the new tokens only, each
  with its own KV cache (`use_cache=False`: the whole sequence every step, the reference).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from transformers import LogitsProcessor

from ladder.errors import LadderError

if TYPE_CHECKING:
    import torch


def check_alpha(alpha: float) -> float:
    """alpha as a float; LadderError unless it is a finite number >= 0."""
    import math

    if not isinstance(alpha, int | float) or not math.isfinite(alpha) or alpha < 0:
        raise LadderError(f"alpha {alpha!r}: expected a finite number >= 0")
    return float(alpha)


def vocabulary(model) -> int:
    """The rows of a causal LM's output layer (its padded vocabulary)."""
    return int(model.get_output_embeddings().weight.shape[0])


def check_vocabularies(**models) -> int:
    """The shared vocabulary size of the named models; LadderError naming both sizes if two
    differ."""
    sizes = {name: vocabulary(model) for name, model in models.items()}
    (first, size), *rest = sizes.items()
    for name, other in rest:
        if other != size:
            raise LadderError(
                f"vocabulary mismatch: the {first} has {size:,} tokens, the {name} {other:,}; "
                "proxy-tuning needs models with one tokenizer"
            )
    return size


def combine(
    base: torch.Tensor, expert: torch.Tensor, anti_expert: torch.Tensor, alpha: float
) -> torch.Tensor:
    """base + alpha (expert - anti_expert), in float32 (alpha = 0 and expert == anti_expert
    return the base's logits exactly)."""
    if not base.shape == expert.shape == anti_expert.shape:
        raise LadderError(
            f"logits of different shapes: base {tuple(base.shape)}, expert "
            f"{tuple(expert.shape)}, anti-expert {tuple(anti_expert.shape)}"
        )
    return base.float() + alpha * (expert.float() - anti_expert.float())


def proxy(base: Callable, expert: Callable, anti_expert: Callable, alpha: float) -> Callable:
    """A scorer of the proxy-tuned distribution from three scorers of the same kind (LogitsAt:
    (input_ids, rows, columns) -> (N, V); Forward: input_ids -> (B, S, V))."""
    alpha = check_alpha(alpha)
    return lambda *args: combine(base(*args), expert(*args), anti_expert(*args), alpha)


class KVStream:
    """One causal LM fed a growing batch of sequences step by step, with its own KV cache: each
    call runs only the tokens it has not seen and returns the next-token logits (B, V).
    `attention_mask` (B, S0) is the prompt's (left padding); tokens after it count as real."""

    def __init__(self, model, attention_mask: torch.Tensor | None = None, use_cache: bool = True):
        self.model = model
        self.prompt_mask = attention_mask
        self.use_cache = use_cache
        self.cache = None
        self.seen = 0

    def _mask(self, input_ids: torch.Tensor) -> torch.Tensor:
        import torch

        ones = torch.ones_like(input_ids)
        if self.prompt_mask is None:
            return ones
        prompt = self.prompt_mask.to(input_ids.device, ones.dtype)
        return torch.cat([prompt, ones[:, prompt.shape[1] :]], dim=1)

    def __call__(self, input_ids: torch.Tensor) -> torch.Tensor:
        if input_ids.shape[1] <= self.seen:  # a new generation: start over
            self.cache, self.seen = None, 0
        mask = self._mask(input_ids)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        start = self.seen if self.use_cache else 0
        output = self.model(
            input_ids=input_ids[:, start:],
            attention_mask=mask,
            position_ids=positions[:, start:],
            past_key_values=self.cache,
            use_cache=self.use_cache,
        )
        if self.use_cache:
            self.cache, self.seen = output.past_key_values, input_ids.shape[1]
        return output.logits[:, -1]


class ProxyTuningProcessor(LogitsProcessor):
    """A LogitsProcessor for the base model's `generate`: the base's next-token scores plus
    alpha (expert - anti-expert), the two small models run on the same tokens with their own
    KV caches. One processor per `generate` call (or a new prompt: it restarts when the
    sequence is not longer than what it has seen). Pass the prompt's `attention_mask` when
    the batch is left-padded."""

    def __init__(
        self,
        expert,
        anti_expert,
        alpha: float,
        attention_mask: torch.Tensor | None = None,
        use_cache: bool = True,
    ):
        self.alpha = check_alpha(alpha)
        self.vocabulary = check_vocabularies(expert=expert, **{"anti-expert": anti_expert})
        self.expert = KVStream(expert, attention_mask, use_cache)
        self.anti_expert = KVStream(anti_expert, attention_mask, use_cache)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        import torch

        if scores.shape[-1] != self.vocabulary:
            raise LadderError(
                f"vocabulary mismatch: the base has {scores.shape[-1]:,} tokens, the expert "
                f"{self.vocabulary:,}; proxy-tuning needs models with one tokenizer"
            )
        with torch.no_grad():
            expert, anti_expert = self.expert(input_ids), self.anti_expert(input_ids)
        return combine(scores, expert, anti_expert, self.alpha).to(scores.dtype)
