from __future__ import annotations

import math

import pytest
from returns.result import Success

from cje_fp import MultiTargetSampler, TabularPolicy, dataset_from_batch
from cje_fp.errors._log_prob import Timeout, Unauthorized
from cje_fp.policy._faults import Fault, FaultPlan, inject_faults

PROMPTS = [f"p{i}" for i in range(60)]
BASE = TabularPolicy(name="base", table={p: {"a": math.log(0.5), "b": math.log(0.5)} for p in PROMPTS})
TARGET = TabularPolicy(name="t", table={p: {"a": math.log(0.7), "b": math.log(0.3)} for p in PROMPTS})


def test_failures_become_missing_cells_with_their_kind() -> None:
    plan = FaultPlan(faults=(Fault(outcome=Unauthorized(), rate=0.1), Fault(outcome=Timeout(), rate=0.1)), seed=5)
    sampler = MultiTargetSampler(policies=[BASE, inject_faults(TARGET, plan)], base_policy_name="base")
    samples = [(p, p, "a" if i % 2 else "b") for i, p in enumerate(PROMPTS)]
    batch = sampler.process_batch(samples, max_concurrency=1)
    dataset = dataset_from_batch(batch, judge_scores=[0.5] * len(PROMPTS))
    failures = batch.failures_by_policy["t"]
    assert sum(failures.values()) > 0
    assert dataset.targets["t"].excluded_by_reason() == dict(failures)
    assert int(dataset.usable_mask("t").sum()) == len(PROMPTS) - sum(failures.values())
    for row, result in enumerate(batch.results):
        if isinstance(result.log_probs["t"], Success):
            assert dataset.targets["t"].values[row] == TARGET.table[result.sample_id][samples[row][2]]
    assert dataset.prompt_ids == tuple(PROMPTS)


def test_column_lengths_must_match() -> None:
    batch = MultiTargetSampler(policies=[BASE, TARGET], base_policy_name="base").process_batch([("x", "p0", "a")])
    with pytest.raises(ValueError, match="judge_scores has 2 entries for 1 samples"):
        dataset_from_batch(batch, judge_scores=[0.1, 0.2])
