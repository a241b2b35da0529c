"""The evidence upload form: which item, and the file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField


class EvidenceForm(FlaskForm):
    item = SelectField(_l("Question"), validate_choice=True)
    file = FileField(
        _l("File (PDF, JPEG, PNG, Word .docx or Excel .xlsx)"), validators=[FileRequired(_l("Choose a file."))]
    )


def evidence_form(questionnaire, lang: str, selected: str | None = None) -> EvidenceForm:
    """The form with the questionnaire's items, in `lang`, as choices."""
    form = EvidenceForm()
    form.item.choices = [(i.id, f"{i.id} {i.text(lang)}") for p in questionnaire.pillars for i in p.items]
    if selected and not form.is_submitted():
        form.item.data = selected
    return form
