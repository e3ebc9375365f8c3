"""The probe at the start of ``score``: once per endpoint, before any cell is computed.

Policies that share an endpoint (``ConfiguredPolicy.endpoint``: address, model
and the settings a probe depends on) are probed together, concurrently with
other endpoints; each backend kind says what it measures (``ConfiguredPolicy.probe``).
What was measured joins each policy's fingerprint, so a stored cell from another
model behind the same name is stale (``cje_fp.scoring._fingerprints``); an
endpoint that would give wrong numbers stops the run before it writes any.
In-process backends have nothing to probe.

>>> import tempfile
>>> from pathlib import Path
>>> from cje_fp.scoring._config import load_config
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "config.toml"
...     _ = path.write_text('base_policy = "b"\\n[defaults]\\nkind = "tabular"\\n'
...                         '[policies.b]\\ntable = {q = {a = -1.0}}\\n[policies.t]\\ntable = {q = {a = -2.0}}\\n')
...     probed = load_config(path).bind(lambda config: probe_endpoints(config, enabled=True))
>>> probed.map(lambda done: done.notes)
<Success: ()>
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends._registry import ConfiguredPolicy, EndpointProbe
from cje_fp.scoring._config import ScoreConfig
from cje_fp.scoring._errors import EndpointRefused


@attrs.frozen(kw_only=True)
class ProbedConfig:
    """The config with each policy's measured fingerprint, and one line per endpoint probed."""

    config: ScoreConfig
    notes: tuple[str, ...]


def _groups(policies: Sequence[ConfiguredPolicy]) -> dict[str, list[ConfiguredPolicy]]:
    groups: dict[str, list[ConfiguredPolicy]] = {}
    for policy in policies:
        if policy.endpoint is not None and policy.probe is not None:
            groups.setdefault(policy.endpoint, []).append(policy)
    return groups


async def _probe_one(policy: ConfiguredPolicy) -> EndpointProbe:
    """The policy's probe; one that crashes measures nothing (the run itself will say what is wrong)."""
    if policy.probe is None:
        return EndpointProbe(measured={}, refusal=None, summary="nothing to probe")
    try:
        return await policy.probe()
    except Exception as error:  # a probe's own bug must not stop the run with a traceback
        return EndpointProbe(measured={}, refusal=None, summary=f"probe crashed ({type(error).__name__}): nothing measured")


async def _probe_all(groups: dict[str, list[ConfiguredPolicy]]) -> list[EndpointProbe]:
    return list(await asyncio.gather(*(_probe_one(members[0]) for members in groups.values())))


def _label(members: Sequence[ConfiguredPolicy]) -> str:
    """The endpoint as its policies' names: never its address (internal hostnames, keys in paths)."""
    return "the endpoint of " + ", ".join(repr(policy.name) for policy in members)


def _measured(policy: ConfiguredPolicy, found: EndpointProbe) -> ConfiguredPolicy:
    return attrs.evolve(
        policy, fingerprint={**policy.fingerprint, **found.measured}, fingerprint_tolerance=found.tolerance
    )


def probe_endpoints(config: ScoreConfig, *, enabled: bool) -> Result[ProbedConfig, EndpointRefused]:
    """Probe every endpoint of ``config`` once (or say that the probe was skipped)."""
    groups = _groups(config.policies)
    if not groups:
        return Success(ProbedConfig(config=config, notes=()))
    if not enabled:
        return Success(ProbedConfig(config=config, notes=("endpoint probe skipped (--no-probe): the servers are trusted",)))
    found = dict(zip(groups, asyncio.run(_probe_all(groups)), strict=True))
    for endpoint, probe in found.items():
        if probe.refusal is not None:
            names = tuple(policy.name for policy in groups[endpoint])
            return Failure(
                EndpointRefused(policies=names, endpoint=_label(groups[endpoint]), reason=probe.refusal, details=probe.summary)
            )
    by_name = {policy.name: endpoint for endpoint, members in groups.items() for policy in members}
    policies = tuple(
        _measured(policy, found[by_name[policy.name]]) if policy.name in by_name else policy for policy in config.policies
    )
    notes = tuple(f"probe of {_label(groups[endpoint])}: {probe.summary}" for endpoint, probe in found.items())
    return Success(ProbedConfig(config=attrs.evolve(config, policies=policies), notes=notes))
