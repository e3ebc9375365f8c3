"""The example files of the README's "Importing from other tools", built here so the tests check
that the committed copies in ``examples/imports/`` are exactly what these functions write.

``python -m tests.helpers.import_examples`` rewrites the committed copies.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "imports"
LM_EVAL_NAME = "samples_gsm8k_2026-11-27T12-00-00.000000.jsonl"
INSPECT_NAME = "inspect_log.json"

_QUESTIONS = (
    ("Natalia sold clips to 48 friends in April, and half as many in May. How many in all?", "72", "72"),
    ("Weng earns $12 an hour. How much did she earn for 50 minutes of babysitting?", "10", "12"),
    ("Betty needs $100 and has half of it. Her parents give $15, her grandparents twice that. How much more?", "5", "5"),
)


def lm_eval_lines() -> list[str]:
    """``samples_gsm8k_<date>.jsonl`` as lm-eval 0.4 writes it: each document under two filters."""
    lines = []
    for doc_id, (question, target, answer) in enumerate(_QUESTIONS):
        prompt = f"Question: {question}\nAnswer:"
        generation = f" Let's think step by step. ... The answer is {answer}."
        for filter_name in ("strict-match", "flexible-extract"):
            correct = float(answer == target)
            record = {
                "doc_id": doc_id,
                "doc": {"question": question, "answer": f"#### {target}"},
                "target": target,
                "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {"until": ["Question:"], "do_sample": False}}},
                "resps": [[generation]],
                "filtered_resps": [answer if filter_name == "flexible-extract" or doc_id != 2 else "[invalid]"],
                "filter": filter_name,
                "metrics": ["exact_match"],
                "doc_hash": f"doc{doc_id}",
                "prompt_hash": f"prompt{doc_id}",
                "target_hash": f"target{doc_id}",
                "exact_match": correct if filter_name == "flexible-extract" or doc_id != 2 else 0.0,
            }
            lines.append(json.dumps(record, ensure_ascii=False))
    multiple_choice = {
        "doc_id": 3,
        "doc": {"question": "Which is a mammal?", "choices": ["shark", "whale"]},
        "target": "1",
        "arguments": {"gen_args_0": {"arg_0": "Which is a mammal?\nAnswer:", "arg_1": " shark"},
                      "gen_args_1": {"arg_0": "Which is a mammal?\nAnswer:", "arg_1": " whale"}},
        "resps": [[[-4.2, False]], [[-1.1, True]]],
        "filtered_resps": [[-4.2, False], [-1.1, True]],
        "filter": "none",
        "metrics": ["acc"],
        "acc": 1.0,
    }  # fmt: skip
    lines.append(json.dumps(multiple_choice, ensure_ascii=False))
    return lines


def _inspect_sample(sample_id: int, input_: object, output: str | None, scores: dict[str, object]) -> dict[str, object]:
    choices = [] if output is None else [
        {"message": {"role": "assistant", "content": [{"type": "reasoning", "reasoning": "..."},
                                                       {"type": "text", "text": output}]},
         "stop_reason": "stop"}
    ]  # fmt: skip
    return {
        "id": sample_id,
        "epoch": 1,
        "input": input_,
        "target": "yes",
        "messages": [],
        "output": {"model": "example-model", "choices": choices},
        "scores": {name: {"value": value, "answer": output} for name, value in scores.items()},
        "metadata": {"topic": "demo"},
        "error": None if output is not None else {"message": "RuntimeError: sandbox failed", "traceback": ""},
    }


def inspect_log() -> dict[str, object]:
    """An ``EvalLog`` as ``inspect eval --log-format json`` writes it (the fields the importer reads)."""
    samples = [
        _inspect_sample(1, "Is the sky blue?", "Yes, on a clear day.", {"match": "C", "model_graded_qa": 0.9}),
        _inspect_sample(
            2,
            [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Is water wet?"}],
            "Yes.",
            {"match": "I", "model_graded_qa": 0.4},
        ),
        _inspect_sample(
            3,
            [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
             {"role": "user", "content": "Is fire hot?"}],
            "Yes.",
            {"match": "C", "model_graded_qa": 1.0},
        ),
        _inspect_sample(4, "Is ice cold?", None, {}),
    ]
    return {
        "version": 2,
        "status": "success",
        "eval": {"task": "yes_no", "model": "example-model", "created": "2026-11-27T12:00:00+00:00"},
        "plan": {"steps": [{"solver": "generate"}]},
        "results": {"total_samples": 4, "completed_samples": 3},
        "samples": samples,
    }


def inspect_log_text() -> str:
    return json.dumps(inspect_log(), indent=2, ensure_ascii=False) + "\n"


def write_eval_archive(path: Path) -> Path:
    """The same log as an ``.eval`` archive: ``header.json`` and ``samples/<id>_epoch_<n>.json``."""
    log = inspect_log()
    samples = log.pop("samples")
    assert isinstance(samples, list)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", json.dumps(log))
        for sample in samples:
            archive.writestr(f"samples/{sample['id']}_epoch_{sample['epoch']}.json", json.dumps(sample))
    return path


def write_examples(folder: Path = EXAMPLES) -> None:
    """Write both example files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LM_EVAL_NAME).write_text("\n".join(lm_eval_lines()) + "\n", encoding="utf-8")
    (folder / INSPECT_NAME).write_text(inspect_log_text(), encoding="utf-8")


if __name__ == "__main__":
    write_examples()
