"""Whether a stored cell stands: configured entries equal, measured ones within tolerance, the address ignored."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

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


fingerprints = st.dictionaries(
    st.sampled_from(["kind", "model", "system_prompt", "probe_log_prob", "temperature_semantics", "template"]),
    st.one_of(st.none(), st.sampled_from(["m", "raw", "-20.000000", "nan", "inf", "", "x"])),
)


@given(fingerprints)
def test_an_unchanged_fingerprint_is_judged_as_the_full_comparison_judges_it(current: dict[str, str | None]) -> None:
    # an address in the stored one makes the two differ without changing what the comparison finds
    assert changes(dict(current), current, 0.05) == changes({**current, "base_url": "http://a/v1"}, current, 0.05)


def test_an_unreadable_probe_log_prob_never_stands_even_when_unchanged() -> None:
    for unreadable in (None, "nan", "x"):
        current = {**_CURRENT, "probe_log_prob": unreadable}
        assert not same_source(dict(current), current, 0.05)
