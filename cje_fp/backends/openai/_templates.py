"""Chat templates: turn (system, user prompt, assistant reply) into a raw prompt to score.

Every template is a Hugging Face ``chat_template``-compatible Jinja string,
rendered in a sandbox. The context is the conversation rendered with
``add_generation_prompt=True``; the scored text is the reply, followed by the
end-of-turn marker only when ``score_end_of_turn`` says so. A template that
does not extend its own generation prompt with the reply verbatim (for
example one that trims the reply) is refused, never guessed around.

Built-ins: ``llama3()``, ``chatml()`` (Qwen) and ``mistral()``; ``from_jinja``
wraps a user's template. ``template_id`` (name plus a hash of everything that
changes the output) is what results record.

>>> rendered = llama3().render(system=None, user="2+2?", response="4", score_end_of_turn=True)
>>> print(rendered.map(lambda prompt: prompt.context).value_or(""))
<|start_header_id|>user<|end_header_id|>
<BLANKLINE>
2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>
<BLANKLINE>
<BLANKLINE>
>>> rendered.map(lambda prompt: prompt.scored)
<Success: 4<|eot_id|>>
>>> llama3().template_id
'llama3@1935502fc13d'
"""

from __future__ import annotations

import hashlib
from typing import Final, NoReturn

import attrs
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from returns.result import Failure, Result, Success

from cje_fp.errors import InvalidInput, LogProbError, excerpt, redact

LLAMA3_SOURCE: Final = (
    "{{- bos_token -}}"
    "{%- for message in messages -%}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    " + message['content'] + '<|eot_id|>' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}"
    "{%- endif -%}"
)

CHATML_SOURCE: Final = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

MISTRAL_SOURCE: Final = (
    "{%- set ns = namespace(system='') -%}"
    "{{- bos_token -}}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}"
    "{%- set ns.system = message['content'] + '\\n\\n' -%}"
    "{%- elif message['role'] == 'user' -%}"
    "{{- '[INST] ' + ns.system + message['content'] + ' [/INST]' -}}"
    "{%- set ns.system = '' -%}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{{- message['content'] + eos_token -}}"
    "{%- else -%}"
    "{{- raise_exception('unknown role ' + message['role']) -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
)


class TemplateRenderError(Exception):
    """Raised by a template's ``raise_exception(...)``."""


def _raise_exception(message: str) -> NoReturn:
    raise TemplateRenderError(message)


def _environment() -> ImmutableSandboxedEnvironment:
    # The same settings as Hugging Face's ``apply_chat_template``.
    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    environment.globals["raise_exception"] = _raise_exception
    return environment


_ENVIRONMENT: Final = _environment()


def _compile(instance: ChatTemplate, attribute: object, source: str) -> None:
    try:
        _ENVIRONMENT.from_string(source)
    except jinja2.TemplateSyntaxError as error:
        raise ValueError(f"chat template {instance.name!r} does not compile: {error}") from error


@attrs.frozen(kw_only=True)
class RenderedPrompt:
    """A conversation as raw text: ``context + scored`` is the prompt sent."""

    context: str
    scored: str


