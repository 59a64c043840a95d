"""Tokens per second of proxy-tuned generation against the base model alone.

`flock /tmp/ladder-heavy.lock python benchmarks/bench_proxy_tuning.py [--device cuda]`

Random models of the ladder's geometry (OLMo-2 blocks, the 50,304-token padded vocabulary,
converted to Hugging Face causal LMs as `ladder proxy-tune` loads rungs): a base steered by a
small expert / anti-expert pair of the same size. Speed does not depend on the weights, so
nothing is trained. Greedy decoding of --new-tokens tokens after a 32-token prompt (every
sequence runs to the end: no EOS), batch sizes 1 and 8, each measured --repeats times after a
warm-up (best kept). Proxy-tuned: the base's `generate` with the ProxyTuningProcessor (three
forward passes per token, each model with its own KV cache).
"""

from __future__ import annotations

import argparse
import time

import torch

from ladder.proxy_tuning.combine import ProxyTuningProcessor
from ladder.proxy_tuning.models import olmo_to_hf
from ladder.spec.train import Size

VOCAB = 50304
PAIR = Size(name="d8", d_model=8, n_layers=2, n_heads=2)  # the tiny ladder's smallest
BASES = [
    Size(name="d24", d_model=24, n_layers=2, n_heads=2),  # the tiny ladder's largest
    Size(name="d256", d_model=256, n_layers=8, n_heads=8),
    Size(name="d1024", d_model=1024, n_layers=16, n_heads=16),
]


def model(size: Size, device: str):
    torch.manual_seed(0)
    return olmo_to_hf(size.transformer_config(VOCAB).build(init_device="cpu")).to(device)


def tokens_per_second(base, pair, batch: int, new: int, repeats: int, device: str) -> float:
    prompt = torch.randint(0, VOCAB, (batch, 32), generator=torch.Generator().manual_seed(1))
    prompt = prompt.to(device)

    def run() -> None:
        processors = [ProxyTuningProcessor(*pair, 1.0)] if pair else []
        with torch.no_grad():
            base.generate(
                input_ids=prompt,
                attention_mask=torch.ones_like(prompt),
                logits_processor=processors,
                max_new_tokens=new,
                min_new_tokens=new,
                do_sample=False,
                pad_token_id=1,
                eos_token_id=None,
            )
        if device == "cuda":
            torch.cuda.synchronize()

    run()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return batch * new / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bases", default="d24,d256,d1024")
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    pair = (model(PAIR, args.device), model(PAIR, args.device))
    print(f"device {args.device}, {torch.get_num_threads()} threads; pair {PAIR.name}")
    print("| base | N (non-embedding) | batch | base alone, tok/s | proxy-tuned, tok/s | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in BASES:
        if size.name not in args.bases.split(","):
            continue
        base = model(size, args.device)
        params = sum(p.numel() for p in base.parameters()) - 2 * VOCAB * size.d_model
        for batch in (1, 8):
            alone = tokens_per_second(base, None, batch, args.new_tokens, args.repeats, args.device)
            steered = tokens_per_second(
                base, pair, batch, args.new_tokens, args.repeats, args.device
            )
            print(
                f"| {size.name} | {params:,} | {batch} | {alone:,.0f} | {steered:,.0f} | "
                f"{steered / alone:.2f} |"
            )


if __name__ == "__main__":
    main()
