"""The column conventions of the ProxyLM experiment records (data/proxylm/, arXiv 2406.09334)
and the paper's feature sets and split details, so that its settings can be rerun.

Records: one row per machine-translation fine-tuning experiment (source and target language,
training and test data set, training-set size). Scores `<model>_<ft|noft>_<metric>_mean`
(and `_se`); the target is the fine-tuned large model (`m2m100` = M2M100 1.2B or `nllb` =
NLLB 1.3B), the proxies are the scores of a small transformer trained from scratch (`trfm`),
SMaLL100 with and without fine-tuning and the large model without fine-tuning. Every other
numeric column (URIEL language distances, data-set statistics) is a feature; the NLPerf
baseline (Xia et al. 2020) uses its own subset of them.
"""

from __future__ import annotations

import pandas as pd

from ladder.errors import LadderError
from ladder.proxy.features import FeatureSet

MODELS = ("m2m100", "nllb")
METRICS = ("spBLEU", "chrF2++", "BLEU", "chrF2", "TER", "comet")
IDENTIFIERS = ("source_lang", "target_lang", "train_dataset", "test_dataset")
LANGUAGE_COLUMNS = ("source_lang", "target_lang")
PROXY_MODELS = ("trfm", "small100_noft", "small100_ft")
NLPERF_FEATURES = (
    *("genetic", "geographic", "syntactic", "inventory", "phonological", "featural"),
    "dataset_size",
    *("train_word_vocab_size", "dev_word_vocab_size", "test_word_vocab_size"),
    *("avg_train_sentence_length", "avg_dev_sentence_length", "avg_test_sentence_length"),
    *("train_dev_word_overlap", "train_test_word_overlap", "dev_test_word_overlap"),
    *("ttr_train", "ttr_dev", "ttr_test"),
    *("train_dev_ttr_distance", "train_test_ttr_distance", "dev_test_ttr_distance"),
)
"""NLPerf's features: URIEL distances, training-set size, and per split the word vocabulary
size, mean sentence length, word overlap, type-token ratio and its distance."""

UNSEEN_LANGUAGES = {
    "m2m100": (
        *("asm", "dik", "ewe", "fao", "hne", "kab", "kin", "kir", "lmo", "mri", "sna", "tat"),
        *("tel", "tgk", "tuk", "uig", "abs", "btk", "bew", "bhp", "mad", "mak", "min"),
    ),
    "nllb": ("abs", "btk", "bew", "bhp", "mad", "mak"),
}
"""Languages outside each large model's pre-training (the paper's lists)."""

SCORE_SUFFIXES = ("_mean", "_se")
"""Every score column (any model, any metric: `nusa` names COMET `comet_score`) ends so."""

STRATIFY = {"mt560": "same_domain", "nusa": "source_lang"}
"""The paper's random splits are stratified: MT560 on whether the test set comes from the
training set's domain (the `same_domain` column `prepare` adds), NusaTranslation on the
source language."""


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """The records with `same_domain` (training and test data set are the same)."""
    out = records.copy()  # one block per dtype: adding a column to a CSV's frame stays cheap
    out["same_domain"] = out["train_dataset"] == out["test_dataset"]
    return out


def feature_set(
    records: pd.DataFrame,
    model: str = "m2m100",
    metric: str = "spBLEU",
    test_records: pd.DataFrame | None = None,
) -> FeatureSet:
    """The paper's "all features" set for `model` and `metric` (every non-score column
    that varies across `records` and, for a cross-data-set test, that
    `test_records` also has; plus the four proxies' scores), with the NLPerf baseline."""
    if model not in MODELS or metric not in METRICS:
        raise LadderError(f"ProxyLM records: model in {MODELS}, metric in {METRICS}")
    features = [
        column
        for column in records.columns
        if column not in IDENTIFIERS
        and column != "same_domain"
        and not column.endswith(SCORE_SUFFIXES)
        and records[column].nunique() > 1
        and (test_records is None or column in test_records.columns)
    ]
    return FeatureSet(
        target=f"{model}_ft_{metric}_mean",
        proxies=tuple(f"{proxy}_{metric}_mean" for proxy in (*PROXY_MODELS, f"{model}_noft")),
        features=tuple(features),
        baseline_features=tuple(c for c in NLPERF_FEATURES if c in features),
    )
