# expect: accept (references to safe methods)
from returns.result import Success
successes = [Success(1), Success(2)]
print(list(map(Success.unwrap, successes)))
