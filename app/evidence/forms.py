"""The evidence upload form: what the file is for (a question or a rectification action), and the file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, ValidationError


class EvidenceForm(FlaskForm):
    target = SelectField(_l("Attach to"), validate_choice=False)  # checked below, with our own message
    file = FileField(
        _l("File (PDF, JPEG, PNG, Word .docx or Excel .xlsx)"), validators=[FileRequired(_l("Choose a file."))]
    )

    def validate_target(self, field):
        if field.data not in dict(field.choices):
            raise ValidationError(_l("Choose a question or an action from the list."))


def evidence_form(choices: list[tuple[str, str]], selected: str | None = None) -> EvidenceForm:
    """The form offering `choices` ("item id" or "action:<id>", label); `selected` preselects one on a GET."""
    form = EvidenceForm()
    form.target.choices = choices
    if selected and not form.is_submitted():
        form.target.data = selected
    return form


def parse_target(value: str) -> tuple[str | None, int | None]:
    """(item id, action id) of a chosen target."""
    if value.startswith("action:"):
        return None, int(value[7:])
    return value, None
