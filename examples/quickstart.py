"""Score logged responses under a base and two target policies, with failures kept.

Run: ``python examples/quickstart.py``
"""

from __future__ import annotations

import math

from returns.result import Failure, Success

from cje_fp import MultiTargetSampler, TabularPolicy, retrying, sealed, validated
from cje_fp.errors._log_prob import ServerError, Unauthorized
from cje_fp.testing import Fault, FaultPlan, inject_faults

# Exact in-process policies: log P(response | prompt) read from a table.
prompts = [f"question {index}" for index in range(200)]
base = TabularPolicy(name="base", table={p: {"short": math.log(0.7), "long": math.log(0.3)} for p in prompts})
concise = TabularPolicy(name="concise", table={p: {"short": math.log(0.9), "long": math.log(0.1)} for p in prompts})
verbose = TabularPolicy(name="verbose", table={p: {"short": math.log(0.2), "long": math.log(0.8)} for p in prompts})

# A flaky backend: 10% of calls hit a 503 twice (a retry outlasts it), 2% are refused for good.
faults = FaultPlan(
    faults=(Fault(outcome=ServerError(status=503), rate=0.10, times=2), Fault(outcome=Unauthorized(), rate=0.02)),
    seed=0,
)
policies = [
    retrying(inject_faults(validated(policy), faults), max_attempts=4, sleep=lambda seconds: None)
    for policy in (base, concise, verbose)
]

sampler = MultiTargetSampler(policies=policies, base_policy_name="base", max_concurrency=8)
samples = [(f"row-{i}", prompt, "short" if i % 3 else "long") for i, prompt in enumerate(prompts)]
batch = sampler.process_batch(samples)

print(batch.summary())
for result in batch.results[:3]:
    for target, log_weight in result.log_weights.items():
        match sealed(log_weight):
            case Success(value):
                print(f"{result.sample_id} {target}: log weight {value:+.3f}")
            case Failure(error):
                print(f"{result.sample_id} {target}: no weight ({error.kind}: {error.error.kind})")
column = batch.to_arrays("concise")
print(f"concise: {column.log_weights.size} valid log weights, excluded {dict(column.excluded_by_reason)}")
