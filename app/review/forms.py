"""The leader's review form: approve or return, an overall comment, and a comment per item if needed."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField, ValidationError
from wtforms.validators import AnyOf, Length

from app.assessment.questionnaire import Questionnaire
from app.models import APPROVED, RETURNED
from app.review.service import MAX_COMMENT

TOO_LONG = _l("Too long: at most %(max)s characters.", max=MAX_COMMENT)


class ReviewForm(FlaskForm):
    decision = StringField(validators=[AnyOf((APPROVED, RETURNED), message=_l("Choose to approve or to return."))])
    comment = TextAreaField(_l("Overall comment"), validators=[Length(max=MAX_COMMENT, message=TOO_LONG)])

    def validate_comment(self, field):
        if self.decision.data == RETURNED and not (field.data or "").strip():
            raise ValidationError(_l("Say what the branch should change: a returned self-check needs a comment."))

    def item_comments(self) -> dict[str, str]:
        """Item id → the comment typed beside it (only those typed)."""
        return {name[5:]: field.data.strip() for name, field in self._fields.items() if name.startswith("item_")
                and (field.data or "").strip()}  # fmt: skip


@cache
def review_form_class(questionnaire: Questionnaire) -> type[ReviewForm]:
    """The review form with an optional comment field per item (`item_<id>`) of the questionnaire."""
    fields = {
        f"item_{item.id}": TextAreaField(item.id, validators=[Length(max=MAX_COMMENT, message=TOO_LONG)])
        for item in questionnaire.items.values()
    }
    return type("QuestionnaireReviewForm", (ReviewForm,), fields)
