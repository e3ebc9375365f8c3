# expect: accept (comprehension guarded by is_success)
from cje_fp import TabularPolicy, is_success
policy = TabularPolicy(name="t", table={"q": {"a": -1.0, "b": -2.0}})
results = [policy.compute_log_prob("q", r) for r in ("a", "b", "c")]
values = [r.unwrap() for r in results if is_success(r)]
