# expect: reject (Maybe.unwrap as a callback)
from returns.maybe import Maybe
values = [Maybe.from_optional(x) for x in (1, None)]
print(list(map(Maybe.unwrap, values)))
