# expect: reject (map(Result.unwrap, ...))
from returns.result import Result
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0, "b": -2.0}})
results = [policy.compute_log_prob("q", response) for response in ("a", "b")]
values = list(map(Result.unwrap, results))
