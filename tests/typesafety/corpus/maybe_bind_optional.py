# expect: accept (Maybe handled with value_or)
from returns.maybe import Maybe
found = Maybe.from_optional({"a": 1}.get("b")).map(lambda v: v + 1).value_or(0)
