"""Small scored CJE JSONL files with a known answer: one target the logs support, one they cannot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def write_scored_file(path: Path, *, n: int = 400, seed: int = 3) -> Path:
    """``close`` (log weights N(-0.045, 0.3²): mean weight 1, estimable) and ``far`` (sd 3: refused)."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(-40.0, -5.0, size=n)
    judge = rng.uniform(0.0, 1.0, size=n)
    oracle = np.clip(judge + rng.normal(0.0, 0.1, size=n), 0.0, 1.0)
    close = base + rng.normal(-0.045, 0.3, size=n)
    far = base + rng.normal(-4.5, 3.0, size=n)
    with path.open("w") as handle:
        for i in range(n):
            row = {
                "prompt_id": f"p{i}",
                "prompt": f"question {i}",
                "response": f"answer {i}",
                "base_policy_logprob": float(base[i]),
                "target_policy_logprobs": {"close": float(close[i]), "far": float(far[i])},
                "judge_score": float(judge[i]),
                "oracle_label": float(oracle[i]) if i % 2 == 0 else None,
            }
            handle.write(json.dumps(row) + "\n")
    return path
