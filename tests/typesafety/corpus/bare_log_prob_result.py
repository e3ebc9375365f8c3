# expect: reject (LogProbResult(-1.0))
from cje_fp import LogProbResult
from cje_fp.policy import FunctionPolicy
def call(context: str, response: str) -> LogProbResult:
    return LogProbResult(-1.0)
policy = FunctionPolicy(name="p", call=call)
