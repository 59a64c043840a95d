"""How the lm-eval sample here was made (run by hand, not by the tests): a tiny random Llama
saved as a local Hugging Face folder with OLMo's bundled tokenizer, two local multiple-choice
tasks, then lm-evaluation-harness 0.4.9:

    python tests/data/lm-eval/generate.py /tmp/lm-eval-sample
    lm_eval --model hf --model_args pretrained=/tmp/lm-eval-sample/model,revision=step0 \
        --include_path /tmp/lm-eval-sample/tasks --tasks tiny_qa,tiny_yesno \
        --device cpu --batch_size 4 --output_path /tmp/lm-eval-sample/out --log_samples
"""

import json
import sys
from pathlib import Path

import torch
import yaml
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from ladder.runs.tokenizer import tokenizer_file
from ladder.spec.train import TokenizerSpec

QUESTIONS = [
    ("What do plants need to make food?", ["sunlight", "sand", "plastic", "noise"], 0),
    ("Which is a mammal?", ["shark", "whale", "trout", "frog"], 1),
    ("What melts ice fastest?", ["cold air", "shade", "heat", "wind at night"], 2),
    ("Which planet is closest to the Sun?", ["Mars", "Venus", "Earth", "Mercury"], 3),
    ("What is water made of?", ["hydrogen and oxygen", "iron", "salt", "carbon only"], 0),
    ("Which tool measures mass?", ["ruler", "balance", "thermometer", "clock"], 1),
]
STATEMENTS = [
    ("The Sun rises in the east.", 1),
    ("Fish breathe with lungs.", 0),
    ("Ice is frozen water.", 1),
    ("The Moon is a star.", 0),
    ("Bees make honey.", 1),
]
TASKS = {  # lm-eval task settings beyond the local JSON data, per task
    "qa": {
        "doc_to_text": "Question: {{question}}\nAnswer:",
        "doc_to_choice": "{{choices}}",
        "metric_list": [{"metric": "acc"}, {"metric": "acc_norm"}],
    },
    "yesno": {
        "doc_to_text": "{{statement}}\nTrue or false?",
        "doc_to_choice": ["false", "true"],
        "metric_list": [{"metric": "acc"}],
    },
}


def main(root: Path) -> None:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=50304,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=256,
    )
    LlamaForCausalLM(config).save_pretrained(root / "model")
    PreTrainedTokenizerFast(
        tokenizer_file=str(tokenizer_file(TokenizerSpec())),
        eos_token="<|endoftext|>",
        pad_token="<|padding|>",
    ).save_pretrained(root / "model")
    settings = root / "model" / "tokenizer_config.json"  # readable by transformers 4 too
    settings.write_text(
        json.dumps(
            {**json.loads(settings.read_text()), "tokenizer_class": "PreTrainedTokenizerFast"}
        )
    )
    tasks = root / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    qa = [{"question": q, "choices": c, "label": a} for q, c, a in QUESTIONS]
    yesno = [{"statement": s, "label": a} for s, a in STATEMENTS]
    for name, docs in (("qa", qa), ("yesno", yesno)):
        data = tasks / f"{name}.jsonl"
        data.write_text("".join(json.dumps(doc) + "\n" for doc in docs))
        task = {
            "task": f"tiny_{name}",
            "dataset_path": "json",
            "dataset_kwargs": {"data_files": {"test": str(data)}},
            "test_split": "test",
            "output_type": "multiple_choice",
            "doc_to_target": "{{label}}",
            **TASKS[name],
        }
        (tasks / f"tiny_{name}.yaml").write_text(yaml.safe_dump(task))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
