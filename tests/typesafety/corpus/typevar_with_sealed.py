# expect: accept (TypeVar-bound receiver handled with sealed)
from typing import TypeVar
from returns.result import Failure, Result, Success
from cje_fp import sealed
R = TypeVar("R", bound=Result[float, str])
def value(result: R) -> float:
    match sealed(result):
        case Success(found):
            return found
        case Failure(_):
            return float("nan")
