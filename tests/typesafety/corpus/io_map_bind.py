# expect: accept (staying in IO)
from returns.io import IO, IOResult, IOSuccess
def double(value: int) -> int:
    return value * 2
def check(value: int) -> IOResult[int, str]:
    return IOSuccess(value)
io = IO(1).map(double)
checked = IOSuccess(2).bind(check)
