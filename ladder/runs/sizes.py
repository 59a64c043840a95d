"""Rung geometry and the paper's rules: OLMo-core size names, N, tokens for "kxC", batch size,
LR, GPU-hours (C = 6 N D is ladder.laws.flops's).

N is every parameter but the input embedding matrix (N_MEANS; params_of counts it for a
Hugging Face model): OLMo-core's `num_non_embedding_params` despite its name; with untied
embeddings the same number as "all but the LM head", the N of arXiv 2412.04403; with tied ones
Kaplan et al.'s non-embedding count. D is in tokens. Batch sizes are in sequences, learning
rates are peak AdamW rates.
"""

from __future__ import annotations

import math
from typing import Any

from ladder.errors import LadderError

N_MEANS = "parameters excluding the input embedding matrix"
TOKENS_PER_PARAM_AT_1XC = 20
REFERENCE_PARAMS = 108e6
REFERENCE_BATCH_AT_2048 = 160
REFERENCE_LR = 0.0047
BATCH_MULTIPLE = 64
PEAK_FLOPS = {"h100": 989e12, "a100": 312e12, "h200": 989e12}

# Named sizes: OLMo-core's OLMo-2 factory for each. The paper's 1B ("1.3B": d_model 2048,
# 16 layers) is OLMo-core's olmo2_1B_v2; its olmo2_1B has 18 layers.
OLMO_CORE_FACTORIES = {
    "1M": "olmo2_1M",
    "14M": "olmo2_14M",
    "30M": "olmo2_30M",
    "60M": "olmo2_60M",
    "100M": "olmo2_100M",
    "190M": "olmo2_190M",
    "370M": "olmo2_370M",
    "600M": "olmo2_600M",
    "760M": "olmo2_760M",
    "1B": "olmo2_1B_v2",
    "3B": "olmo2_3B",
    "7B": "olmo2_7B",
    "13B": "olmo2_13B",
}


def tokens_for(multiplier: float, params: int) -> int:
    """D for a "kxC" rung: k x 20 N tokens (1xC is Chinchilla-optimal; 0.5xC = 10 N)."""
    return round(multiplier * TOKENS_PER_PARAM_AT_1XC * params)


def batch_size(params: int, sequence_length: int, multiple: int = BATCH_MULTIPLE) -> int:
    """Global batch in sequences: 160 (N/108M)^(2/3) at length 2,048, scaled to the sequence
    length, rounded to the nearest multiple of `multiple` (at least one multiple)."""
    raw = REFERENCE_BATCH_AT_2048 * (params / REFERENCE_PARAMS) ** (2 / 3) * 2048 / sequence_length
    return max(multiple, multiple * round(raw / multiple))


def learning_rate(params: int, divisor: float = 4.0) -> float:
    """Peak LR: 0.0047 (N/108M)^(-1/3), divided by `divisor` (4 in the paper's ladder runs)."""
    return REFERENCE_LR * (params / REFERENCE_PARAMS) ** (-1 / 3) / divisor


def gpu_hours(flops: float, gpu: str = "h100", mfu: float = 0.4) -> float:
    """Estimated GPU-hours for `flops` at model-FLOPs utilization `mfu` of a GPU's bf16 peak."""
    if gpu not in PEAK_FLOPS:
        raise LadderError(f"unknown GPU {gpu!r}: one of {', '.join(PEAK_FLOPS)}")
    if not 0 < mfu <= 1:
        raise LadderError(f"MFU must be in (0, 1], got {mfu}")
    return flops / (PEAK_FLOPS[gpu] * mfu) / 3600


def padded_vocab_size(vocab_size: int, multiple: int = 128) -> int:
    """The embedding rows OLMo-core allocates: the vocabulary padded to a multiple of 128."""
    return multiple * math.ceil(vocab_size / multiple)


def params_of(model: Any) -> int:
    """N of a torch language model (N_MEANS): its parameters, each tied one once, less its
    input embedding matrix."""
    embedding = model.get_input_embeddings().weight.numel()
    return int(sum(p.numel() for p in model.parameters()) - embedding)
