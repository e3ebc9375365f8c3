# expect: reject (unwrap on estimate())
from cje_fp import load_dataset, estimate
loaded = load_dataset("scored.jsonl")
def value() -> float:
    dataset = loaded.unwrap()
    return estimate(dataset, "better").unwrap().value
