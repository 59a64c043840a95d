"""A Hugging Face model's own tokenizer as an olmo_eval Tokenizer (what its tasks encode
requests with), read from local files only: a model folder's tokenizer files, or a bare
tokenizer.json.

olmo_eval's tasks encode without special tokens and prepend `bos_token_id` to every context
when it is set, so BOS is the token the tokenizer itself prepends (Llama's `<s>`, Llama 3's
`<|begin_of_text|>`), None for tokenizers that prepend none (GPT-NeoX/Pythia, SmolLM, Qwen):
each model is scored with the prefix it was trained with.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from olmo_eval import Tokenizer

from ladder.errors import LadderError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


def has_tokenizer(folder: Path) -> bool:
    """Whether a folder holds any Hugging Face tokenizer file."""
    return any((folder / name).is_file() for name in TOKENIZER_FILES)


class OwnTokenizer(Tokenizer):
    """olmo_eval's Tokenizer over a transformers tokenizer: its vocabulary (added tokens
    included), its own BOS (see the module), pad = its pad token, else EOS, else 0."""

    def __init__(self, base: PreTrainedTokenizerBase):
        self._base = base
        self._bos = prepended_token(base)

    @property
    def vocab_size(self) -> int:
        return len(self._base)

    @property
    def pad_token_id(self) -> int:
        return next(
            (i for i in (self._base.pad_token_id, self._base.eos_token_id) if i is not None), 0
        )

    @property
    def eos_token_id(self) -> int:
        eos = self._base.eos_token_id
        return self.pad_token_id if eos is None else eos

    @property
    def bos_token_id(self) -> int | None:
        return self._bos

    def encode_batch(
        self, inputs: Sequence[str], add_special_tokens: bool = True
    ) -> list[list[int]]:
        """Token ids, with the tokenizer's own special tokens when `add_special_tokens`."""
        encoded = self._base(list(inputs), add_special_tokens=add_special_tokens)
        return [list(ids) for ids in encoded["input_ids"]]

    def decode_batch(
        self, batch_token_ids: Sequence[Sequence[int]], skip_special_tokens: bool = True
    ) -> list[str]:
        return self._base.batch_decode(
            [list(ids) for ids in batch_token_ids],
            skip_special_tokens=skip_special_tokens,
            clean_up_tokenization_spaces=False,
        )


def prepended_token(base: PreTrainedTokenizerBase) -> int | None:
    """The token the tokenizer puts before a text when it adds special tokens, if any."""
    bare = base("a", add_special_tokens=False)["input_ids"]
    full = base("a")["input_ids"]
    prefix = len(full) > len(bare) and full[1 : 1 + len(bare)] == bare
    return int(full[0]) if prefix else None


def load_own_tokenizer(path: Path) -> OwnTokenizer:
    """The tokenizer of a Hugging Face folder, or of a tokenizer.json (with the special tokens
    of the tokenizer_config.json beside it, if there is one); LadderError if there is none or
    it does not load."""
    if path.name == "tokenizer.json" and (path.parent / "tokenizer_config.json").is_file():
        path = path.parent
    if path.is_dir() and not has_tokenizer(path):
        raise LadderError(
            f"{path}: no tokenizer files ({', '.join(TOKENIZER_FILES)}); name one with "
            "--tokenizer-file (a tokenizer.json or a folder) or --tokenizer"
        )
    if not path.exists():
        raise LadderError(f"tokenizer {path}: no such file or folder")
    try:
        return OwnTokenizer(_transformers_tokenizer(path))
    except Exception as exc:  # transformers raises anything from OSError to KeyError
        raise LadderError(f"{path}: cannot load its tokenizer ({exc})") from exc


def _transformers_tokenizer(path: Path) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    if path.is_file():
        return PreTrainedTokenizerFast(tokenizer_file=str(path))
    return AutoTokenizer.from_pretrained(path, local_files_only=True)
