"""Sign-in and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

#: The shortest password accepted; length beats complexity rules.
MIN_PASSWORD_LENGTH = 10


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    #: Off unless she ticks it: a remember cookie outlives the browser session.
    remember = BooleanField(_l("Keep me signed in on this device"), default=False)
    next = HiddenField()


class EmailLinkForm(FlaskForm):
    """Ask for an emailed link: to sign in without the password, or to choose a new one."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class SpendLinkForm(FlaskForm):
    """The button that spends a sign-in link (a GET alone, as mail scanners make, does not)."""

    remember = BooleanField(_l("Keep me signed in on this device"), default=False)


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("The 6-digit code from your app, or one of your recovery codes."),
    )


class NewPasswordForm(FlaskForm):
    """Choose a new password (from a reset link); also the end of ChangePasswordForm."""

    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("At least %(min)d characters.", min=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=200)]
    )


class ConfirmTwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=10)],
        description=_l("Six digits; they change every 30 seconds."),
    )


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])
