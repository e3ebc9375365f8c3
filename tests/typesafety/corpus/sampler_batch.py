# expect: accept (sampler results handled with sealed)
from returns.result import Failure, Success
from cje_fp import MultiTargetSampler, TabularPolicy, sealed
base = TabularPolicy(name="base", table={"q": {"a": -1.0}})
target = TabularPolicy(name="t", table={"q": {"a": -0.5}})
batch = MultiTargetSampler(policies=[base, target], base_policy_name="base").process_batch([("s", "q", "a")])
for sample in batch.results:
    match sealed(sample.log_weights["t"]):
        case Success(weight):
            print(weight)
        case Failure(error):
            print(error.kind)
