# expect: reject (Maybe.unwrap)
from returns.maybe import Maybe
def first(values: list[int]) -> Maybe[int]:
    return Maybe.from_optional(values[0] if values else None)
print(first([]).unwrap())
