"""Figures: three PNG files from the library, without the command line."""

from __future__ import annotations

from pathlib import Path

from cje_fp.estimation import estimate_all
from cje_fp.report import FIGURES, PlotsUnavailable, write_figures
from tests.helpers.estimation import calibrated_dataset
from tests.helpers.optional import require
from tests.helpers.results import value_of


def test_write_figures_returns_the_paths_it_wrote(tmp_path: Path) -> None:
    try:
        import matplotlib  # noqa: F401 - the plot extra is part of dev
    except ImportError:
        require(False, "matplotlib", 'pip install "cje-fp[plot]"')
    data, _ = calibrated_dataset(300, judge_noise=0.1)
    table = estimate_all(data, estimators=("snips",))
    paths = value_of(write_figures(tmp_path / "figures", table=table, dataset=data, truth={"t": 0.5}))
    assert tuple(path.name for path in paths) == FIGURES
    assert all(path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in paths)


def test_a_missing_matplotlib_says_how_to_get_it() -> None:
    assert 'pip install "cje-fp[plot]"' in PlotsUnavailable(error="No module named 'matplotlib'").describe()
