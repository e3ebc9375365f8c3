"""The status ``score`` writes per cell becomes the reason a null log prob is missing."""

from __future__ import annotations

from pathlib import Path

from cje_fp.io import load_dataset
from tests.helpers import value_of


def test_null_log_probs_take_their_reason_from_the_scoring_status(tmp_path: Path) -> None:
    rows = [
        '{"prompt": "q1", "response": "a", "prompt_id": "1", "base_policy_logprob": -1.0,'
        ' "target_policy_logprobs": {"t": null, "u": -2.0},'
        ' "logprob_status": {"base": "ok", "t": "timeout", "u": "ok"}}',
        '{"prompt": "q2", "response": "b", "prompt_id": "2", "base_policy_logprob": null,'
        ' "target_policy_logprobs": {"t": -1.0, "u": null},'
        ' "logprob_status": {"base": "unauthorized", "t": "ok", "u": "ok"}}',
        '{"prompt": "q3", "response": "c", "prompt_id": "3", "base_policy_logprob": -1.0,'
        ' "target_policy_logprobs": {"t": -1.0, "u": null}}',
    ]
    path = tmp_path / "scored.jsonl"
    path.write_text("\n".join(rows) + "\n")
    dataset = value_of(load_dataset(path))
    assert dataset.targets["t"].excluded_by_reason() == {"timeout": 1}
    assert dataset.base.excluded_by_reason() == {"unauthorized": 1}
    assert dataset.targets["u"].excluded_by_reason() == {"null": 2}
