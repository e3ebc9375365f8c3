"""``cje-fp demo``, driven for real in a subprocess: the whole pipeline offline, with figures."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.helpers.cli import run_cli
from tests.helpers.png import png_size


def test_demo_reports_estimates_truth_and_accounting(tmp_path: Path) -> None:
    result = run_cli("demo", "--plot", tmp_path / "figures")
    assert result.returncode == 0, result.stderr
    output = result.stdout
    accounting = re.search(r"every cell accounted for: (\d+) succeeded \+ (\d+) failed = (\d+) cells", output)
    assert accounting is not None
    succeeded, failed, total = map(int, accounting.groups())
    assert succeeded + failed == total == 2000 * 6 and failed > 0
    assert re.search(r"\d+ retries", output) and "token_limit_exceeded" in output
    inside = re.search(r"The truth lies inside (\d+) of (\d+) reported intervals", output)
    assert inside is not None
    covered, reported = map(int, inside.groups())
    assert reported >= 10 and covered / reported >= 0.8
    assert "refused unhelpful" in output
    refusal = next(line for line in output.splitlines() if line.startswith("refused unhelpful"))
    reasons = refusal.split("; unrefused")[0].split(": ", 1)[1].split(" / ")
    assert not any(a != b and b.startswith(a) for a in reasons for b in reasons), f"a reason said twice: {refusal}"
    for name in ("forest.png", "log_weights.png", "calibration.png"):
        width, height = png_size(tmp_path / "figures" / name)
        assert width > 100 and height > 100


def test_plots_without_matplotlib_say_how_to_get_it(tmp_path: Path) -> None:
    blocker = tmp_path / "blocked" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('matplotlib is not installed')\n")
    result = run_cli(
        "demo", "--rows", "300", "--plot", tmp_path / "figures", env={**os.environ, "PYTHONPATH": str(blocker.parent)}
    )
    assert result.returncode == 2
    assert 'pip install "cje-fp[plot]"' in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "figures").exists()
