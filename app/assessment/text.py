"""A text in both languages of the application: Chinese first, English beside it."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en
