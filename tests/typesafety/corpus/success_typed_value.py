# expect: accept (a Success-typed value)
from returns.result import Success
def constant() -> Success[float]:
    return Success(-1.0)
print(constant().unwrap())
