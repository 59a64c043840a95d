"""Requests per second of `ladder collect`'s scoring on this CPU (run by hand).

    python benchmarks/bench_collect.py [--sizes d16,1M] [--batch-sizes 16,32,64] [--limit 200]

Scores ARC-Easy (rc, 0-shot; one request per answer choice) and HellaSwag (rc, 0-shot; four
long continuations) with randomly initialized OLMo-core models of the tiny ladder's d16
geometry and OLMo-core's `olmo2_1M` config, requests left-truncated to 256 tokens. Building
the requests is excluded; the model's forward pass (output layer at the answer positions) and
olmo_eval's metric are included.
"""

from __future__ import annotations

import argparse
import time

import torch

from ladder.collect.evaluate import Evaluator
from ladder.collect.logits import olmo_core_logits
from ladder.runs.sizes import padded_vocab_size
from ladder.runs.tokenizer import load_tokenizer, token_config
from ladder.spec.train import Size, TokenizerSpec

SIZES = {"d16": Size(name="d16", d_model=16, n_layers=2, n_heads=2), "1M": Size(name="1M")}
TASKS = ("arc_easy_rc_0shot", "hellaswag_rc_0shot")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="d16,1M")
    parser.add_argument("--batch-sizes", default="16,32,64")
    parser.add_argument("--limit", type=int, default=200, help="documents per task")
    args = parser.parse_args()
    tokenizer_spec = TokenizerSpec()
    tokenizer = load_tokenizer(tokenizer_spec)
    vocab = padded_vocab_size(token_config(tokenizer_spec).vocab_size)
    print(f"torch threads: {torch.get_num_threads()}, documents per task: {args.limit}")
    for name in args.sizes.split(","):
        model = SIZES[name].transformer_config(vocab).build(init_device="cpu").eval()
        params = sum(p.numel() for p in model.parameters())
        for task in TASKS:
            for batch in (int(b) for b in args.batch_sizes.split(",")):
                evaluator = Evaluator([task], tokenizer, 256, args.limit, batch)
                start = time.perf_counter()
                evaluator.score(olmo_core_logits(model))
                seconds = time.perf_counter() - start
                print(
                    f"{name:>4} ({params / 1e6:.1f}M params) {task:<20} batch {batch:>3}: "
                    f"{evaluator.request_count} requests in {seconds:.1f} s = "
                    f"{evaluator.request_count / seconds:.0f} requests/s"
                )


if __name__ == "__main__":
    main()
