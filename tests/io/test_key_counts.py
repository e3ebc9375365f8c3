"""The colon count never clears a line that repeats a key: generated rows, with and without a repeated key,
through every loader (logged data, score input, fresh draws)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings, strategies as st

from cje_fp.io import find_problems, load_draw_file, read_input

# Text that makes counting hard: colons, escaped quotes, backslashes, colons spelled as escapes.
TEXT = st.lists(st.sampled_from([*'ab :"\\{}[],é', "\\u003a"]), max_size=12).map("".join)
NAMES = st.text(alphabet=st.sampled_from(list("tu:x")), min_size=1, max_size=4)


def _escape_colons(line: str, rng: random.Random) -> str:
    """Spell some colons inside strings as ``\\u003a`` (JSON still decodes them to ':')."""
    out, in_string, escaped = [], False, False
    for char in line:
        if in_string and char == ":" and not escaped and rng.random() < 0.5:
            out.append("\\u003a")
            continue
        if char == '"' and not escaped:
            in_string = not in_string
        escaped = char == "\\" and not escaped
        out.append(char)
    return "".join(out)


@st.composite
def logged_rows(draw: st.DrawFn) -> tuple[list[str], int | None]:
    """Lines of logged rows (extras, nested metadata, colons everywhere) and the line that repeats a key."""
    n_rows = draw(st.integers(1, 6))
    lines = []
    for index in range(n_rows):
        fields: list[tuple[str, object]] = [("prompt", draw(TEXT)), ("response", draw(TEXT))]
        targets = {name: -float(draw(st.integers(0, 9))) for name in draw(st.lists(NAMES, min_size=1, max_size=3))}
        fields.append(("target_policy_logprobs", targets))
        if draw(st.booleans()):
            fields.append(("base_policy_logprob", -1.0))
        metadata: dict[str, object] = {"prompt_id": f"id:{index}:{draw(TEXT)}"}
        if draw(st.booleans()):
            metadata["note"] = draw(TEXT)
        if draw(st.booleans()):
            metadata["tags"] = {draw(TEXT): draw(TEXT)}
        fields.append(("metadata", metadata))
        if draw(st.booleans()):
            fields.append(("source", draw(TEXT)))
        fields.append(("judge_score", 0.5))
        lines.append(fields)
    repeated = draw(st.none() | st.integers(0, n_rows - 1))
    seed = draw(st.integers(0, 2**16))
    texts = []
    for index, fields in enumerate(lines):
        body = [f"{json.dumps(name)}: {json.dumps(value)}" for name, value in fields]
        if index == repeated:
            where = draw(st.sampled_from(["top", "metadata", "targets"]))
            if where == "top":
                body.insert(draw(st.integers(0, len(body))), f'"judge_score": {draw(st.sampled_from(["0.1", "null"]))}')
            elif where == "metadata":
                body = [
                    part.replace('{"prompt_id"', '{"prompt_id": "again:1", "prompt_id"', 1) for part in body
                ]
            else:
                body = [part.replace('"target_policy_logprobs": {', '"target_policy_logprobs": {"u:": -1.0, "u:": -2.0, ', 1)
                        for part in body]
        texts.append(_escape_colons("{" + ", ".join(body) + "}", random.Random(seed + index)))
    return texts, repeated


@settings(max_examples=150, deadline=None)
@given(logged_rows())
def test_a_repeated_key_is_found_on_its_line_and_only_there(tmp_path_factory: pytest.TempPathFactory, case: tuple[list[str], int | None]) -> None:
    lines, repeated = case
    folder = tmp_path_factory.mktemp("rows")
    path = folder / "data.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = set() if repeated is None else {repeated + 1}
    found = {problem.line for problem in find_problems(path) if problem.kind == "duplicate_key"}
    assert found == expected
    scored = read_input(path).alt(lambda errors: {p.line for p in errors.problems if p.kind == "duplicate_key"})
    assert scored.swap().value_or(set()) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT, st.booleans()), min_size=1, max_size=6), st.none() | st.integers(0, 5))
def test_a_repeated_key_in_a_fresh_draw_is_found(
    tmp_path_factory: pytest.TempPathFactory, draws: list[tuple[str, str, bool]], repeated: int | None
) -> None:
    lines = []
    for index, (prompt, response, with_extra) in enumerate(draws):
        fields = [f'"prompt_id": "p:{index}"', f'"prompt": {json.dumps(prompt)}', f'"response": {json.dumps(response)}',
                  '"judge_score": 0.5']
        if with_extra:
            fields.append(f'"model": {json.dumps({prompt: response})}')
        if index == repeated:
            fields.insert(1, '"judge_score": 0.25')
        lines.append("{" + ", ".join(fields) + "}")
    path = tmp_path_factory.mktemp("draws") / "t_responses.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = set() if repeated is None or repeated >= len(draws) else {repeated + 1}
    problems = load_draw_file(path, "t").alt(lambda errors: {p.line for p in errors.problems if p.kind == "duplicate_key"})
    assert problems.swap().value_or(set()) == expected
