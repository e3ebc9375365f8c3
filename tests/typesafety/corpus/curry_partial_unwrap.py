# expect: reject (returns.curry.partial)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from returns.curry import partial
from returns.result import Result
later = partial(Result.unwrap, result)
