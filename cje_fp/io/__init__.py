"""Reading and writing logged data in the CJE JSONL format."""

from cje_fp.io.jsonl import find_problems, load_dataset, write_jsonl

__all__ = ["find_problems", "load_dataset", "write_jsonl"]
