"""Tokenizers, offline: OLMo-core's token ids for a named tokenizer, and its JSON file.

ai2-olmo-eval ships OLMo's GPT-NeoX-based tokenizer (`gpt_neox_olmo_dolma_v1_5`) as a JSON
file, so that one needs no download; for any other tokenizer (the paper's `dolma2`) give the
path of its tokenizer.json. Nothing here reaches a hub.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.errors import LadderError
from ladder.spec.train import TokenizerSpec

if TYPE_CHECKING:
    from olmo_core.data import TokenizerConfig
    from olmo_eval import HFTokenizer

BUNDLED_FILES = {"gpt_neox_olmo_dolma_v1_5": "tokenizers/allenai_gpt-neox-olmo-dolma-v1_5.json"}
_KEEP_OPEN = ExitStack()  # olmo_eval's packaged files, extracted for the process's lifetime


def token_config_names() -> list[str]:
    """The tokenizers OLMo-core's TokenizerConfig names (not from_hf: it reads a hub)."""
    from olmo_core.data import TokenizerConfig

    return sorted(
        name
        for name, member in vars(TokenizerConfig).items()
        if isinstance(member, classmethod) and name != "from_hf" and not name.startswith("_")
    )


def token_config(spec: TokenizerSpec) -> TokenizerConfig:
    """OLMo-core's TokenizerConfig (vocabulary size, eos/pad/bos ids) of a named tokenizer."""
    from olmo_core.data import TokenizerConfig

    if spec.name not in token_config_names():
        raise LadderError(
            f"unknown tokenizer {spec.name!r}: one of {', '.join(token_config_names())} "
            "(OLMo-core's; for a Hugging Face model's own, give its folder or tokenizer.json "
            "with --tokenizer-file)"
        )
    return getattr(TokenizerConfig, spec.name)()


def tokenizer_file(spec: TokenizerSpec) -> Path:
    """The tokenizer's JSON file: the spec's, or the one bundled with ai2-olmo-eval."""
    if spec.file is not None:
        if not spec.file.is_file():
            raise LadderError(f"tokenizer file {spec.file}: no such file")
        return spec.file
    if spec.name not in BUNDLED_FILES:
        raise LadderError(
            f"tokenizer {spec.name!r} is not bundled offline; give its tokenizer.json "
            "(train.tokenizer.file, or --tokenizer-file)"
        )
    import importlib.resources

    resource = importlib.resources.files("olmo_eval").joinpath(BUNDLED_FILES[spec.name])
    return _KEEP_OPEN.enter_context(importlib.resources.as_file(resource))


def load_tokenizer(spec: TokenizerSpec) -> HFTokenizer:
    """An olmo_eval HFTokenizer (what its tasks encode requests with), loaded from file."""
    from olmo_eval import HFTokenizer

    ids = token_config(spec)
    return HFTokenizer(
        str(tokenizer_file(spec)),
        pad_token_id=ids.pad_token_id,
        eos_token_id=ids.eos_token_id,
        bos_token_id=ids.bos_token_id,
        vocab_size=ids.vocab_size,
    )
