# expect: accept (map/bind/lash)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from returns.result import Failure, Result, Success
def positive(value: float) -> Result[float, str]:
    return Success(value) if value < 0 else Failure("not a log prob")
def describe(error: object) -> Result[float, str]:
    return Failure(str(error))
final = result.alt(str).map(abs).bind(positive).lash(describe)
