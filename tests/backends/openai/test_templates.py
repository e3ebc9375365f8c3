"""Chat templates: exact renderings, end-of-turn scoring, user Jinja, refusals, ids."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from cje_fp.backends.openai._templates import (
    RenderedPrompt,
    chatml,
    from_jinja,
    llama3,
    mistral,
    resolve_template,
)
from cje_fp.errors._log_prob import InvalidInput
from tests.conftest import error_of, value_of

# The chat_template of Qwen2.5-Instruct's tokenizer_config.json minus its
# default system prompt and tool handling: what users paste in.
HF_CHATML = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def test_llama3_renders_the_official_layout() -> None:
    rendered = value_of(llama3().render(system="Be terse.", user="2+2?", response="4", score_end_of_turn=True))
    assert rendered == RenderedPrompt(
        context=(
            "<|start_header_id|>system<|end_header_id|>\n\nBe terse.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        ),
        scored="4<|eot_id|>",
    )
    with_bos = value_of(llama3(include_bos=True).render(system=None, user="Hi", response="Yo", score_end_of_turn=False))
    assert with_bos.context.startswith("<|begin_of_text|><|start_header_id|>user")
    assert with_bos.scored == "Yo"


def test_chatml_and_mistral() -> None:
    assert value_of(chatml().render(system=None, user="Hi", response="Hello", score_end_of_turn=True)) == RenderedPrompt(
        context="<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", scored="Hello<|im_end|>"
    )
    assert value_of(
        mistral(include_bos=True).render(system="Sys", user="Hi", response=" Hello", score_end_of_turn=True)
    ) == RenderedPrompt(context="<s>[INST] Sys\n\nHi [/INST]", scored=" Hello</s>")


def test_a_pasted_hf_template_matches_the_builtin() -> None:
    user = from_jinja(HF_CHATML, name="qwen", end_of_turn="<|im_end|>")
    for score in (True, False):
        assert user.render(system="S", user="U", response="R", score_end_of_turn=score) == chatml().render(
            system="S", user="U", response="R", score_end_of_turn=score
        )


@given(
    user=st.text(min_size=1, max_size=30),
    response=st.text(min_size=1, max_size=30),
    system=st.none() | st.text(max_size=20),
    score=st.booleans(),
)
def test_context_plus_scored_is_the_whole_conversation(user: str, response: str, system: str | None, score: bool) -> None:
    for template in (llama3(), chatml(), mistral()):
        rendered = value_of(template.render(system=system, user=user, response=response, score_end_of_turn=score))
        assert rendered.scored == (response + template.end_of_turn if score else response)
        assert user in rendered.context and rendered.context.endswith(("\n", "[/INST]"))


def test_a_template_that_trims_the_reply_is_refused() -> None:
    trimming = from_jinja(
        "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] | trim }}</t>{% endfor %}"
        "{% if add_generation_prompt %}<assistant>{% endif %}",
        end_of_turn="</t>",
    )
    assert value_of(trimming.render(system=None, user="Q", response="A", score_end_of_turn=True)).scored == "A</t>"
    error = error_of(trimming.render(system=None, user="Q", response=" A ", score_end_of_turn=True))
    assert isinstance(error, InvalidInput) and error.field == "response" and "trims" in error.reason


def test_raise_exception_and_missing_end_of_turn_are_input_errors() -> None:
    strict = from_jinja(
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system role') }}"
        "{% endif %}{{ m['content'] }}{% endfor %}",
        end_of_turn="<end>",
    )
    error = error_of(strict.render(system="S", user="U", response="R", score_end_of_turn=False))
    assert isinstance(error, InvalidInput) and "no system role" in error.reason
    no_marker = error_of(strict.render(system=None, user="U", response="R", score_end_of_turn=True))
    assert isinstance(no_marker, InvalidInput) and "end-of-turn" in no_marker.reason


def test_the_sandbox_blocks_attribute_escapes() -> None:
    escape = from_jinja("{{ messages.__class__.__mro__ }}", end_of_turn="x")
    error = error_of(escape.render(system=None, user="U", response="R", score_end_of_turn=False))
    assert isinstance(error, InvalidInput)


def test_a_template_that_does_not_compile_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="does not compile"):
        from_jinja("{% for %}", end_of_turn="x")


def test_template_ids_name_and_hash_everything_that_changes_the_output() -> None:
    assert llama3().template_id == llama3().template_id
    assert llama3().template_id.startswith("llama3@")
    assert llama3().template_id != llama3(include_bos=True).template_id
    assert from_jinja(HF_CHATML, end_of_turn="<|im_end|>").template_id != from_jinja(HF_CHATML, end_of_turn="x").template_id
    assert resolve_template("mistral") is not None and resolve_template(None) is None
    with pytest.raises(ValueError, match="unknown chat template"):
        resolve_template("vicuna")
