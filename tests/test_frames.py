"""``to_frame()`` on the batch result, the dataset and the estimates: a failure is ``<NA>`` with its
reason, never a number; without pandas the message names the extra; notebooks get HTML tables."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from returns.result import Failure, Success

from cje_fp import MultiTargetSampler, TabularPolicy, dataset_from_batch
from cje_fp._extras import MissingExtra
from cje_fp.errors import sealed
from cje_fp.errors._log_prob import Timeout, Unauthorized
from cje_fp.estimation import estimate_all
from cje_fp.io import load_dataset
from cje_fp.policy._faults import Fault, FaultPlan, inject_faults
from cje_fp.scoring import BatchResult
from tests.conftest import value_of
from tests.helpers.scored_files import write_scored_file

PROMPTS = [f"p{i}" for i in range(60)]
BASE = TabularPolicy(name="base", table={p: {"a": math.log(0.5), "b": math.log(0.5)} for p in PROMPTS})
TARGET = TabularPolicy(name="t", table={p: {"a": math.log(0.7), "b": math.log(0.3)} for p in PROMPTS})


def _batch() -> BatchResult:
    plan = FaultPlan(faults=(Fault(outcome=Unauthorized(), rate=0.1), Fault(outcome=Timeout(), rate=0.1)), seed=5)
    sampler = MultiTargetSampler(policies=[BASE, inject_faults(TARGET, plan)], base_policy_name="base")
    return sampler.process_batch([(p, p, "a" if i % 2 else "b") for i, p in enumerate(PROMPTS)], max_concurrency=1)


def test_batch_frame_has_one_row_per_cell_and_failures_without_numbers() -> None:
    batch = _batch()
    frame = batch.to_frame()
    assert len(frame) == len(PROMPTS) * 2
    targets = frame[frame["policy"] == "t"]
    failed = targets[targets["error"].notna()]
    assert failed["log_prob"].isna().all() and failed["log_weight"].isna().all()
    assert failed["error"].value_counts().to_dict() == dict(batch.failures_by_policy["t"])
    assert set(failed["weight_error"]) == {f"target_failed:{kind}" for kind in batch.failures_by_policy["t"]}
    ok = targets[targets["error"].isna()].set_index("sample_id")
    for result in batch.results:
        match sealed(result.log_probs["t"]):
            case Success(value):
                assert ok.loc[result.sample_id, "log_prob"] == value
                assert ok.loc[result.sample_id, "log_weight"] == value - math.log(0.5)
            case Failure(_):
                assert result.sample_id not in ok.index
    assert (frame[frame["role"] == "base"]["log_weight"].isna()).all()  # the base has no weight against itself


def test_dataset_frame_keeps_missing_cells_missing_with_their_reason() -> None:
    batch = _batch()
    dataset = dataset_from_batch(batch, judge_scores=[0.5] * len(PROMPTS))
    frame = dataset.to_frame()
    assert list(frame["prompt_id"]) == list(dataset.prompt_ids)
    missing = frame["logprob.t"].isna()
    assert int(missing.sum()) == sum(batch.failures_by_policy["t"].values())
    assert frame.loc[missing, "logprob.t_reason"].value_counts().to_dict() == dataset.targets["t"].excluded_by_reason()
    assert frame.loc[~missing, "logprob.t_reason"].isna().all()
    assert list(frame.loc[~missing, "logprob.t"]) == list(dataset.targets["t"].values[dataset.targets["t"].present])
    assert frame["oracle_label"].isna().all()


def test_estimates_frame_matches_the_estimates_and_refusals_have_no_number(tmp_path: Path) -> None:
    dataset = value_of(load_dataset(write_scored_file(tmp_path / "scored.jsonl")))
    table = estimate_all(dataset, estimators=("snips", "ips"), targets=dataset.target_names)
    frame = table.to_frame()
    rows = {(row["policy"], row["estimator"]): row for row in frame.to_dict("records")}
    for target, estimator, result in table:
        row = rows[(target, estimator)]
        match sealed(result):
            case Success(estimate):
                assert (row["status"], row["value"], row["se"]) == ("ok", estimate.value, estimate.se)
                assert (row["ci_low"], row["ci_high"], row["n_used"]) == (*estimate.ci, estimate.n_used)
                single = estimate.to_frame()
                assert len(single) == 1 and single.loc[0, "value"] == estimate.value
            case Failure(error):
                assert row["status"] == "refused" and row["kind"] == error.kind
                assert pd.isna(row["value"]) and pd.isna(row["se"]) and pd.isna(row["ci_low"])
    assert set(frame[frame["status"] == "refused"]["policy"]) == {"far"}


def test_to_frame_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dataset = value_of(load_dataset(write_scored_file(tmp_path / "scored.jsonl", n=60)))
    table = estimate_all(dataset, estimators=("snips",), targets=("close",))
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an environment without pandas does on import
    for call in (dataset.to_frame, table.to_frame, _batch().to_frame):
        with pytest.raises(MissingExtra, match=r'needs pandas, an optional extra: pip install "cje-fp\[pandas\]"'):
            call()


def test_notebooks_show_estimates_and_refusals_as_html(tmp_path: Path) -> None:
    dataset = value_of(load_dataset(write_scored_file(tmp_path / "scored.jsonl")))
    table = estimate_all(dataset, estimators=("snips",), targets=dataset.target_names)
    html = table._repr_html_()
    assert html.startswith("<table") and "1 estimate(s), 1 refused" in html
    assert "insufficient_overlap" in html and "ESS fraction" in html
    estimate = value_of(table.get("close", "snips"))
    assert f"{estimate.value:.4f}" in estimate._repr_html_()
