"""One choice of a ``/v1/completions`` answer: echoed tokens, log probs, offsets, quirks applied."""

from __future__ import annotations

import math
from collections.abc import Sequence

from cje_fp.testing._markers import PROMPT_FAULTS
from cje_fp.testing._model import GENERATED_TOKEN, token_log_prob, tokenize
from cje_fp.testing._state import ServerState


def _render_token(token: str, quirks: Sequence[str]) -> str:
    if "bpe_tokens" in quirks:
        return token.replace(" ", "Ġ").replace("\n", "Ċ")
    if "bytes_tokens" in quirks and not token.isascii():
        return "bytes:" + "".join(f"\\x{byte:02x}" for byte in token.encode("utf-8"))
    return token


def _normalised(prompt: str, quirks: Sequence[str]) -> str:
    if "echo_crlf" in quirks:
        return prompt.replace("\r\n", "\n")
    if "echo_whitespace" in quirks:
        return " ".join(prompt.split())
    if "echo_mismatch" in quirks:
        return "[echo]" + prompt
    return prompt


def _noise(scale: float, serial: int, index: int) -> float:
    """A deterministic non-negative perturbation that differs between requests."""
    return scale * ((serial * 7919 + index * 104729) % 1000) / 1000.0 if scale else 0.0


def choice(
    state: ServerState, index: int, prompt: str, *, model: str, echo: bool, max_tokens: int, serial: int
) -> dict[str, object]:
    config = state.config
    model = model + config.revision  # another revision: the same names, other weights
    quirks = state.faults(prompt, PROMPT_FAULTS)
    text = _normalised(prompt, quirks)
    prompt_tokens = tokenize(text) if echo and not config.generated_only else []
    values: list[float | None] = [
        token_log_prob(model, token) - _noise(config.noise, serial, i)
        for i, token in enumerate(prompt_tokens)
    ]
    if values:
        values[0] = None
    tokens = [_render_token(token, quirks) for token in prompt_tokens]
    offsets = [0]
    for token in prompt_tokens:
        offsets.append(offsets[-1] + len(token))
    offsets.pop()
    echoed = text if prompt_tokens else ""
    shift = 0
    if "bos" in quirks and prompt_tokens:
        # vLLM: the BOS token is echoed and counted in the offsets, not in the text.
        shift = len("<s>")
        tokens, values = ["<s>", *tokens], [None, token_log_prob(model, prompt_tokens[0]), *values[1:]]
        offsets = [0, *(offset + shift for offset in offsets)]
    tokens += [GENERATED_TOKEN] * max_tokens
    # Generated with the same log prob it has when echoed (``doctor`` checks that).
    values += [token_log_prob(model, GENERATED_TOKEN)] * max_tokens
    offsets += [shift + len(echoed) + len(GENERATED_TOKEN) * i for i in range(max_tokens)]
    if values and "nan" in quirks:
        values[-1 - max_tokens] = math.nan
    if values and "positive" in quirks:
        values[-1 - max_tokens] = 0.25
    if values and "null_logprob" in quirks:
        values[-1 - max_tokens] = None
    if "short_logprobs" in quirks:
        values = values[:-1]
    logprobs: dict[str, object] = {"tokens": tokens, "token_logprobs": values}
    if config.text_offset and not {"bpe_tokens", "bytes_tokens", "no_offsets"} & set(quirks):
        logprobs["text_offset"] = offsets
    if config.top_logprobs:
        # zip without strict: the short_logprobs quirk gives fewer values than tokens on purpose.
        logprobs["top_logprobs"] = [None if v is None else {t: v} for t, v in zip(tokens, values, strict=False)]
    return {
        "index": index,
        "text": echoed + GENERATED_TOKEN * max_tokens,
        "logprobs": None if "missing_logprobs" in quirks else logprobs,
        "finish_reason": "length",
        "stop_reason": None,
    }
