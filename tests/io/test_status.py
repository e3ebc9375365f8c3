"""The status ``score`` writes per cell becomes the reason a null log prob is missing."""

from __future__ import annotations

import json
from pathlib import Path

from cje_fp.io import load_dataset
from tests.helpers.results import value_of


def test_null_log_probs_take_their_reason_from_the_scoring_status(tmp_path: Path) -> None:
    rows = [
        {
            "prompt": "q1", "response": "a", "prompt_id": "1", "base_policy_logprob": -1.0,
            "target_policy_logprobs": {"t": None, "u": -2.0},
            "logprob_status": {"base": "ok", "t": "timeout", "u": "ok"},
        },
        {
            "prompt": "q2", "response": "b", "prompt_id": "2", "base_policy_logprob": None,
            "target_policy_logprobs": {"t": -1.0, "u": None},
            "logprob_status": {"base": "unauthorized", "t": "ok", "u": "ok"},
        },
        {
            "prompt": "q3", "response": "c", "prompt_id": "3", "base_policy_logprob": -1.0,
            "target_policy_logprobs": {"t": -1.0, "u": None},
        },
    ]
    path = tmp_path / "scored.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    dataset = value_of(load_dataset(path))
    assert dataset.targets["t"].excluded_by_reason() == {"timeout": 1}
    assert dataset.base.excluded_by_reason() == {"unauthorized": 1}
    assert dataset.targets["u"].excluded_by_reason() == {"null": 2}
