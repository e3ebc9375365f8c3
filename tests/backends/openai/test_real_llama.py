"""Against a real llama-cpp-python server: every cell exact or a typed failure, never a wrong number.

Each vocabulary variant gets one tiny random-weight GGUF model (written by
``cje_fp.testing.write_tiny_model``) and one ``python -m llama_cpp.server`` on
127.0.0.1 for the session; ground truth comes from llama-cpp-python's Python
API on the same file. Needs the ``llama`` extra: skipped with the reason when
it is absent, failed under ``CJE_FP_REQUIRE_ALL=1``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Final, Literal

import attrs
import pytest

from cje_fp.backends.openai import DoctorReport, OpenAICompatiblePolicy, doctor
from cje_fp.testing._tiny_gguf import Vocabulary
from tests.helpers.boundary_pairs import BOUNDARY_PAIRS
from tests.helpers.cli import run_cli
from tests.helpers.real_llama import GroundTruth, llama_server, require_llama_cpp
from tests.helpers.real_llama_cells import Cell, Tally, describe_wrong, score_cells, verdict
from tests.helpers.scoring import scoring_rows, write_rows

#: Vocabulary variants: (vocabulary, BOS added).
VARIANTS: Final[dict[str, tuple[Vocabulary, bool]]] = {
    "bpe": ("bpe", True),
    "bpe_no_bos": ("bpe", False),
    "spm": ("spm", True),
}
TEMPLATES: Final = (None, "chatml", "llama3")


@attrs.frozen(kw_only=True)
class Served:
    """A running server for one variant, and the truth for its model."""

    base_url: str
    truth: GroundTruth


class Servers:
    """One server per variant, started on first use, all stopped by ``close``."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._stack = ExitStack()
        self._started: dict[str, Served] = {}

    def __getitem__(self, name: str) -> Served:
        if name not in self._started:
            from cje_fp.testing import write_tiny_model

            vocabulary, add_bos = VARIANTS[name]
            model = write_tiny_model(self._folder / f"{name}.gguf", vocabulary=vocabulary, add_bos=add_bos)
            url = self._stack.enter_context(llama_server(model, log=self._folder / f"{name}.log"))
            self._started[name] = Served(base_url=url, truth=GroundTruth(model))
        return self._started[name]

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The session's servers (skipped, or failed under CJE_FP_REQUIRE_ALL=1, without llama_cpp)."""
    require_llama_cpp()
    pool = Servers(tmp_path_factory.mktemp("llama"))
    try:
        yield pool
    finally:
        pool.close()


def _policy(
    served: Served,
    *,
    template: str | None = None,
    two_request_fallback: bool = False,
    batch_size: int = 1,
    max_tokens: Literal[0, 1] = 1,
    temperature: float = 1.0,
) -> OpenAICompatiblePolicy:
    return OpenAICompatiblePolicy(
        name="p",
        base_url=served.base_url,
        model="tiny",
        timeout=120.0,
        template=template,
        two_request_fallback=two_request_fallback,
        batch_size=batch_size,
        max_tokens=max_tokens,
        temperature=temperature,
    )


def _doctor(served: Served, **settings: Any) -> DoctorReport:
    with _policy(served, **settings) as policy:
        return doctor(policy)


def _check(report: DoctorReport, name: str) -> tuple[bool, str]:
    found = [check for check in report.checks if check.name == name]
    assert len(found) == 1, report.summary()
    return found[0].passed, found[0].detail


def _score(served: Served, pairs: Sequence[tuple[str, str]] = BOUNDARY_PAIRS, **settings: Any) -> list[Cell]:
    policy = _policy(served, **settings)
    try:
        return score_cells(policy, served.truth, pairs)
    finally:
        policy.close()


@pytest.mark.parametrize("fallback", [False, True], ids=["one_request", "two_request_fallback"])
@pytest.mark.parametrize("template", TEMPLATES, ids=["raw", "chatml", "llama3"])
@pytest.mark.parametrize("variant", ["bpe", "spm"])
def test_every_cell_is_exact_or_a_typed_failure(
    servers: Servers, variant: str, template: str | None, fallback: bool
) -> None:
    served = servers[variant]
    cells = _score(served, template=template, two_request_fallback=fallback)
    tally = Tally.of(cells)
    print(f"\n{variant} template={template} fallback={fallback}: {tally}")
    assert tally.wrong == 0, describe_wrong(cells)
    assert len(cells) == len(BOUNDARY_PAIRS) >= 50
    scorable = [cell for cell in cells if cell.truth is not None]
    if fallback or template is None:
        # Lost cells are few: most cells with a true value get it.
        assert tally.exact >= 0.8 * len(scorable), tally


