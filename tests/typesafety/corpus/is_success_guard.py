# expect: accept (is_success then unwrap)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from cje_fp import is_success
if is_success(result):
    print(result.unwrap() + 1.0)
