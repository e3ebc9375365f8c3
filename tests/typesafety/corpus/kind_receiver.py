# expect: reject (returns' KindN style)
from typing import Never, NoReturn, TypeVar
from returns.interfaces.specific.result import ResultBasedN
from returns.primitives.hkt import KindN
K = TypeVar("K", bound=ResultBasedN[float, str, Never])
def value(container: KindN[K, float, str, NoReturn]) -> float:
    return container.unwrap()
