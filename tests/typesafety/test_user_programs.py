"""A user's strict mypy, configured as the README says, run outside the repository on a
held-out corpus of small programs (``corpus/``), each annotated on its first line
``# expect: accept`` or ``# expect: reject``. A rejected program must fail only with the
codes the promise relies on (a typo failing as ``arg-type`` would not prove anything).

Running from a temporary folder also checks the install: ``cje_fp`` must resolve through
the editable install the README's commands make, not through the current directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from importlib.metadata import distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
PROMISE_CODES = frozenset({"unsafe-unwrap", "deprecated", "exhaustive-match", "ignore-without-code"})
_ERROR = re.compile(r"^programs/(?P<name>\w+)\.py:\d+: error: .*\[(?P<code>[\w-]+)\]$")


def readme_user_config() -> str:
    configs: list[str] = re.findall(r"```ini\n(.+?)\n```", (ROOT / "README.md").read_text(), flags=re.S)
    (config,) = configs
    return config + "\n"


def run_user_mypy(folder: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    """mypy as a user runs it: from ``folder``, with no path pointing into the repository."""
    (folder / "mypy.ini").write_text(readme_user_config())
    environment = {key: value for key, value in os.environ.items() if key not in ("MYPYPATH", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(folder / ".mypy_cache"), *files],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def expected(program: Path) -> str:
    found = re.match(r"# expect: (accept|reject) \(.+\)\n", program.read_text())
    assert found is not None, f"{program.name} must start with '# expect: accept|reject (why)'"
    return found.group(1)


def test_the_install_is_a_path_entry_mypy_can_follow() -> None:
    # The installed dist-info (it records how it was installed), not the repository's egg-info.
    (installed,) = [found for found in distributions(name="cje-fp") if found.read_text("direct_url.json")]
    files = installed.files or []
    pth_files = [file for file in files if file.name.endswith(".pth")]
    assert pth_files, "cje-fp is not installed in editable mode"
    for pth in pth_files:
        entries = [line for line in pth.read_text().splitlines() if line.strip()]
        assert entries == [str(ROOT)], f"{pth.name} is an import hook, not a path: {entries}"
    assert not [file for file in files if file.name.endswith("_finder.py")]


def test_a_user_program_outside_the_repository_sees_the_types(tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text(
        "from cje_fp import TabularPolicy\n"
        'policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})\n'
        'reveal_type(policy.compute_log_prob("q", "a"))\n'
        'policy.compute_log_prob("q", "a").unwrap()\n'
    )
    assert not str(tmp_path).startswith(str(ROOT))
    output = run_user_mypy(tmp_path, ["user.py"]).stdout
    assert "Cannot find implementation or library stub" not in output, output
    assert 'user.py:3: note: Revealed type is "returns.result.Result[float, cje_fp.errors.' in output, output
    assert "user.py:4: error: " in output and "[unsafe-unwrap]" in output, output


def _codes_by_program(output: str) -> dict[str, list[str]]:
    codes: defaultdict[str, list[str]] = defaultdict(list)
    for line in output.splitlines():
        if (error := _ERROR.match(line)) is not None:
            codes[error["name"]].append(error["code"])
    return dict(codes)


def test_the_held_out_programs_are_judged_as_annotated(tmp_path: Path) -> None:
    programs = sorted(CORPUS.glob("*.py"))
    assert len(programs) >= 70
    (tmp_path / "programs").mkdir()
    for program in programs:
        shutil.copy(program, tmp_path / "programs" / program.name)
    files = [f"programs/{program.name}" for program in programs]
    result = run_user_mypy(tmp_path, files)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    codes = _codes_by_program(result.stdout)
    verdicts = {program.stem: "reject" if codes.get(program.stem) else "accept" for program in programs}
    assert verdicts == {program.stem: expected(program) for program in programs}, result.stdout
    off_promise = {name: found for name, found in codes.items() if set(found) - PROMISE_CODES}
    assert off_promise == {}, result.stdout
    # an accepted program gets no message at all, not even a note about an ignore comment
    noisy = [line for line in result.stdout.splitlines() if line.startswith("programs/")
             and verdicts[line.split("/")[1].split(".py")[0]] == "accept"]
    assert noisy == [], result.stdout
    assert sum(verdict == "reject" for verdict in verdicts.values()) >= 30
    assert sum(verdict == "accept" for verdict in verdicts.values()) >= 25

    # A second run reads returns' marked methods back from mypy's cache: same verdicts,
    # for programs rechecked (edited) and for programs taken from the cache.
    for program in programs[::2]:
        (tmp_path / "programs" / program.name).write_text(program.read_text() + "EDITED = True\n")
    again = run_user_mypy(tmp_path, files)
    assert _codes_by_program(again.stdout) == codes, again.stdout
