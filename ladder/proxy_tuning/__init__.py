"""Proxy-tuning (Liu et al., arXiv 2401.08565): steer a large base model at decoding time with a
small tuned model (the expert) and the same small model untuned (the anti-expert):

    logits = base + alpha (expert - anti_expert), then softmax

Every rung of a ladder shares one tokenizer, so any rung can steer any other.

    combine.py  the combination: for scorers (LogitsAt, Forward) and as a Hugging Face
                LogitsProcessor that keeps the expert's and anti-expert's own KV caches
    models.py   the models: the ladder's OLMo-core checkpoints (as Hugging Face causal LMs)
                and Hugging Face folders, by rung name or path
    data.py     tuning data: text files or a built-in set, packed into training windows
    tune.py     full fine-tuning of a rung (a plain torch loop), written as a rung folder
    study.py    the ladder question: the gap closed by proxy-tuning, per base size
"""
