"""The forms of an inquiry's page: her reply, the organiser's answer, a change of status."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..content.models import ANSWERED, BOOKED, DECLINED, NEW, QUOTED
from ..hostile import SafeForm

#: The longest message on a thread: a long quote, not a book.
BODY_MAX = 10_000


def status_labels():
    return {
        NEW: _l("New"),
        ANSWERED: _l("Answered"),
        QUOTED: _l("Quoted"),
        BOOKED: _l("Booked"),
        DECLINED: _l("Declined"),
    }


STATUS_BADGES = {
    NEW: "badge-warn",
    ANSWERED: "",
    QUOTED: "badge-warn",
    BOOKED: "badge-ok",
    DECLINED: "badge-danger",
}


def status_choices(statuses):
    labels = status_labels()
    return [SelectChoice(status, labels[status]) for status in statuses]


class InquiryReplyForm(SafeForm):
    body = TextAreaField(
        _l("Your reply"),
        validators=[
            DataRequired(_l("Write your reply.")),
            Length(max=BODY_MAX, message=_l("Please keep it under 10,000 characters.")),
        ],
    )
    status = SelectField(_l("After this reply, the inquiry is"))

    def __init__(self, *args, inquiry, **kwargs):
        super().__init__(*args, **kwargs)
        # Replying to a new inquiry answers it; a reply keeps any later status as it is.
        current = ANSWERED if inquiry.status == NEW else inquiry.status
        allowed = [current] + [s for s in inquiry.next_statuses() if s not in (current, NEW)]
        self.status.choices = status_choices(allowed)
        if not self.status.data or self.status.data == "None":
            self.status.data = current


class InquiryNoteForm(SafeForm):
    body = TextAreaField(
        _l("What the organiser answered"),
        validators=[
            DataRequired(_l("Paste or sum up their answer.")),
            Length(max=BODY_MAX, message=_l("Please keep it under 10,000 characters.")),
        ],
    )


class InquiryStatusForm(SafeForm):
    status = SelectField(_l("New status"))

    def __init__(self, *args, inquiry, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = status_choices(inquiry.next_statuses())
