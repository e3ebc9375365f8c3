# expect: reject (unwrap inside a typed helper)
from returns.result import Result
from cje_fp import LogProbError
def as_float(result: Result[float, LogProbError]) -> float:
    return result.unwrap()
