"""The README's "Results where you work" snippets run as written, on files made here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers.cli import run_cli as cje_fp
from tests.helpers.optional import ROOT
from tests.helpers.scored_files import write_scored_file

README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"### {title}")
    end = README.find("\n### ", start + 1)
    return README[start : end if end != -1 else len(README)]


def test_the_notebook_snippet_runs(tmp_path: Path) -> None:
    (snippet,) = re.findall(r"```python\n(.+?)\n```", _section("Notebooks and DataFrames"), flags=re.S)
    write_scored_file(tmp_path / "scored.jsonl")
    assert cje_fp("estimate", tmp_path / "scored.jsonl", "-o", tmp_path / "report.json").returncode == 1
    setup = textwrap.dedent(
        """
        import math, matplotlib
        matplotlib.use("Agg")
        from cje_fp import MultiTargetSampler, TabularPolicy
        table_of = {p: {"a": math.log(0.5), "b": math.log(0.5)} for p in ("p0", "p1")}
        batch = MultiTargetSampler(
            policies=[TabularPolicy(name="base", table=table_of), TabularPolicy(name="t", table=table_of)],
            base_policy_name="base",
        ).process_batch([("p0", "p0", "a"), ("p1", "p1", "b")])
        """
    )
    checks = textwrap.dedent(
        """
        assert list(table.to_frame()["status"]) == ["ok", "ok", "refused", "refused"]
        assert len(dataset.to_frame()) == dataset.n_rows and len(batch.to_frame()) == 4
        assert "refused" in report._repr_html_() and "refused" in table._repr_html_()
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", setup + snippet + checks],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_the_report_commands_run(tmp_path: Path) -> None:
    commands = re.findall(r"^cje-fp (.+)$", _section("The HTML report"), flags=re.M)
    assert len(commands) == 2
    write_scored_file(tmp_path / "scored.jsonl")
    for command in commands:
        arguments = [str(tmp_path / word) if "." in word else word for word in command.split()]
        assert cje_fp(*arguments).returncode in (0, 1)  # 1: the file's "far" policy is refused
    assert json.loads((tmp_path / "report.json").read_text())["schema_version"] >= 1
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
