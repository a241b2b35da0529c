"""The self-check form, one page per pillar, generated from the questionnaire definition.

Each item's entry (`Item.entry`, a widget kind) decides its field; every field validates
through `Item.parse`, the same rule the autosave endpoint and the importer use. Pages are rendered by the templates'
own macros from `field.data` and `field.errors`, not by WTForms widgets (much faster).

An item may post several inputs under its id: the two counts of a percentage, and the
"not applicable" box; `AnswerField` joins them into the one string `Item.parse` reads
("27/30", "n/a"), as the page's autosave script does.
"""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField, ValidationError

from app.assessment.items import NOT_APPLICABLE, AnswerError, FreeText, Item
from app.assessment.questionnaire import Questionnaire


def answer_error_message(error: AnswerError) -> str:
    """The user-language message for a domain `AnswerError`."""
    messages = {
        "unreadable": lambda p: _("This answer contains a character that cannot be saved; please type it again."),
        "too_long": lambda p: _("Too long: at most %(max)s characters.", **p),
        "yes_no": lambda p: _("Choose yes or no."),
        "percent": lambda p: _("Enter a number from 0 to 100."),
        "whole_number": lambda p: _("Enter a whole number from %(min)s to %(max)s.", **p),
        "counts": lambda p: _("Enter two whole numbers, the first not larger than the second."),
        "not_applicable": lambda p: _("This question has no “not applicable” answer."),
        "unknown_item": lambda p: _("This question is not part of the questionnaire."),
    }
    return messages[error.code](error.params)


class ItemValidator:
    def __init__(self, item: Item):
        self.item = item

    def __call__(self, form, field: Field):
        try:
            field.typed = self.item.parse(field.data)
        except AnswerError as exc:
            field.typed = None
            raise ValidationError(answer_error_message(exc)) from None


class AnswerField(StringField):
    """The inputs posted under one item id, as one answer string."""

    def process_formdata(self, valuelist):
        values = [v.strip() for v in valuelist]
        if NOT_APPLICABLE in values:
            self.data = NOT_APPLICABLE
        elif len(values) == 2:  # the two counts of a percentage
            self.data = "/".join(values) if any(values) else ""
        else:
            self.data = values[0] if values else ""


def one_newline(value):
    """A posted textarea ends its lines with CRLF; the page's script and its counter see LF. Counted
    as one character, as the user sees it, so the length limit means the same on every path."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def make_field(item: Item) -> Field:
    """A field for `item`; every entry posts a string that `Item.parse` checks."""
    # the label is rendered by the templates; giving one here spares WTForms a lookup per request
    if isinstance(item.entry, FreeText):
        return TextAreaField(label=item.id, validators=[ItemValidator(item)], filters=[one_newline])
    return AnswerField(label=item.id, validators=[ItemValidator(item)])


class PillarForm(FlaskForm):
    def raw_answers(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}

    def valid_answers(self) -> dict:
        """The answers that passed validation (to save even when others failed)."""
        return {name: value for name, value in self.raw_answers().items() if not self._fields[name].errors}


@cache
def pillar_form_class(questionnaire: Questionnaire, pillar_id: str) -> type[PillarForm]:
    """The form class of one pillar, built once per questionnaire version."""
    fields = {item.id: make_field(item) for item in questionnaire.pillar(pillar_id).items}
    return type(f"PillarForm_{questionnaire.version}_{pillar_id}", (PillarForm,), fields)