@attrs.frozen(kw_only=True, eq=False)
class ChatTemplate:
    """A named Jinja chat template plus its special tokens.

    ``end_of_turn`` is the text that closes the assistant's turn (scored only
    when asked); ``bos_token`` and ``eos_token`` are passed to the template.
    Servers usually add the BOS token themselves, so it defaults to empty.
    """

    name: str
    source: str = attrs.field(validator=_compile, repr=False)
    end_of_turn: str
    bos_token: str = ""
    eos_token: str = ""
    _compiled: jinja2.Template = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_compiled", _ENVIRONMENT.from_string(self.source))

    @property
    def template_id(self) -> str:
        """``name@hash``: the hash covers the source and the special tokens."""
        material = "\x00".join((self.source, self.end_of_turn, self.bos_token, self.eos_token))
        return f"{self.name}@{hashlib.sha256(material.encode('utf-8')).hexdigest()[:12]}"

    def _render(self, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
        return self._compiled.render(
            messages=messages,
            add_generation_prompt=add_generation_prompt,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
        )

    def render(
        self, *, system: str | None, user: str, response: str, score_end_of_turn: bool
    ) -> Result[RenderedPrompt, LogProbError]:
        """The context (up to the assistant's turn) and the text to score."""
        messages = ([{"role": "system", "content": system}] if system is not None else []) + [
            {"role": "user", "content": user}
        ]
        try:
            prefix = self._render(messages, add_generation_prompt=True)
            full = self._render(
                [*messages, {"role": "assistant", "content": response}], add_generation_prompt=False
            )
        except (jinja2.TemplateError, TemplateRenderError, TypeError, ValueError) as error:
            reason = f"template {self.name} failed: {excerpt(redact(str(error)))}"
            return Failure(InvalidInput(field="context", reason=reason))
        return self._split(prefix, full, response, score_end_of_turn)

    def _split(
        self, prefix: str, full: str, response: str, score_end_of_turn: bool
    ) -> Result[RenderedPrompt, LogProbError]:
        if not full.startswith(prefix):
            reason = f"template {self.name}: the reply does not extend the generation prompt"
            return Failure(InvalidInput(field="context", reason=reason))
        tail = full[len(prefix) :]
        if not tail.startswith(response):
            reason = f"template {self.name} changes the reply text (e.g. trims it)"
            return Failure(InvalidInput(field="response", reason=reason))
        after = tail[len(response) :]
        if not score_end_of_turn:
            return Success(RenderedPrompt(context=prefix, scored=response))
        if not self.end_of_turn or not after.startswith(self.end_of_turn):
            reason = f"template {self.name}: no end-of-turn marker {self.end_of_turn!r} after the reply"
            return Failure(InvalidInput(field="response", reason=reason))
        return Success(RenderedPrompt(context=prefix, scored=response + self.end_of_turn))


def llama3(*, include_bos: bool = False) -> ChatTemplate:
    """Llama 3 / 3.1 instruct format; the reply's end of turn is ``<|eot_id|>``."""
    return ChatTemplate(
        name="llama3",
        source=LLAMA3_SOURCE,
        end_of_turn="<|eot_id|>",
        bos_token="<|begin_of_text|>" if include_bos else "",
        eos_token="<|eot_id|>",
    )


def chatml() -> ChatTemplate:
    """ChatML (Qwen 2/2.5 and others); the reply's end of turn is ``<|im_end|>``.

    >>> rendered = chatml().render(system="Be brief.", user="Hi", response="Hello", score_end_of_turn=False)
    >>> rendered.map(lambda prompt: prompt.context.split("\\n"))
    <Success: ['<|im_start|>system', 'Be brief.<|im_end|>', '<|im_start|>user', 'Hi<|im_end|>', '<|im_start|>assistant', '']>
    """
    return ChatTemplate(
        name="chatml", source=CHATML_SOURCE, end_of_turn="<|im_end|>", eos_token="<|im_end|>"
    )


def mistral(*, include_bos: bool = False) -> ChatTemplate:
    """Mistral instruct ``[INST] ... [/INST]``; a system prompt is prepended to
    the user's turn. The reply's end of turn is ``</s>``.

    >>> mistral().render(system=None, user="Hi", response=" Hello", score_end_of_turn=True)
    <Success: RenderedPrompt(context='[INST] Hi [/INST]', scored=' Hello</s>')>
    """
    return ChatTemplate(
        name="mistral",
        source=MISTRAL_SOURCE,
        end_of_turn="</s>",
        bos_token="<s>" if include_bos else "",
        eos_token="</s>",
    )


def from_jinja(
    source: str,
    *,
    name: str = "custom",
    end_of_turn: str,
    bos_token: str = "",
    eos_token: str = "",
) -> ChatTemplate:
    """A user's Jinja template (e.g. a model's ``tokenizer_config.json`` ``chat_template``).

    >>> template = from_jinja(
    ...     "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{{ eos_token }}{% endfor %}"
    ...     "{% if add_generation_prompt %}<assistant>{% endif %}",
    ...     name="tiny", end_of_turn="</t>", eos_token="</t>")
    >>> template.render(system=None, user="Q", response="A", score_end_of_turn=True)
    <Success: RenderedPrompt(context='<user>Q</t><assistant>', scored='A</t>')>
    """
    return ChatTemplate(
        name=name, source=source, end_of_turn=end_of_turn, bos_token=bos_token, eos_token=eos_token
    )


BUILTIN_TEMPLATES: Final = {"llama3": llama3, "chatml": chatml, "mistral": mistral}


def resolve_template(template: ChatTemplate | str | None) -> ChatTemplate | None:
    """A template, or a built-in one by name (``llama3``, ``chatml``, ``mistral``)."""
    if template is None or isinstance(template, ChatTemplate):
        return template
    factory = BUILTIN_TEMPLATES.get(template)
    if factory is None:
        raise ValueError(f"unknown chat template {template!r}; built-ins: {sorted(BUILTIN_TEMPLATES)}")
    return factory()
