# expect: accept (building Success/Failure)
from cje_fp import LogProbResult
from cje_fp.errors import Timeout
from returns.result import Failure, Success
from cje_fp.policy import FunctionPolicy
def call(context: str, response: str) -> LogProbResult:
    return Success(-1.0) if response else Failure(Timeout())
policy = FunctionPolicy(name="p", call=call)
