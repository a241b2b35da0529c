"""Reopening a submitted self-check: the reason asked for."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for reopening"),
        validators=[
            DataRequired(_l("Please say why the self-check is reopened.")),
            Length(max=1000, message=_l("Too long: at most %(max)s characters.", max=1000)),
        ],
    )
