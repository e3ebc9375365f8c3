"""(context, response) pairs that stress the context/response token boundary.

Spaces on either side, CRLF, tabs, accents, CJK, Arabic, emoji (ZWJ sequences,
flags, skin tones), combining marks, NBSP, zero-width space, a response that
merges with the context's last token, literal special-token text, long texts.
"""

from __future__ import annotations

from typing import Final

_LONG_CONTEXT: Final = " ".join(["The answer is yes and the capital of France is Paris."] * 12)
_LONG_RESPONSE: Final = " ".join(["Sure, here is the explanation of the result, thank you."] * 10)

BOUNDARY_PAIRS: Final[tuple[tuple[str, str], ...]] = (
    ("Question: What is the capital of France?\nAnswer:", " The capital of France is Paris."),
    ("2+2=", " 4"),
    ("2+2= ", "4"),
    ("Hello", " there"),
    ("Hello ", "there"),
    ("Hello", "there"),  # merges with the context's last token
    ("The cap", "ital of France"),  # splits a word the vocabulary merges
    ("The answer is", " yes."),
    ("The answer is ", " yes."),  # two spaces across the boundary
    ("Answer:", "  two leading spaces"),
    ("Answer:", "trailing space "),
    ("Answer:", " trailing newline\n"),
    ("Line one\r\n", "Line two\r\n"),
    ("Windows\r", "\nsplit CRLF"),
    ("Code:\n", "\tindented with a tab"),
    ("Tab\t", "after tab"),
    ("Mood:", "😀 great"),
    ("Mood:", " 😀 great"),
    ("Mood: ", "😀"),
    ("Mood:", "😀"),
    ("Family:", "👨‍👩‍👧‍👦"),  # ZWJ sequence
    ("Flag:", " 🇫🇷 France"),
    ("Wave:", "👋🏽 hi"),  # skin tone modifier
    ("Café", " au lait"),
    ("Caf", "é au lait"),  # the accent starts the response
    ("Caf", "e\u0301 combining acute"),  # combining mark
    ("Name:", " résumé naïve"),
    ("Name:", "é"),
    ("日本", "語を話します"),
    ("Japanese:", " 日本語"),
    ("中文", "：你好"),
    ("Arabic:", " مرحبا بالعالم"),
    ("مرحبا", " بالعالم"),
    ("Hebrew:", " שלום"),
    ("Russian:", " Привет мир"),
    ("Greek:", " Καλημέρα"),
    ("Thai:", " สวัสดี"),
    ("Hindi:", " नमस्ते"),
    ("Korean:", " 안녕하세요"),
    ("Price:", "\u00a0100 €"),  # NBSP
    ("Price:\u00a0", "100"),
    ("Zero\u200b", "width space"),
    ("Zero", "\u200bwidth"),
    ("Math:", " ∑ x² ≤ ∞"),
    ("Quote:", " «bonjour» — “hi”"),
    ("Special:", " <|im_end|> literal"),
    ("Special:", " <s> and </s>"),
    ("Tokens <|im_start|>", " inside"),
    ("Angle:", " <b>bold</b>"),
    ("Digits:", " 1234567890"),
    ("Empty lines:\n\n", "\n\nafter"),
    ("Spaces:   ", "   many"),
    ("Mixed:", " aé日😀b"),
    ("Ends with emoji 😀", " then text"),
    ("Ends with emoji 😀", "😀"),
    (_LONG_CONTEXT, " Yes."),
    ("Explain:", " " + _LONG_RESPONSE),
    (_LONG_CONTEXT, " " + _LONG_RESPONSE),
)
