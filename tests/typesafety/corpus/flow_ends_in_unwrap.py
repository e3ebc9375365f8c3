# expect: reject (flow(..., Result.unwrap))
from returns.pipeline import flow
from returns.pointfree import bind
from returns.result import Failure, Result, Success
def parse(text: str) -> Result[float, str]:
    return Success(float(text)) if text else Failure("empty")
def negative(value: float) -> Result[float, str]:
    return Success(value) if value <= 0 else Failure("positive")
log_prob = flow("-1.5", parse, bind(negative), Result.unwrap)
