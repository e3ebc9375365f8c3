"""A real llama-cpp-python server on 127.0.0.1 and ground truth from its Python API.

Test helpers, not tests. ``llama_cpp`` is optional: ``require_llama_cpp()``
skips (with the reason) when it is absent, or fails when ``CJE_FP_REQUIRE_ALL=1``.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs
import numpy as np
import pytest

if TYPE_CHECKING:
    from llama_cpp import Llama

INSTALL_HINT: Final = 'CMAKE_ARGS="-DLLAVA_BUILD=OFF" pip install -e ".[dev,llama]"'
CONTEXT_LENGTH: Final = 2048


def require_llama_cpp() -> None:
    """Skip the calling test (or fail it under ``CJE_FP_REQUIRE_ALL=1``) without llama_cpp and gguf."""
    missing = [name for name in ("llama_cpp", "gguf") if not _importable(name)]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not installed: {INSTALL_HINT}"
    if os.environ.get("CJE_FP_REQUIRE_ALL") == "1":
        pytest.fail(f"CJE_FP_REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def llama_server(model: Path, *, log: Path, startup_timeout: float = 120.0) -> Iterator[str]:
    """Run ``python -m llama_cpp.server`` for ``model``; yield its ``/v1`` base URL."""
    port = _free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", "tiny",
        "--host", "127.0.0.1", "--port", str(port),
        "--logits_all", "true", "--n_ctx", str(CONTEXT_LENGTH), "--n_threads", "1",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2.0) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server not ready: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@attrs.frozen(kw_only=True)
class Truth:
    """The true ``log P(scored | context)``, or ``None`` when the scored text is not
    exactly a run of the prompt's last tokens (then only a typed failure is right)."""

    log_prob: float | None
    n_tokens: int


class GroundTruth:
    """Log probs computed in process by llama-cpp-python, as the server tokenizes."""

    def __init__(self, model: Path) -> None:
        from llama_cpp import Llama

        self._llm: Llama = Llama(str(model), logits_all=True, n_ctx=CONTEXT_LENGTH, n_threads=1, verbose=False)

    def tokens(self, text: str) -> list[int]:
        """The prompt's tokens as the server's completion endpoint makes them."""
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    def truth(self, context: str, scored: str) -> Truth:
        """Sum of log-softmax of the previous position's logits over the scored text's tokens."""
        tokens = self.tokens(context + scored)
        llm = self._llm
        skip = 1 if tokens and tokens[0] == llm.token_bos() else 0
        pieces = [llm.detokenize([token], special=True) for token in tokens[skip:]]
        boundary = _boundary_index(pieces, context.encode("utf-8"), scored.encode("utf-8"))
        if boundary is None or skip + boundary == 0 or skip + boundary >= len(tokens):
            return Truth(log_prob=None, n_tokens=0)
        start = skip + boundary
        llm.reset()
        llm.eval(tokens)
        logits = np.asarray(llm.scores[: len(tokens)], dtype=np.float64)
        total = 0.0
        for position in range(start, len(tokens)):
            row = logits[position - 1]
            top = row.max()
            log_norm = top + math.log(float(np.exp(row - top).sum()))
            total += float(row[tokens[position]] - log_norm)
        return Truth(log_prob=total, n_tokens=len(tokens) - start)


def _boundary_index(pieces: Sequence[bytes], context: bytes, scored: bytes) -> int | None:
    """The index of the first token of ``scored``: its tokens spell it exactly, and the
    tokens before spell the context (up to the spaces a SentencePiece tokenizer adds
    before each run of text)."""
    for index in range(len(pieces)):
        if b"".join(pieces[index:]) == scored:
            head = b"".join(pieces[:index])
            if head == context or head.replace(b" ", b"") == context.replace(b" ", b""):
                return index
            return None
    return None
