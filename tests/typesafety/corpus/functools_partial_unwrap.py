# expect: reject (functools.partial(Result.unwrap, r))
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
import functools
from returns.result import Result
later = functools.partial(Result.unwrap, result)
print(later())
