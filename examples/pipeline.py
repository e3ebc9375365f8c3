"""Logged rows to an estimate in one ``flow``, then the same in async with ``FutureResult``."""

import asyncio
import math
import random

from returns.pipeline import flow
from returns.pointfree import bind_result, map_
from returns.result import Failure, Success

from cje_fp import MultiTargetSampler, TabularPolicy, retrying, sealed, validated
from cje_fp.errors import settled
from cje_fp.estimation import estimated
from cje_fp.scoring import scored_future, to_dataset

prompts = [f"question {i}" for i in range(2000)]
base = TabularPolicy(name="base", table={p: {"good": math.log(0.5), "bad": math.log(0.5)} for p in prompts})
better = TabularPolicy(name="better", table={p: {"good": math.log(0.8), "bad": math.log(0.2)} for p in prompts})
rng = random.Random(0)
samples = [(p, p, rng.choice(["good", "bad"])) for p in prompts]
rewards = [1.0 if response == "good" else 0.0 for _, _, response in samples]
sampler = MultiTargetSampler(policies=[retrying(validated(p)) for p in (base, better)], base_policy_name="base")

result = flow(
    samples,
    sampler.process_batch,
    to_dataset(judge_scores=rewards, oracle_labels=rewards),
    estimated("better"),
)
match sealed(result):
    case Success(found):
        print(f"flow: better = {found.value:.3f} [{found.ci[0]:.3f}, {found.ci[1]:.3f}] (truth 0.800)")
    case Failure(refusal):
        print(f"flow: refused: {refusal.describe()}")


async def main() -> None:
    pipeline = flow(
        samples,
        scored_future(sampler),
        map_(to_dataset(judge_scores=rewards, oracle_labels=rewards)),
        bind_result(estimated("better")),
    )
    match sealed(await settled(pipeline)):
        case Success(found):
            print(f"async: better = {found.value:.3f} [{found.ci[0]:.3f}, {found.ci[1]:.3f}] (truth 0.800)")
        case Failure(refusal):
            print(f"async: refused: {refusal.describe()}")


asyncio.run(main())
