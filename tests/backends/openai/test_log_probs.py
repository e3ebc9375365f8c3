"""``response_sum``'s fast path answers exactly what the full checks answer, for any echoed log probs."""

from __future__ import annotations

import math

from hypothesis import given, strategies as st

from cje_fp.backends.openai._log_probs import log_prob_problem, response_sum, span_sum
from cje_fp.errors import InvalidLogProb

values = st.one_of(
    st.none(),
    st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 0.5, -1e308, -0.0]),
)


@given(st.lists(values, min_size=1, max_size=12), st.data())
def test_the_fast_path_answers_what_the_checks_answer(log_probs: list[float | None], data: st.DataObject) -> None:
    end = data.draw(st.integers(min_value=1, max_value=len(log_probs)))
    start = data.draw(st.integers(min_value=0, max_value=end - 1))
    problem = log_prob_problem(log_probs, end)
    expected = problem if problem is not None else span_sum(log_probs, start, end)
    assert repr(response_sum(log_probs, start, end)) == repr(expected)  # NaN-aware: InvalidLogProb(nan)


def test_valid_log_probs_whose_sum_is_below_the_float_range_are_a_typed_failure() -> None:
    assert response_sum([None, -1e308, -1e308], 1, 3) == InvalidLogProb(value=-math.inf)

