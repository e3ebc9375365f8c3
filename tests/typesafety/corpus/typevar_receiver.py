# expect: reject (receiver typed by a bound TypeVar)
from typing import TypeVar
from returns.result import Result
from cje_fp import LogProbError
R = TypeVar("R", bound=Result[float, LogProbError])
def value(result: R) -> float:
    return result.unwrap()
