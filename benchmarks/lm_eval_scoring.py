"""lm-evaluation-harness's side of bench_lm_eval.py: run by the Python of lm-eval's own
environment (it imports lm_eval, never ladder).

    python lm_eval_scoring.py MODEL_FOLDER PAIRS_JSON BATCH_SIZE OUT_JSON

PAIRS_JSON is a list of [context, continuation] strings; OUT_JSON gets the seconds that
`HFLM.loglikelihood` took on all of them, each pair's log-likelihood (natural log, summed over
the continuation's tokens) and its tokens as lm-eval encodes them.
"""

import json
import sys
import time
from pathlib import Path

from lm_eval.api.instance import Instance
from lm_eval.models.huggingface import HFLM


def main(model: str, pairs_file: str, batch_size: str, out: str) -> None:
    pairs = json.loads(Path(pairs_file).read_text(encoding="utf-8"))
    lm = HFLM(pretrained=model, device="cpu", batch_size=int(batch_size), dtype="float32")
    requests = [
        Instance(request_type="loglikelihood", doc={}, arguments=(context, continuation), idx=i)
        for i, (context, continuation) in enumerate(pairs)
    ]
    start = time.perf_counter()
    results = lm.loglikelihood(requests, disable_tqdm=True)
    seconds = time.perf_counter() - start
    encoded = [lm._encode_pair(context, continuation) for context, continuation in pairs]
    document = {
        "seconds": seconds,
        "loglikelihoods": [float(ll) for ll, _ in results],
        "tokens": [context + continuation for context, continuation in encoded],
    }
    Path(out).write_text(json.dumps(document), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
