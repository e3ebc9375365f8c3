"""The README's promises and the examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from cje_fp.backends.openai import OpenAICompatiblePolicy
from cje_fp.scoring import load_config
from tests.helpers.results import value_of

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.+?)\n```", README, flags=re.S)


def test_readme_starts_with_exactly_two_setup_commands() -> None:
    commands = _blocks("bash")
    assert len(commands) == 2
    assert all(command.startswith("python3 -m venv .venv && ") for command in commands)
    assert commands[0].endswith("cje-fp demo --plot figures")
    assert README.index(commands[1]) < README.index("## ")  # both before the first section


def test_ci_runs_the_readme_check_command() -> None:
    assert _blocks("bash")[1] in (ROOT / ".ci" / "run").read_text()


def test_the_readme_library_example_runs_and_covers_the_truth() -> None:
    example = _blocks("python")[0]
    assert len([line for line in example.splitlines() if line.strip()]) <= 20
    output = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, check=True, timeout=120, cwd=ROOT
    ).stdout
    found = re.search(r"better: ([\d.]+), 95% CI \[([\d.]+), ([\d.]+)\] \(truth 0.800\)", output)
    assert found is not None, output
    low, high = float(found.group(2)), float(found.group(3))
    assert low <= 0.8 <= high


def test_the_readme_config_parses(tmp_path: Path) -> None:
    (config,) = _blocks("toml")
    path = tmp_path / "config.toml"
    path.write_text(config)
    parsed = value_of(load_config(path))
    try:
        assert parsed.base_policy == "base"
        assert [policy.name for policy in parsed.policies] == ["base", "unhelpful"]
        unhelpful = parsed.policies[1].policy
        assert isinstance(unhelpful, OpenAICompatiblePolicy)
        assert unhelpful.system_prompt == "You are an unhelpful assistant."
        assert parsed.retry.max_attempts == 5 and parsed.max_concurrency == 256
    finally:
        parsed.close()


def test_the_quickstart_example_runs() -> None:
    output = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert re.search(r"200 samples x 3 policies: \d+ complete, \d+ partial, \d+ failed; \d+ retries", output)
    assert "valid log weights" in output


def test_the_pipeline_example_runs_sync_and_async_and_the_readme_quotes_it() -> None:
    script = (ROOT / "examples" / "pipeline.py").read_text()
    excerpt = _blocks("python")[1]
    for line in excerpt.splitlines():
        code = line.split("#")[0].strip()
        if code and not code.startswith(("match", "future = flow(", "result = flow(")):
            assert code in script, f"README line not in examples/pipeline.py: {code}"
    output = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "pipeline.py")], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    for mode in ("flow", "async"):
        found = re.search(rf"{mode}: better = ([\d.]+) \[([\d.]+), ([\d.]+)\] \(truth 0.800\)", output)
        assert found is not None, output
        assert float(found.group(2)) <= 0.8 <= float(found.group(3))
