"""Forms of the API token page: create a token, revoke one."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

MAX_DAYS = 3650


class CreateTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the token a name, e.g. the system that will use it.")), Length(max=100)],
        description=_l("For example, the system that will use it."),
    )
    days = IntegerField(
        _l("Valid for (days)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_DAYS, message=_l("Enter a number of days from %(min)s to %(max)s.")),
        ],
        description=_l("Leave empty for a token that is valid until you revoke it."),
    )


class RevokeTokenForm(FlaskForm):
    """Only the CSRF token: which token to revoke is in the URL."""
