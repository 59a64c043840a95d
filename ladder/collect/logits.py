"""A model's logits where the metrics read them, and nowhere else.

olmo_eval's ICLMetric reads, for each request, only the logits at the positions that predict
its answer (continuation) tokens. Computing the vocabulary-sized output layer at every other
position of the query is wasted work, and at ladder widths (d_model far below the 50k
vocabulary) it is most of the work. A `LogitsAt` runs the model's body on the whole batch and
its output layer (final norm and LM head) only at the positions asked for:

    logits_at(input_ids, rows, columns) -> logits
    input_ids (B, S) token ids; rows, columns (N,) the positions; logits (N, V), where
    logits[n] is the model's prediction after input_ids[rows[n], : columns[n] + 1]

The adapters here make one from an OLMo-core Transformer, a Hugging Face causal LM, or any
function that returns full logits (B, S, V). Anything with the same signature can be scored:
for example several models' logits combined position by position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ladder.errors import LadderError

if TYPE_CHECKING:
    import torch

Forward = Callable[["torch.Tensor"], "torch.Tensor"]  # token ids (B, S) -> logits (B, S, V)
LogitsAt = Callable[["torch.Tensor", "torch.Tensor", "torch.Tensor"], "torch.Tensor"]
"""(input_ids (B, S), rows (N,), columns (N,)) -> the logits at those positions, (N, V)."""


def head_at_positions(run: Forward, head, name: str) -> LogitsAt:
    """The logits of `run` (the model's forward: token ids -> its output) with the hidden
    states that enter its output layer `head` gathered to the positions first, so that the
    head (and whatever the forward does after it) computes N rows, not B x S."""

    def logits_at(input_ids: torch.Tensor, rows: torch.Tensor, columns: torch.Tensor):
        def at_positions(module, args):
            if not args or args[0].dim() != 3 or args[0].shape[:2] != input_ids.shape:
                raise LadderError(
                    f"{name}: its output layer does not take the hidden states (batch, "
                    "sequence, width) as its first argument; cannot score it"
                )
            return (args[0][rows, columns].unsqueeze(0), *args[1:])

        hook = head.register_forward_pre_hook(at_positions)
        try:
            return run(input_ids).squeeze(0)
        finally:
            hook.remove()

    return logits_at


def olmo_core_logits(model) -> LogitsAt:
    """An OLMo-core Transformer's logits at the positions: its body on the whole batch, its
    LM head (final norm and output projection) on the gathered hidden states. The model's own
    forward runs, as in training, so FSDP-sharded models work too."""
    return head_at_positions(model, model.lm_head, type(model).__name__)


def hf_logits(model) -> LogitsAt:
    """A Hugging Face causal LM's logits at the positions: its forward pass, with the hidden
    states that reach its output layer (`get_output_embeddings()`) gathered first. Whatever
    the model does after its head (Gemma-2's logit soft-capping, Cohere's logit scale) still
    applies, so the logits equal the full forward's at those positions."""
    head = model.get_output_embeddings()
    if head is None:
        raise LadderError(f"{type(model).__name__} has no output layer: not a causal LM")
    return head_at_positions(
        lambda input_ids: model(input_ids=input_ids, use_cache=False).logits,
        head,
        type(model).__name__,
    )


def full_logits(forward: Forward) -> LogitsAt:
    """Any forward function's logits at the positions, computed everywhere and then picked
    (what scoring cost before; the reference in tests and benchmarks)."""
    return lambda input_ids, rows, columns: forward(input_ids)[rows, columns]
