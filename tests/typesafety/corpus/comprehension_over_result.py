# expect: reject (comprehension over a Result)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
values = [v * 2 for v in result]
