"""``cje-fp score`` and its config: options that cannot take effect, what resume recomputes when
the config or the server behind it changes, the probe at the start of a run (real subprocesses,
the fake server)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cje_fp.testing import FakeServer, FakeServerConfig, expected_log_prob
from tests.helpers.cli import run_cli
from tests.helpers.scoring import environment, scoring_rows, write_rows

N_ROWS = 12


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeServerConfig(models=("m", "n"))) as running:
        yield running


def _config(folder: Path, base_url: str, *, t1: str = 'system_prompt = "Be brief."', t2: str = "", base: str = "base") -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'base_policy = "{base}"\n[defaults]\nbase_url = "{base_url}"\ntemplate = "chatml"\n'
        f'[policies.base]\nmodel = "m"\n[policies.t1]\nmodel = "m"\n{t1}\n[policies.t2]\nmodel = "n"\n{t2}\n'
    )
    return path


def _data(folder: Path) -> Path:
    return write_rows(folder / "data.jsonl", scoring_rows(N_ROWS, failing=frozenset()))


def _score(config: Path, data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("score", config, data, "--out", out, *extra, timeout=180, env=environment())


def _computed(result: subprocess.CompletedProcess[str]) -> int:
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"scored (\d+) cells", result.stdout)
    assert found is not None, result.stdout
    return int(found.group(1))


def _cells(path: Path) -> dict[tuple[str, str], float | None]:
    cells = {}
    for row in map(json.loads, path.read_text().splitlines()):
        [base] = set(row["logprob_status"]) - set(row["target_policy_logprobs"])
        values = {**row["target_policy_logprobs"], base: row["base_policy_logprob"]}
        for policy in row["logprob_status"]:
            cells[(row["prompt_id"], policy)] = values[policy]
    return cells


def test_a_system_prompt_without_a_template_exits_2_naming_the_option(tmp_path: Path, server: FakeServer) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{server.base_url}"\n[policies.base]\nmodel = "m"\n'
        '[policies.unhelpful]\nmodel = "m"\nsystem_prompt = "You are an unhelpful assistant."\n'
    )
    result = _score(config, _data(tmp_path), tmp_path / "scored.jsonl")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "policies.unhelpful.system_prompt cannot take effect" in result.stderr
    assert not (tmp_path / "scored.jsonl").exists()


@pytest.mark.parametrize(
    ("edit", "affected"),
    [
        ({"t1": 'system_prompt = "Be verbose."'}, "t1"),
        ({"t2": "score_end_of_turn = false"}, "t2"),
    ],
)
def test_a_changed_option_recomputes_the_affected_cells_only(
    tmp_path: Path, server: FakeServer, edit: dict[str, str], affected: str
) -> None:
    data, out = _data(tmp_path), tmp_path / "scored.jsonl"
    assert _computed(_score(_config(tmp_path, server.base_url), data, out)) == 3 * N_ROWS
    before = _cells(out)
    changed = _config(tmp_path, server.base_url, **edit)
    resumed = _score(changed, data, out)
    assert _computed(resumed) == N_ROWS
    assert f"policy {affected!r}: {N_ROWS} stored cell(s) are stale and recomputed" in resumed.stdout
    fresh = tmp_path / "fresh.jsonl"
    assert _computed(_score(changed, data, fresh)) == 3 * N_ROWS
    assert _cells(out) == _cells(fresh)
    # the fake model's log probs do not depend on the context: only the end-of-turn edit moves values
    assert all(before[cell] == value for cell, value in _cells(out).items() if cell[1] != affected)


def test_rewriting_the_base_url_recomputes_nothing(tmp_path: Path, server: FakeServer) -> None:
    data, out = _data(tmp_path), tmp_path / "scored.jsonl"
    assert _computed(_score(_config(tmp_path, server.base_url), data, out)) == 3 * N_ROWS
    moved = _config(tmp_path, server.base_url.replace("127.0.0.1", "localhost"))
    assert _computed(_score(moved, data, out)) == 0
    assert server.base_url not in out.read_text()


def test_another_model_behind_the_same_name_is_noticed_and_its_cells_recomputed(tmp_path: Path, server: FakeServer) -> None:
    data, out = _data(tmp_path), tmp_path / "scored.jsonl"
    assert _computed(_score(_config(tmp_path, server.base_url), data, out)) == 3 * N_ROWS
    with FakeServer(FakeServerConfig(models=("m", "n"), revision="-v2")) as upgraded:
        resumed = _score(_config(tmp_path, upgraded.base_url), data, out)
    assert _computed(resumed) == 3 * N_ROWS
    assert "another model or server version answers under this name" in resumed.stdout
    row = json.loads(out.read_text().splitlines()[0])
    context = "<|im_start|>user\nQuestion 0?<|im_end|>\n<|im_start|>assistant\n"
    response = "Answer number 0, with some words.<|im_end|>"
    assert row["base_policy_logprob"] == pytest.approx(expected_log_prob(context, response, model="m-v2"))


def test_switching_the_base_policy_keeps_every_cell(tmp_path: Path, server: FakeServer) -> None:
    data, out = _data(tmp_path), tmp_path / "scored.jsonl"
    assert _computed(_score(_config(tmp_path, server.base_url), data, out)) == 3 * N_ROWS
    before = _cells(out)
    assert _computed(_score(_config(tmp_path, server.base_url, base="t1"), data, out)) == 0
    assert _cells(out) == before
    row = json.loads(out.read_text().splitlines()[0])
    assert row["base_policy_logprob"] == before[("q0", "t1")] and set(row["target_policy_logprobs"]) == {"base", "t2"}


def test_a_policy_removed_from_the_config_is_dropped_from_the_output(tmp_path: Path, server: FakeServer) -> None:
    data, out = _data(tmp_path), tmp_path / "scored.jsonl"
    assert _computed(_score(_config(tmp_path, server.base_url), data, out)) == 3 * N_ROWS
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().split("[policies.t2]")[0])
    resumed = _score(config, data, out)
    assert _computed(resumed) == 0
    assert f"policy 't2' is no longer in the config: its cells are dropped from {out}" in resumed.stdout
    assert all("t2" not in line for line in out.read_text().splitlines())


def test_a_target_scoring_exactly_as_the_base_is_a_loud_warning(tmp_path: Path, server: FakeServer) -> None:
    # a template that drops system messages: the system prompt changes nothing on the server
    (tmp_path / "no_system.jinja").write_text(
        "{% for m in messages %}{% if m.role != 'system' %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
        "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    config = tmp_path / "config.toml"
    template = 'template_file = "no_system.jinja"\ntemplate_end_of_turn = "<|im_end|>"\n'
    config.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{server.base_url}"\n{template}'
        '[policies.base]\nmodel = "m"\n[policies.unhelpful]\nmodel = "m"\nsystem_prompt = "Be unhelpful."\n'
    )
    result = _score(config, _data(tmp_path), tmp_path / "scored.jsonl")
    assert _computed(result) == 2 * N_ROWS
    assert "WARNING: target 'unhelpful' is configured differently from base 'base' (system_prompt)" in result.stdout
    assert f"exactly the base's log prob on all {N_ROWS} rows" in result.stdout


def test_a_temperature_the_endpoint_does_not_apply_is_refused_with_exit_3(tmp_path: Path, server: FakeServer) -> None:
    out = tmp_path / "scored.jsonl"
    result = _score(_config(tmp_path, server.base_url, t2="temperature = 0.7"), _data(tmp_path), out)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "samples at temperature 0.7 but its endpoint returns raw log probs" in result.stderr
    assert not out.exists()


def test_a_base_url_without_v1_names_the_path_it_tried(tmp_path: Path, server: FakeServer) -> None:
    result = _score(_config(tmp_path, server.base_url.removesuffix("/v1")), _data(tmp_path), tmp_path / "scored.jsonl")
    assert result.returncode == 3, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "POST /completions answered 404" in message and "base_url ends with the API root (e.g. /v1)" in message
