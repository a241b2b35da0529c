"""The reminder a leader sends: which branches."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField


class ReminderForm(FlaskForm):
    branches = SelectMultipleField(_l("Branches"), coerce=int, validate_choice=True)
