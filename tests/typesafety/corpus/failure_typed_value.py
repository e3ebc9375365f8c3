# expect: accept (a Failure-typed value)
from returns.result import Failure
from cje_fp.errors import Timeout
def timed_out() -> Failure[Timeout]:
    return Failure(Timeout())
print(timed_out().failure().kind)
