# expect: accept (Some(...).unwrap())
from returns.maybe import Some
print(Some(3).unwrap())
