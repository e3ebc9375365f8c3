# expect: reject (IOResult.unwrap)
from returns.io import IOResult, impure_safe
@impure_safe
def read(path: str) -> str:
    with open(path) as handle:
        return handle.read()
print(read("x").unwrap())
