# expect: accept (alt widens the error type for bind)
from returns.result import Failure, Result, Success
class ParseError(Exception): ...
class RangeError(Exception): ...
def parse(text: str) -> Result[float, ParseError]:
    return Success(float(text)) if text else Failure(ParseError())
def in_range(value: float) -> Result[float, ParseError | RangeError]:
    return Success(value) if value <= 0 else Failure(RangeError())
def widen(error: ParseError) -> ParseError | RangeError:
    return error
checked = parse("-1").alt(widen).bind(in_range)
