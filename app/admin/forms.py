"""Administration forms: the organisation tree, cycles, questionnaire versions, reminders."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from app.organisations import CODE

KIND_CHOICES = [
    SelectChoice("committee", _l("Committee")),
    SelectChoice("general_branch", _l("General branch")),
    SelectChoice("branch", _l("Branch")),
]


def name_field():
    return StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(max=200, message=_l("Too long: at most %(max)s characters.", max=200)),
        ],
    )


class OrganisationForm(FlaskForm):
    parent = SelectField(_l("Under"), coerce=str, validate_choice=True)
    code = StringField(
        _l("Code"),
        description=_l("1–20 letters, digits or hyphens, beginning and ending with a letter or digit."),
        validators=[
            DataRequired(_l("Enter a code.")),
            Regexp(
                f"^{CODE.pattern}$",
                message=_l("Use 1–20 letters, digits or hyphens, beginning and ending with a letter or digit."),
            ),
        ],
    )
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    name = name_field()


class RenameForm(FlaskForm):
    name = name_field()


class MoveForm(FlaskForm):
    parent = SelectField(_l("Move under"), coerce=str, validate_choice=True)
    confirm = HiddenField()


class CycleForm(FlaskForm):
    year = StringField(
        _l("Year"),
        validators=[DataRequired(_l("Enter a year.")), Regexp(r"^\d{4}$", message=_l("Enter a year of four digits."))],
    )
    version = SelectField(_l("Questionnaire version"), validate_choice=True)
    opens_on = DateField(_l("Opens on"), validators=[DataRequired(_l("Enter a date."))])
    closes_on = DateField(_l("Deadline"), validators=[DataRequired(_l("Enter a date."))])


class CycleChangeForm(FlaskForm):
    version = SelectField(_l("Questionnaire version"), validate_choice=True)
    opens_on = DateField(_l("Opens on"), validators=[DataRequired(_l("Enter a date."))])
    closes_on = DateField(_l("Deadline"), validators=[DataRequired(_l("Enter a date."))])


class QuestionnaireUploadForm(FlaskForm):
    file = FileField(_l("Questionnaire file (YAML)"), validators=[FileRequired(_l("Choose a file."))])
