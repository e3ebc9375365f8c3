# expect: accept (getattr with other names)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
import operator
print(getattr(result, "map"))
print(operator.methodcaller("value_or", 0.0)(result))
