"""The registry: every public module of ``cje_fp.estimation.estimators`` is one well-formed estimator,
and the names, the CLI choices, the report and the README all come from it."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

from returns.result import Failure

from cje_fp.estimation import ESTIMATORS, estimate
from cje_fp.estimation.estimators import (
    Chooser,
    Estimator,
    estimators_for,
    estimators_markdown,
    lookup_estimator,
    registered_estimators,
    resolve_estimators,
)
from tests.helpers.estimation import dataset
from tests.helpers.results import error_of, value_of

ROOT = Path(__file__).resolve().parents[3]


def test_every_module_defines_an_estimator_named_after_it() -> None:
    folder = ROOT / "cje_fp" / "estimation" / "estimators"
    modules = sorted(path.stem for path in folder.glob("*.py") if not path.stem.startswith("_"))
    assert tuple(module.replace("_", "-") for module in modules) == ESTIMATORS
    assert {"ips", "snips", "clipped-ips", "clipped-snips", "calibrated-ips"} <= set(ESTIMATORS)
    assert {"direct", "dr", "tmle", "stacked-dr", "auto"} <= set(ESTIMATORS)
    for name, module in zip(ESTIMATORS, modules, strict=True):
        found = importlib.import_module(f"cje_fp.estimation.estimators.{module}").ESTIMATOR
        assert found.name == name and found.summary
        match found:
            case Estimator():
                assert found.normalisation in ("self-normalised", "unnormalised")
                assert found.inputs in ("logged", "fresh-draws")
            case Chooser():
                for fresh_draws in (False, True):
                    chosen = found.choose(fresh_draws)
                    assert chosen and all(isinstance(value_of(lookup_estimator(c)), Estimator) for c in chosen)
            case _:
                raise AssertionError(f"{name}: neither an Estimator nor a Chooser")
    assert tuple(estimator.name for estimator in registered_estimators()) == ESTIMATORS


def test_every_logged_data_estimator_runs_through_estimate() -> None:
    n = 120
    rewards = [float(i % 3) / 2 for i in range(n)]
    data = dataset([-2.0] * n, {"same": [-2.0] * n}, rewards)
    logged = estimators_for(fresh_draws=False)
    assert set(logged) == {"ips", "snips", "clipped-ips", "clipped-snips", "calibrated-ips"}
    for name in logged:
        result = value_of(estimate(data, "same", estimator=name))
        assert result.estimator == name and abs(result.value - sum(rewards) / n) < 1e-9


def test_a_fresh_draw_estimator_without_fresh_draws_is_refused_and_auto_falls_back() -> None:
    n = 120
    data = dataset([-2.0] * n, {"same": [-2.0] * n}, [float(i % 3) / 2 for i in range(n)])
    for name in ("direct", "dr", "tmle", "stacked-dr"):
        assert error_of(estimate(data, "same", estimator=name)).kind == "no_fresh_draws"
    assert value_of(estimate(data, "same", estimator="auto")).estimator == "calibrated-ips"
    assert resolve_estimators(["auto"], fresh_draws=True) == ("stacked-dr",)
    assert resolve_estimators(["snips", "auto"], fresh_draws=False) == ("snips", "calibrated-ips")


def test_an_unknown_name_is_an_invalid_option_naming_the_registered_ones() -> None:
    refusal = error_of(lookup_estimator("clipped_ips"))
    assert refusal.kind == "invalid_option" and all(name in refusal.reason for name in ESTIMATORS)
    data = dataset([-2.0] * 40, {"t": [-2.0] * 40}, [0.5] * 40)
    assert isinstance(estimate(data, "t", estimator="magic"), Failure)


def test_the_command_line_offers_the_registered_names_without_importing_numpy() -> None:
    code = (
        "import sys; from cje_fp.cli.main import ESTIMATOR_CHOICES; "
        "print(','.join(ESTIMATOR_CHOICES)); print('numpy' in sys.modules)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    names, numpy_loaded = output.stdout.split()
    assert tuple(names.split(",")) == ESTIMATORS and numpy_loaded == "False"


def test_cje_fp_estimators_prints_the_registry() -> None:
    output = subprocess.run(
        [sys.executable, "-m", "cje_fp.cli", "estimators"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert output.strip() == estimators_markdown()


def test_every_estimator_the_readme_lists_is_registered_as_described() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Estimators\n") :]
    listed = re.findall(r"^- `[^`]+`.*$", section, flags=re.M)
    registry = {line.split("`")[1]: line for line in estimators_markdown().splitlines()}
    assert listed and all(line == registry[line.split("`")[1]] for line in listed)
