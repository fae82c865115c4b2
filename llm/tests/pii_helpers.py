"""What the PII tests of the structured paths plant, and how they read the prompt's
placeholders back (the model copies what it was given, whatever the numbers)."""

from __future__ import annotations

# Anna Petrova's name, email, phone, INN and public IP.
PLANTED = ("Петрова", "anna.petrova@itlab.ru", "+7 916 123-45-67", "7707083893", "95.165.10.20")


def placeholder_in(text: str, kind: str) -> str:
    """The first placeholder of `kind` in text, e.g. "[email 1]"."""
    start = text.index(f"[{kind} ")
    return text[start : text.index("]", start) + 1]