def test_a_server_that_rejects_batches_is_sent_one_prompt_per_request(servers: Servers) -> None:
    served = servers["bpe"]
    # Greedy generation (the echoed log probs are raw either way): the token generated
    # after each prompt, which decides a few cells, is the same in both runs.
    batched = _score(served, batch_size=8, temperature=0.0)
    single = _score(served, batch_size=1, temperature=0.0)
    assert [cell.verdict for cell in batched] == [cell.verdict for cell in single]
    assert Tally.of(batched).wrong == 0 and Tally.of(batched).exact > 0


@pytest.mark.parametrize("template", [None, "chatml"])
def test_doctor_passes_a_correct_server(servers: Servers, template: str | None) -> None:
    report = _doctor(servers["bpe"], template=template)
    assert report.usable, report.summary()
    for name in ("generation", "non_ascii", "boundary", "repeatable"):
        assert _check(report, name)[0], report.summary()
    # A sampled token whose text dropped a partial UTF-8 byte ("\xa7a" from "façade" shows
    # as "a") is not the token teacher-forced back: that probe disagrees on a correct server,
    # so a mixed result warns and only a unanimous one refuses.
    [aligned] = [check for check in report.checks if check.name == "aligned"]
    assert aligned.passed or (not aligned.required and "agree" in aligned.detail), report.summary()
    passed, detail = _check(report, "batching")
    assert not passed and "one prompt per request" in detail
    assert report.temperature_semantics == "raw"


def test_doctor_passes_a_sentencepiece_server(servers: Servers) -> None:
    report = _doctor(servers["spm"], template="chatml", two_request_fallback=True)
    assert report.usable, report.summary()
    assert "two_request" in _check(report, "boundary")[1]


def test_doctor_says_when_only_the_two_request_fallback_places_the_response(servers: Servers) -> None:
    # SentencePiece on llama.cpp adds a space after each control token: offsets cannot place
    # the response, two requests can.
    report = _doctor(servers["spm"], template="chatml")
    passed, detail = _check(report, "boundary")
    assert not passed and "set two_request_fallback = true" in detail


def test_doctor_refuses_echoed_log_probs_paired_with_the_wrong_position(servers: Servers) -> None:
    report = _doctor(servers["bpe_no_bos"])
    assert not report.usable
    passed, detail = _check(report, "aligned")
    assert not passed and "another position" in detail
    # Without doctor's refusal these cells would be numbers, and wrong.
    assert Tally.of(_score(servers["bpe_no_bos"])).wrong > 0


def test_doctor_flags_unlimited_generation_at_max_tokens_zero(servers: Servers) -> None:
    report = _doctor(servers["bpe"], max_tokens=0)
    assert not report.usable
    passed, detail = _check(report, "generation")
    assert not passed and "set max_tokens = 1" in detail


def test_doctor_says_when_the_temperature_is_not_applied(servers: Servers) -> None:
    report = _doctor(servers["bpe"], temperature=0.7)
    passed, detail = _check(report, "temperature")
    assert not passed and "raw" in detail and report.temperature_semantics == "raw"
    assert report.usable  # advice: the run may still be what the user wants


def test_the_tiny_model_has_the_boundary_cases_the_suite_needs(servers: Servers) -> None:
    truth = servers["bpe"].truth
    # An emoji is split into byte tokens, a common word is one token.
    assert len(truth.tokens("\U0001f600")) >= 4 and len(truth.tokens(" the")) <= 2


def test_cells_are_judged_against_the_truth(servers: Servers) -> None:
    # The judge itself: a number off the truth is called wrong, an error failed.
    [cell] = _score(servers["bpe"], BOUNDARY_PAIRS[:1])
    assert cell.verdict == "exact" and cell.truth is not None and cell.value is not None
    assert verdict(cell.truth + 0.01, cell.truth) == "wrong" and verdict(None, cell.truth) == "failed"
    assert verdict(cell.value, None) == "wrong"  # a number where no token boundary exists


def _score_cli(served: Served, folder: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    config = folder / "config.toml"
    config.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{served.base_url}"\nmax_tokens = 1\ntimeout = 120\n'
        '[policies.base]\nmodel = "tiny"\n[policies.chat]\nmodel = "tiny"\ntemplate = "chatml"\n'
    )
    data = write_rows(folder / "data.jsonl", scoring_rows(4, failing=frozenset()))
    out = folder / "scored.jsonl"
    return run_cli("score", config, data, "--out", out, timeout=300), out


def test_score_refuses_the_shifted_server_before_writing_a_number(servers: Servers, tmp_path: Path) -> None:
    result, out = _score_cli(servers["bpe_no_bos"], tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "cannot be scored on" in message and "another position" in message
    assert not out.exists()


def test_score_probes_a_correct_server_and_records_what_it_measured(servers: Servers, tmp_path: Path) -> None:
    result, out = _score_cli(servers["bpe"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "temperature semantics raw" in result.stdout
    source = json.loads(out.read_text().splitlines()[0])["logprob_source"]["base"]
    assert source["temperature_semantics"] == "raw" and float(source["probe_log_prob"]) < 0
