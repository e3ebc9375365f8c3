from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest
from returns.result import Success

from cje_fp.backends._tabular import TabularPolicy
from cje_fp.errors._log_prob import InvalidInput
from tests.conftest import error_of

TABLE = {"q": {"a": math.log(0.25), "b": math.log(0.75)}}


def test_reads_exact_log_probs_both_ways() -> None:
    policy = TabularPolicy(name="t", table=TABLE)
    assert policy.compute_log_prob("q", "b") == Success(math.log(0.75))
    assert asyncio.run(policy.compute_log_prob_async("q", "a")) == Success(math.log(0.25))


def test_unknown_context_or_response_is_a_failure_not_a_number() -> None:
    policy = TabularPolicy(name="t", table=TABLE)
    assert error_of(policy.compute_log_prob("other", "a")) == InvalidInput(
        field="context", reason="not in table of t"
    )
    unknown = error_of(policy.compute_log_prob("q", "c"))
    assert isinstance(unknown, InvalidInput) and unknown.field == "response"


@pytest.mark.parametrize(
    "table",
    [
        {"q": {"a": 0.1}},
        {"q": {"a": math.nan}},
        {"q": {"a": -math.inf}},
        {"q": {"a": math.log(0.6), "b": math.log(0.6)}},
        {"q": {}},
    ],
)
def test_rejects_tables_that_are_not_distributions(table: dict[str, dict[str, float]]) -> None:
    with pytest.raises(ValueError, match="context 'q'"):
        TabularPolicy(name="t", table=table)


def test_the_table_is_copied() -> None:
    source = {"q": {"a": -1.0}}
    policy = TabularPolicy(name="t", table=source)
    source["q"]["a"] = -5.0
    assert policy.compute_log_prob("q", "a") == Success(-1.0)


def test_sampling_follows_the_probabilities() -> None:
    policy = TabularPolicy(name="t", table=TABLE)
    rng = np.random.default_rng(0)
    draws = [policy.sample("q", rng) for _ in range(4000)]
    share_b = draws.count("b") / len(draws)
    assert abs(share_b - 0.75) < 4 * math.sqrt(0.75 * 0.25 / len(draws))
    assert policy.responses("q") == ("a", "b")
    np.testing.assert_allclose(policy.probabilities("q"), [0.25, 0.75])
