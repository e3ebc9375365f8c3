"""Whether a stored cell stands: configured entries equal, measured ones within tolerance, the address ignored."""

from __future__ import annotations

import pytest

from cje_fp.scoring._fingerprints import changes, same_source

_CURRENT = {"kind": "openai-compatible", "model": "m", "system_prompt": "abc", "probe_log_prob": "-20.000000",
            "temperature_semantics": "raw"}


@pytest.mark.parametrize(
    ("stored", "stands"),
    [
        (_CURRENT, True),
        ({**_CURRENT, "base_url": "http://old-host:8000/v1"}, True),
        ({**_CURRENT, "probe_log_prob": "-20.040000"}, True),
        ({**_CURRENT, "probe_log_prob": "-20.060000"}, False),
        ({**_CURRENT, "probe_log_prob": "nan"}, False),
        ({**_CURRENT, "temperature_semantics": "scaled"}, False),
        ({key: value for key, value in _CURRENT.items() if key != "probe_log_prob"}, True),
        ({**_CURRENT, "system_prompt": "abd"}, False),
        ({key: value for key, value in _CURRENT.items() if key != "system_prompt"}, False),
        ({**_CURRENT, "extra": "x"}, False),
        ("not a mapping", False),
    ],
)
def test_a_stored_cell_stands_only_when_what_produced_it_is_unchanged(stored: object, stands: bool) -> None:
    assert same_source(stored, _CURRENT, 0.05) is stands


def test_a_run_that_skipped_the_probe_compares_configured_entries_only() -> None:
    configured = {key: value for key, value in _CURRENT.items() if key not in ("probe_log_prob", "temperature_semantics")}
    assert same_source({**_CURRENT, "probe_log_prob": "-99.0"}, configured, 0.05)
    assert changes({**_CURRENT, "model": "n"}, configured, 0.05) == ["model n -> m"]
