"""The history's size estimate, which decides when to compact and which model fits."""

from __future__ import annotations

from agent.compression import estimate_tokens
from agent.messages import UserMessage


def said(body: str) -> UserMessage:
    return {"role": "user", "content": [{"type": "text", "text": body}]}


def test_the_estimate_is_about_four_characters_a_token_of_the_encoded_history() -> None:
    history = [said("x" * 4000), said("y" * 4000)]
    assert 2000 <= estimate_tokens(history) <= 2050


def test_non_ascii_text_counts_by_characters_not_by_encoded_bytes() -> None:
    ascii_history = [said("e" * 4000)]
    accented = [said("é" * 4000)]
    assert estimate_tokens(accented) == estimate_tokens(ascii_history)


def test_an_empty_history_estimates_nothing_much() -> None:
    assert estimate_tokens([]) <= 1
