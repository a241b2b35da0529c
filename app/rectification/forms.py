"""Forms of the rectification list: an action, a progress note, closing, removing, and accounting
for one of last year's actions."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.assessment.items import storable
from app.assessment.rectification import EARLIEST, IN_PROGRESS, LATEST, NAME_MAX, PLANNED, TEXT_MAX


def savable(form, field) -> None:
    if field.data and not storable(field.data):
        raise ValidationError(_l("This text contains a character that cannot be saved; please type it again."))


def text(label, required_message, max_length=TEXT_MAX, **kwargs):
    return TextAreaField(
        label,
        validators=[
            DataRequired(required_message),
            Length(max=max_length, message=_l("Too long: at most %(max)s characters.", max=max_length)),
            savable,
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        **kwargs,
    )


def in_range(form, field) -> None:
    if field.data and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(_l("Enter a date between 2000 and 2100."))


def not_future(form, field) -> None:
    if field.data and field.data > date.today():
        raise ValidationError(_l("A progress note records what has happened: choose today or an earlier day."))


DATE_MESSAGE = _l("Enter a date, for example 2026-06-30.")


class ActionForm(FlaskForm):
    problem = text(_l("Problem"), _l("Say what the problem is."))
    measure = text(_l("Rectification measure"), _l("Say what will be done about it."))
    owner_name = StringField(
        _l("Led by (name)"),
        validators=[DataRequired(_l("Name who leads this action.")), Length(max=NAME_MAX), savable],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    owner_role = StringField(
        _l("Role"),
        validators=[Optional(), Length(max=NAME_MAX), savable],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        description=_l("For example, branch secretary or organisation member."),
    )
    deadline = DateField(_l("Deadline"), validators=[InputRequired(DATE_MESSAGE), in_range], format="%Y-%m-%d")
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(PLANNED, _l("Planned")), SelectChoice(IN_PROGRESS, _l("In progress"))],
        validators=[Optional()],
    )


class NoteForm(FlaskForm):
    noted_on = DateField(_l("Date"), validators=[InputRequired(DATE_MESSAGE), in_range, not_future], format="%Y-%m-%d")
    text = text(_l("Progress note"), _l("Write what was done."))


class CloseForm(FlaskForm):
    account = text(_l("What was done"), _l("Write a short account of what was done."))


class DeleteForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, remove this action and its progress notes"),
        validators=[DataRequired(_l("Tick the box to confirm the removal."))],
    )


class AccountForm(FlaskForm):
    """What became of one of last year's unfinished actions."""

    done = RadioField(
        _l("Was it done?"),
        choices=[SelectChoice("yes", _l("Yes, it was done")), SelectChoice("no", _l("Not yet: it goes on this year"))],
        validators=[InputRequired(_l("Say whether it was done."))],
    )
    account = TextAreaField(
        _l("What was done"),
        validators=[Length(max=TEXT_MAX, message=_l("Too long: at most %(max)s characters.", max=TEXT_MAX)), savable],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    deadline = DateField(_l("New deadline"), validators=[Optional(), in_range], format="%Y-%m-%d")

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.done.data == "yes" and not self.account.data:
            self.account.errors.append(_l("Write a short account of what was done."))
            return False
        if self.done.data == "no" and self.deadline.data is None:
            self.deadline.errors.append(_l("Set a new deadline for what goes on."))
            return False
        return True
