"""The slow path: a rejected line keeps its usable cells, reports each bad field, and names its extras."""

from __future__ import annotations

from typing import Any

import msgspec

from cje_fp.io._cells import slow_record
from cje_fp.io._problems import ProblemList
from cje_fp.io._schema import Schema


def _slow(line: bytes) -> tuple[Any, list[str], list[str]]:
    sink = ProblemList()
    schema = Schema.build("judge_score", "oracle_label", [])
    record, extras = slow_record(sink, 7, line, ValueError("rejected"), schema, judge_field="judge_score", oracle_field="oracle_label")
    return record, extras, [problem.describe() for problem in sink.problems]


def test_usable_cells_survive_beside_the_bad_ones() -> None:
    record, extras, problems = _slow(
        b'{"prompt": "q", "response": 5, "base_policy_logprob": -1.5, "target_policy_logprobs": {"t": "x", "u": -2.0},'
        b' "judge_score": null, "metadata": {"judge_score": 0.25, "note": "n"}, "model": "m"}'
    )
    assert problems == [
        "line 7: response: wrong_type: Expected `str`, got `int`",
        "line 7: target_policy_logprobs.t: wrong_type: Expected `float | null`, got `str`",
    ]
    assert sorted(extras) == ["metadata.note", "model"]
    assert record.base_policy_logprob == -1.5
    assert record.target_policy_logprobs == {"t": msgspec.UNSET, "u": -2.0}
    assert record.judge is msgspec.UNSET and record.metadata.judge == 0.25


def test_a_line_that_is_not_an_object_has_no_record() -> None:
    assert _slow(b"[1]") == (None, [], ["line 7: <line>: not_an_object: a JSON list, not an object"])
    record, _, problems = _slow(b'{"prompt": "q", "response": "a", "metadata": 3, "prompt_id": ""}')
    assert problems == ["line 7: metadata: wrong_type: expected an object", "line 7: prompt_id: wrong_type: prompt_id is empty"]
    assert record.prompt_id == "<bad id, line 7>"
