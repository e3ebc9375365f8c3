# expect: accept (IOResult.value_or)
from returns.io import IOResult, IOSuccess
def read() -> IOResult[int, str]:
    return IOSuccess(1)
print(read().value_or(0))
