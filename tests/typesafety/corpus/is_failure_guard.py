# expect: accept (is_failure on a sealed result)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from cje_fp import is_failure, sealed
cases = sealed(result)
if is_failure(cases):
    print(cases.failure().kind)
else:
    print(cases.unwrap())
