"""Write a tiny random-weight llama GGUF model, to run a real llama.cpp server in tests.

Two layers, hidden size 64, 4 heads: it loads in well under a second and its
log probs are as arbitrary as a real model's, which is all teacher forcing
needs to be checked against. Two vocabularies, both trained here on a small
multilingual text so that common Latin text merges into longer tokens while
emoji, CJK and most other scripts stay split into byte tokens (the hard case):

- ``"bpe"``: byte-level BPE (GPT-2 style, ``tokenizer.ggml.model = gpt2``):
  256 byte tokens, ``n_merges`` merges, and chat control tokens
  (``<|im_start|>``, ``<|im_end|>``, ``<|begin_of_text|>``, ...);
- ``"spm"``: SentencePiece style (``tokenizer.ggml.model = llama``): ``▁`` for
  spaces, a leading space added to the text, ``<0xNN>`` byte fallback tokens.

``add_bos`` says whether the tokenizer puts a BOS token first.

Needs the optional ``gguf`` package (``pip install cje-fp[llama]``).

>>> import tempfile, pathlib
>>> vocab = bpe_vocabulary(n_merges=20)
>>> len(vocab.tokens) == 256 + 20 + len(CONTROL_TOKENS), vocab.tokens[vocab.bos_id]
(True, '<|begin_of_text|>')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Literal, TypeAlias

import attrs
import numpy as np

Vocabulary: TypeAlias = Literal["bpe", "spm"]

#: Control tokens of the BPE vocabulary (the first is BOS, the second EOS).
CONTROL_TOKENS: Final = (
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
)

#: The text both vocabularies are trained on: a little of several scripts.
TRAINING_TEXT: Final = (
    "Question: What is the capital of France?\nAnswer: The capital of France is Paris. "
    "The answer is yes. The answer is no. Hello there, how are you today? I am fine, thank you. "
    "User: please explain the result.\nAssistant: Sure, here is the explanation of the result. "
    "Café, naïve, résumé, über, façade, jalapeño, Ångström, déjà vu. "
    "system user assistant the and of to in is that it for on with as was at by an be this "
    "Über die Brücke gehen wir. El niño está en la escuela. Le garçon mange une pomme. "
    "def main():\n    return 0\n\tindented with a tab\r\nwindows line\n"
    "1 + 1 = 2, 2 + 2 = 4, 10 * 10 = 100. Mood: great, good, bad. "
)

_CONTEXT_LENGTH: Final = 2048
_HIDDEN: Final = 64
_HEADS: Final = 4
_LAYERS: Final = 2
_FEED_FORWARD: Final = 128


@attrs.frozen(kw_only=True)
class TinyVocabulary:
    """Tokens, their types and (BPE) merges or (SentencePiece) scores."""

    model: Literal["gpt2", "llama"]
    tokens: tuple[str, ...]
    token_types: tuple[int, ...]
    merges: tuple[str, ...] = ()
    scores: tuple[float, ...] = ()
    bos_id: int
    eos_id: int
    unknown_id: int | None = None


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in character for each byte."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {byte: chr(byte) for byte in printable}
    extra = 0
    for byte in range(256):
        if byte not in table:
            table[byte] = chr(256 + extra)
            extra += 1
    return table


def _learn_merges(words: Sequence[tuple[str, ...]], n_merges: int) -> list[tuple[str, str]]:
    """Plain BPE training: repeatedly merge the most frequent adjacent pair."""
    corpus = Counter(words)
    merges: list[tuple[str, str]] = []
    while len(merges) < n_merges:
        pairs: Counter[tuple[str, str]] = Counter()
        for word, count in corpus.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = max(pairs.items(), key=lambda item: (item[1], item[0]))[0]
        merges.append(best)
        merged: Counter[tuple[str, ...]] = Counter()
        for word, count in corpus.items():
            out: list[str] = []
            index = 0
            while index < len(word):
                if index + 1 < len(word) and (word[index], word[index + 1]) == best:
                    out.append(word[index] + word[index + 1])
                    index += 2
                else:
                    out.append(word[index])
                    index += 1
            merged[tuple(out)] += count
        corpus = merged
    return merges


def _words(text: str) -> list[str]:
    """Words with their leading space, as a GPT-2 style pre-tokenizer would cut them."""
    words: list[str] = []
    current = ""
    for char in text:
        if char.isspace() or not char.isalnum():
            if current:
                words.append(current)
            current = char
        else:
            current += char
    if current:
        words.append(current)
    return words


def bpe_vocabulary(*, n_merges: int = 300) -> TinyVocabulary:
    """A byte-level BPE vocabulary: 256 byte tokens, ``n_merges`` merges, then control tokens."""
    table = _bytes_to_unicode()
    words = [tuple(table[byte] for byte in word.encode("utf-8")) for word in _words(TRAINING_TEXT)]
    merges = _learn_merges(words, n_merges)
    tokens = [table[byte] for byte in range(256)] + [a + b for a, b in merges]
    types = [1] * len(tokens)
    bos_id = len(tokens)
    tokens += CONTROL_TOKENS
    types += [3] * len(CONTROL_TOKENS)
    return TinyVocabulary(
        model="gpt2",
        tokens=tuple(tokens),
        token_types=tuple(types),
        merges=tuple(f"{a} {b}" for a, b in merges),
        bos_id=bos_id,
        eos_id=bos_id + 1,
    )


def spm_vocabulary(*, n_merges: int = 300) -> TinyVocabulary:
    """A SentencePiece-style vocabulary: ``<unk>``, ``<s>``, ``</s>``, 256 ``<0xNN>`` byte
    tokens, single characters of the training text, merged pieces scored by rank, then
    the chat control tokens (``<|im_start|>``...)."""
    text = TRAINING_TEXT.replace(" ", "▁")
    chars = sorted({char for char in text if char.isprintable() and char not in "\r\n\t"} | {"▁"})
    words = [tuple(word) for word in _words("▁" + text.replace("▁", " ")) ]
    words = [tuple("▁" if char == " " else char for char in word) for word in words]
    words = [word for word in words if all(char in chars for char in word)]
    merges = _learn_merges(words, n_merges)
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{byte:02X}>" for byte in range(256)]
    types = [2, 3, 3] + [6] * 256
    scores = [0.0, 0.0, 0.0] + [0.0] * 256
    seen = set(tokens)
    for rank, piece in enumerate([*chars, *(a + b for a, b in merges)]):
        if piece in seen:
            continue
        seen.add(piece)
        tokens.append(piece)
        types.append(1)
        # Characters score low, longer merges learned earlier score higher.
        scores.append(-1000.0 - rank if len(piece) == 1 else -float(rank))
    tokens += CONTROL_TOKENS[2:]
    types += [3] * len(CONTROL_TOKENS[2:])
    scores += [0.0] * len(CONTROL_TOKENS[2:])
    return TinyVocabulary(
        model="llama",
        tokens=tuple(tokens),
        token_types=tuple(types),
        scores=tuple(scores),
        bos_id=1,
        eos_id=2,
        unknown_id=0,
    )


def _tensors(n_vocab: int, seed: int) -> dict[str, np.ndarray[tuple[int, ...], np.dtype[np.float32]]]:
    rng = np.random.default_rng(seed)

    def normal(*shape: int, scale: float) -> np.ndarray[tuple[int, ...], np.dtype[np.float32]]:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    ones = np.ones(_HIDDEN, dtype=np.float32)
    tensors = {
        "token_embd.weight": normal(n_vocab, _HIDDEN, scale=1.0),
        "output_norm.weight": ones,
        "output.weight": normal(n_vocab, _HIDDEN, scale=0.3),
    }
    for layer in range(_LAYERS):
        block = f"blk.{layer}"
        tensors |= {
            f"{block}.attn_norm.weight": ones,
            f"{block}.attn_q.weight": normal(_HIDDEN, _HIDDEN, scale=0.3),
            f"{block}.attn_k.weight": normal(_HIDDEN, _HIDDEN, scale=0.3),
            f"{block}.attn_v.weight": normal(_HIDDEN, _HIDDEN, scale=0.3),
            f"{block}.attn_output.weight": normal(_HIDDEN, _HIDDEN, scale=0.1),
            f"{block}.ffn_norm.weight": ones,
            f"{block}.ffn_gate.weight": normal(_FEED_FORWARD, _HIDDEN, scale=0.2),
            f"{block}.ffn_up.weight": normal(_FEED_FORWARD, _HIDDEN, scale=0.2),
            f"{block}.ffn_down.weight": normal(_HIDDEN, _FEED_FORWARD, scale=0.1),
        }
    return tensors


def write_tiny_model(
    path: Path, *, vocabulary: Vocabulary = "bpe", add_bos: bool = True, n_merges: int = 300, seed: int = 0
) -> Path:
    """Write the model to ``path`` (a ``.gguf`` file) and return ``path``."""
    import gguf  # optional dependency: imported only when a model is written

    vocab = bpe_vocabulary(n_merges=n_merges) if vocabulary == "bpe" else spm_vocabulary(n_merges=n_merges)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(f"cje-fp tiny {vocabulary} bos={add_bos}")
    writer.add_context_length(_CONTEXT_LENGTH)
    writer.add_embedding_length(_HIDDEN)
    writer.add_block_count(_LAYERS)
    writer.add_feed_forward_length(_FEED_FORWARD)
    writer.add_head_count(_HEADS)
    writer.add_head_count_kv(_HEADS)
    writer.add_rope_dimension_count(_HIDDEN // _HEADS)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_vocab_size(len(vocab.tokens))
    writer.add_tokenizer_model(vocab.model)
    if vocab.model == "gpt2":
        writer.add_tokenizer_pre("gpt-2")
        writer.add_token_merges(list(vocab.merges))
    else:
        writer.add_token_scores(list(vocab.scores))
        writer.add_add_space_prefix(True)
        if vocab.unknown_id is not None:
            writer.add_unk_token_id(vocab.unknown_id)
    writer.add_token_list(list(vocab.tokens))
    writer.add_token_types(list(vocab.token_types))
    writer.add_bos_token_id(vocab.bos_id)
    writer.add_eos_token_id(vocab.eos_id)
    writer.add_add_bos_token(add_bos)
    writer.add_add_eos_token(False)
    for name, tensor in _tensors(len(vocab.tokens), seed).items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
