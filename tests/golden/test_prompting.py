"""How a golden case becomes the prompt: chat messages or plain text."""

from __future__ import annotations

from typing import Any

from releasegate.golden.cases import GoldenCase
from releasegate.golden.prompting import PromptSpec, build_prompt


def golden_case(case_input: Any) -> GoldenCase:
    return GoldenCase(suite="s", id="q1", input=case_input, expected="x")


def test_chat_with_system_prompt() -> None:
    prompt = build_prompt(golden_case("Where is my order?"), PromptSpec(system="Be polite."))
    assert prompt.text is None
    assert prompt.messages == (
        {"role": "system", "content": "Be polite."},
        {"role": "user", "content": "Where is my order?"},
    )


def test_chat_without_system_prompt() -> None:
    prompt = build_prompt(golden_case("Hi"), PromptSpec())
    assert prompt.messages == ({"role": "user", "content": "Hi"},)


def test_chat_with_template_wraps_the_user_message() -> None:
    spec = PromptSpec(template="Customer asks: {input}\nReply briefly.")
    prompt = build_prompt(golden_case("退款要多久"), spec)
    assert prompt.messages == (
        {"role": "user", "content": "Customer asks: 退款要多久\nReply briefly."},
    )


def test_plain_template() -> None:
    spec = PromptSpec(chat=False, template="Question: {input}\nAnswer:")
    prompt = build_prompt(golden_case("What is 2+2?"), spec)
    assert prompt.messages is None
    assert prompt.text == "Question: What is 2+2?\nAnswer:"


def test_plain_without_template_sends_the_input_as_is() -> None:
    prompt = build_prompt(golden_case("  raw text  "), PromptSpec(chat=False))
    assert prompt.text == "  raw text  "


def test_template_braces_and_input_braces_are_literal() -> None:
    spec = PromptSpec(chat=False, template='JSON like {"a": 1} for: {input}')
    prompt = build_prompt(golden_case("{name} and {input}"), spec)
    assert prompt.text == 'JSON like {"a": 1} for: {name} and {input}'


def test_template_with_input_twice() -> None:
    spec = PromptSpec(chat=False, template="{input} / {input}")
    assert build_prompt(golden_case("x"), spec).text == "x / x"


def test_chat_messages_keep_an_existing_system_message() -> None:
    conversation = (
        {"role": "system", "content": "You are the shop's own assistant."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi, how can I help?"},
        {"role": "user", "content": "Refund please"},
    )
    prompt = build_prompt(golden_case(conversation), PromptSpec(system="Suite system prompt."))
    assert prompt.messages == conversation


def test_chat_messages_without_system_get_the_suite_system_prompt() -> None:
    conversation = ({"role": "user", "content": "Hello"},)
    prompt = build_prompt(golden_case(conversation), PromptSpec(system="Be brief."))
    assert prompt.messages == ({"role": "system", "content": "Be brief."}, *conversation)


def test_chat_messages_ignore_the_template() -> None:
    conversation = ({"role": "user", "content": "Hello"},)
    prompt = build_prompt(golden_case(conversation), PromptSpec(template="Q: {input}"))
    assert prompt.messages == conversation


def test_chat_messages_are_copied_not_shared() -> None:
    message = {"role": "user", "content": "Hello"}
    prompt = build_prompt(golden_case((message,)), PromptSpec())
    assert prompt.messages is not None
    assert prompt.messages[0] == message
    assert prompt.messages[0] is not message


def test_chat_messages_in_a_plain_suite_become_text() -> None:
    conversation = (
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi"},
        {"role": "user", "content": "Refund?"},
    )
    prompt = build_prompt(golden_case(conversation), PromptSpec(chat=False))
    assert prompt.text is not None
    assert [part for part in ("Hello", "Hi", "Refund?") if part in prompt.text] == [
        "Hello",
        "Hi",
        "Refund?",
    ]
    assert prompt.text.index("Hello") < prompt.text.index("Hi") < prompt.text.index("Refund?")
