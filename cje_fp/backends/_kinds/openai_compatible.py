"""Kind ``openai-compatible`` (the default): ``OpenAICompatiblePolicy`` from a scoring config.

The config fields are the policy's own constructor arguments (derived, not
listed here), with ``template`` given by name, plus ``template_file`` and
``template_end_of_turn`` for a Jinja chat template in a file next to the config::

    [policies.base]
    base_url = "http://127.0.0.1:8000/v1"
    model = "llama-3-8b-instruct"
    template = "llama3"

or, for replicas of one model, ``base_urls = ["http://a:8000/v1", "http://b:8000/v1"]``
(a policy's own ``base_urls`` hides the ``base_url`` of ``[defaults]``, and the
other way round). The scores' fingerprint names no server: which replica
answered does not change it.

>>> sorted(BACKEND.required), "template_file" in BACKEND.fields, "name" in BACKEND.fields
(['model'], True, False)
>>> OpenAICompatiblePolicy(name="p", base_urls=["http://a:1/v1", "http://b:1/v1"], model="m").endpoints
('http://a:1/v1', 'http://b:1/v1')
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from returns.result import Failure, Result, Success

from cje_fp.backends._options import NonEmptyText
from cje_fp.backends._registry import (
    PROBE_LOG_PROB,
    TEMPERATURE_SEMANTICS,
    Backend,
    ConfiguredPolicy,
    Diagnosis,
    EndpointProbe,
    PolicySettings,
    fields_of,
)
from cje_fp.backends.openai import (
    PROBE_TOLERANCE,
    OpenAICompatiblePolicy,
    doctor,
    from_jinja,
    start_probe,
)
from cje_fp.errors import redact_url

_FIELDS, _REQUIRED = fields_of(
    OpenAICompatiblePolicy,
    config_types={"template": str},
    extra={"template_file": NonEmptyText, "template_end_of_turn": NonEmptyText},
)


def _text_id(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _fingerprint(policy: OpenAICompatiblePolicy) -> dict[str, str | None]:
    """Every option that changes a cell (model, template, system prompt, ...); not the address."""
    return {
        "kind": BACKEND.kind,
        "model": policy.model,
        "template": policy.template_id,
        "system_prompt": _text_id(policy.system_prompt),
        "score_end_of_turn": str(policy.score_end_of_turn).lower(),
        "temperature": repr(policy.temperature),
        "max_tokens": str(policy.max_tokens),
        "two_request_fallback": str(policy.two_request_fallback).lower(),
    }


def _endpoint(policy: OpenAICompatiblePolicy) -> str:
    addresses = ",".join(redact_url(url) for url in policy.endpoints)
    return f"{addresses} model={policy.model} temperature={policy.temperature:g} max_tokens={policy.max_tokens}"


async def _probe(policy: OpenAICompatiblePolicy) -> EndpointProbe:
    found = await start_probe(policy)
    measured = {} if found.log_prob is None else {PROBE_LOG_PROB: f"{found.log_prob:.6f}"}
    if found.temperature_semantics is not None:
        measured[TEMPERATURE_SEMANTICS] = found.temperature_semantics
    return EndpointProbe(measured=measured, refusal=found.refusal, summary=found.summary, tolerance=PROBE_TOLERANCE)


_WITHOUT_TEMPLATE: Final = (
    "without a chat template (template or template_file) the prompt is sent as is, so this policy "
    "would score exactly as one without it; set template = \"llama3\" (or chatml, mistral) or "
    "template_file, or remove it"
)


def _ineffective(options: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """Options that cannot change anything given the others."""
    templated = "template" in options or "template_file" in options
    found = [(key, _WITHOUT_TEMPLATE) for key in ("system_prompt", "score_end_of_turn") if key in options and not templated]
    if "template_end_of_turn" in options and "template_file" not in options:
        found.append(("template_end_of_turn", "it is the end-of-turn text of a template_file, and there is none"))
    return tuple(found)


def _load(policy: OpenAICompatiblePolicy) -> str:
    """The in-flight limit now (AIMD lowers it below the ceiling under 429/503), and the
    replicas still in when there are several."""
    stats = policy.endpoint_stats()
    limit = f"limit {sum(s.limit for s in stats if not s.down)}/{sum(s.ceiling for s in stats)}"
    if len(stats) == 1:
        return limit
    return f"{limit}, {sum(not s.down for s in stats)}/{len(stats)} endpoints up"


def _diagnose(policy: OpenAICompatiblePolicy) -> Diagnosis:
    report = doctor(policy)
    unreachable = any(check.name == "reachable" and not check.passed for check in report.checks)
    return Diagnosis(
        policy=policy.name,
        reachable=not unreachable,
        usable=report.usable,
        summary=report.summary(),
        noise_floor=report.noise_floor,
    )


def _with_template_file(settings: PolicySettings) -> Result[dict[str, object], str]:
    options = dict(settings.options)
    template_file = options.pop("template_file", None)
    end_of_turn = options.pop("template_end_of_turn", None)
    if template_file is None:
        return Success(options)
    if "template" in options:
        return Failure("sets both template and template_file")
    if end_of_turn is None:
        return Failure("template_file needs template_end_of_turn")
    source = settings.folder / str(template_file)
    if not source.is_file():
        return Failure(f"template_file {source} does not exist")
    options["template"] = from_jinja(source.read_text(), name=Path(str(template_file)).stem, end_of_turn=str(end_of_turn))
    return Success(options)


def _policy(name: str, options: dict[str, object]) -> Result[ConfiguredPolicy, str]:
    try:
        policy = OpenAICompatiblePolicy(name=name, **options)  # type: ignore[arg-type]  # checked against _FIELDS
    except (ValueError, TypeError) as error:
        return Failure(str(error))
    return Success(
        ConfiguredPolicy(
            policy=policy,
            kind=BACKEND.kind,
            fingerprint=_fingerprint(policy),
            diagnose=lambda: _diagnose(policy),
            api_key_env=policy.api_key_env,
            close=policy.close,
            endpoints=policy.endpoint_stats,
            load=lambda: _load(policy),
            endpoint=_endpoint(policy),
            probe=lambda: _probe(policy),
        )
    )


def _build(settings: PolicySettings) -> Result[ConfiguredPolicy, str]:
    return _with_template_file(settings).bind(lambda options: _policy(settings.name, options))


BACKEND: Final = Backend(
    kind="openai-compatible", fields=_FIELDS, required=_REQUIRED, build=_build, ineffective=_ineffective
)
