"""Blind index: equal values meet, in one column only, under one key only."""

import pytest
from django.test import override_settings

from safespaces.crypto.blind_index import blind_index, normalise
from safespaces.crypto.keys import new_key


def test_the_same_value_and_purpose_give_the_same_digest() -> None:
    first = blind_index("+44 20 7946 0000", purpose="contact.phone")

    assert first == blind_index("+44 20 7946 0000", purpose="contact.phone")
    assert len(first) == 64
    assert "7946" not in first


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Amina@Example.org", "amina@example.org"),
        ("  amina   yusuf ", "amina yusuf"),
        ("amina\tyusuf\n", "amina yusuf"),
        ("ＡＭＩＮＡ", "amina"),  # full-width letters, as some phone keyboards type them
        ("Zoe\u0308", "Zo\u00eb"),  # e + combining diaeresis against the precomposed ë
        ("Straße", "STRASSE"),  # casefold, not lower
    ],
)
def test_it_matches_values_that_differ_only_in_case_spacing_or_unicode_form(
    typed: str, stored: str
) -> None:
    assert blind_index(typed, purpose="p") == blind_index(stored, purpose="p")


def test_normalise_keeps_the_words_and_drops_the_differences() -> None:
    assert normalise("  ＡＭＩＮＡ \t Yusuf ") == "amina yusuf"


def test_different_values_give_different_digests() -> None:
    assert blind_index("amina", purpose="p") != blind_index("amira", purpose="p")


def test_different_purposes_give_different_digests() -> None:
    # A phone number in one column must not be linkable to the same digits in another.
    assert blind_index("555 0100", purpose="contact.phone") != blind_index(
        "555 0100", purpose="ally.phone"
    )


def test_different_keys_give_different_digests() -> None:
    with override_settings(BLIND_INDEX_KEY=new_key()):
        first = blind_index("555 0100", purpose="contact.phone")
    with override_settings(BLIND_INDEX_KEY=new_key()):
        second = blind_index("555 0100", purpose="contact.phone")

    assert first != second


def test_the_purpose_cannot_be_shifted_into_the_value() -> None:
    # The separator keeps ("a", "b c") and ("a b", "c") apart.
    assert blind_index("b c", purpose="a") != blind_index("c", purpose="a b")
