# Minimal stub for scipy.stats: the t and normal quantiles and the Mann-Whitney test cje_fp uses,
# and the generalized Pareto sampler its tests use.
import numpy as np
import numpy.typing as npt

class _T:
    def ppf(self, q: float, df: float) -> np.float64: ...
    def cdf(self, x: float, df: float) -> np.float64: ...

class _Norm:
    def ppf(self, q: float) -> np.float64: ...
    def cdf(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def pdf(self, x: npt.NDArray[np.float64], loc: float = ..., scale: float = ...) -> npt.NDArray[np.float64]: ...

class MannwhitneyuResult:
    statistic: np.float64
    pvalue: np.float64

class _GenPareto:
    def rvs(
        self, c: float, *, size: int, random_state: np.random.Generator
    ) -> np.ndarray[tuple[int], np.dtype[np.float64]]: ...

t: _T
norm: _Norm
genpareto: _GenPareto

def mannwhitneyu(
    x: object, y: object, *, alternative: str = ..., method: str = ...
) -> MannwhitneyuResult: ...
