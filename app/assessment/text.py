"""A text in both languages of the application: Chinese first, English beside it."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("zh", "en")
MODES = (*LANGUAGES, "bilingual")  # a document in one language, or in both


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def fill(template: Text, **values: Text | str) -> Text:
    """A bilingual label with %(name)s placeholders, filled in each language with that language's values."""

    def one(lang: str) -> str:
        return getattr(template, lang) % {k: v(lang) if isinstance(v, Text) else v for k, v in values.items()}

    return Text(one("zh"), one("en"))
