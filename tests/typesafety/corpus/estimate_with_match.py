# expect: accept (estimate handled with sealed)
from cje_fp import load_dataset, estimate
loaded = load_dataset("scored.jsonl")
from returns.result import Failure, Success
from cje_fp import sealed
match sealed(loaded):
    case Success(dataset):
        match sealed(estimate(dataset, "better")):
            case Success(found):
                print(found.value, found.ci)
            case Failure(refusal):
                print(refusal.describe())
    case Failure(problems):
        print(problems)
