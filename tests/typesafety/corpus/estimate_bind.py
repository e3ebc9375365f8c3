# expect: accept (load then estimate with bind, the error type widened with alt)
from returns.result import Result
from cje_fp import DataErrors, Dataset, Estimate, EstimationError, estimate, load_dataset
def better(dataset: Dataset) -> Result[Estimate, EstimationError | DataErrors]:
    return estimate(dataset, "better")
def widen(errors: DataErrors) -> EstimationError | DataErrors:
    return errors
found = load_dataset("scored.jsonl").alt(widen).bind(better)
