"""``response_sum``'s fast path answers exactly what the full checks answer, for any echoed log probs."""

from __future__ import annotations

from hypothesis import given, strategies as st

from cje_fp.backends.openai._log_probs import log_prob_problem, response_sum, span_sum

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
    try:
        expected: object = problem if problem is not None else span_sum(log_probs, start, end)
    except OverflowError as error:  # fsum of finite values beyond float range: both raise
        expected = type(error)
    try:
        got: object = response_sum(log_probs, start, end)
    except OverflowError as error:
        got = type(error)
    assert repr(got) == repr(expected)  # NaN-aware: an InvalidLogProb(nan) equals itself
