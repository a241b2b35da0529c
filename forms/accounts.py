"""Forms of account administration: one's own password, managing accounts, importing a tree."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.accounts.policy import MAX_LENGTH, MESSAGES, MIN_LENGTH, password_problem


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=MAX_LENGTH)],
        description=_l("If an administrator gave you a temporary password, enter it here."),
    )
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a new password."))],
        description=_l(
            "At least %(num)d characters; a few words you remember are easier to type than symbols.", num=MIN_LENGTH
        ),
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Enter the new password again.")),
            EqualTo("new", _l("The two new passwords differ.")),
        ],
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_new(self, field):
        problem = password_problem(field.data, self.user.username, self.current.data)
        if problem:
            raise ValidationError(MESSAGES[problem])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: what to do and to whom is in the URL."""


class EditUserForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()])
    assigned = SelectMultipleField(
        _l("Trainer reads"),
        validators=[Optional()],
        description=_l("For a trainer: the organisations whose results they may read."),
    )


class CreateUserForm(EditUserForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Enter a username.")), Length(max=80, message=_l("Too long."))],
    )
    name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200, message=_l("Too long."))]
    )


class ImportTreeForm(FlaskForm):
    file = FileField(
        _l("File"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["xlsx", "csv"], _l("The file must be an XLSX or CSV file made from the template.")),
        ],
    )
