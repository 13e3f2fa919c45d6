"""Sign-in (rate-limited, with an optional second factor), sign-out and account security.

Nobody can lock the owner out (her email is printed on receipts): wrong attempts are
refused per address and per account-and-address pair, the account itself only slows down
(throttle.py), and an emailed single-use link always lets her in, second factor included.
"""

import time

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from .. import business, navigation
from ..extensions import db, limiter, utcnow
from ..i18n import current_lang
from ..security import is_safe_next
from . import service, throttle, two_factor
from .access import owner_only, public, staff
from .forms import (
    ChangePasswordForm,
    ConfirmTwoFactorForm,
    EmailLinkForm,
    LoginForm,
    NewPasswordForm,
    PasswordConfirmForm,
    SecondFactorForm,
    SpendLinkForm,
)
from .models import LINK_PASSWORD_RESET, LINK_SIGN_IN, User, load_user, verify_password

bp = Blueprint("auth", __name__, url_prefix="/<lang:lang>")

#: Seconds a person has to type the second factor after a correct password.
SECOND_FACTOR_SECONDS = 300
PENDING = "auth.pending_second_factor"
SETUP_SECRET = "auth.totp_setup_secret"
#: Whether she chose "keep me signed in" for this browser, kept when her sessions renew.
REMEMBER = "auth.remember"


@bp.record_once
def add_menu(state):
    navigation.add_staff(
        state.app, "auth.account", _l("Account"), 90, roles=("owner", "accountant")
    )


def home_for(user):
    return url_for("admin.dashboard") if user.is_owner else url_for("accounting.ledger")


def login_rate_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def submitted_account():
    """The account a sign-in step is about: the email typed, or the one awaiting its code."""
    pending = session.get(PENDING) or {}
    if request.endpoint == "auth.login_code" and pending.get("user"):
        return "code:" + pending["user"].partition(":")[0]
    return "email:" + request.form.get("email", "").strip().lower()


def account_and_address():
    return f"pair:{submitted_account()}@{get_remote_address()}"


def limited(view):
    """Each sign-in step: LOGIN_RATE_LIMIT per address and per account-and-address pair.

    Never per account alone: attempts from everywhere on her email must not refuse her
    own; they only slow the account down (throttle.py).
    """
    view = limiter.limit(login_rate_limit, key_func=get_remote_address, methods=["POST"])(view)
    return limiter.limit(login_rate_limit, key_func=account_and_address, methods=["POST"])(view)


def signed_in_account():
    return f"confirm:{getattr(current_user, 'id', '')}"


def confirm_limited(view):
    """Forms that confirm her password: LOGIN_RATE_LIMIT per account and per address.

    Only a signed-in session reaches them, so the per-account limit locks nobody out.
    """
    view = limiter.limit(login_rate_limit, key_func=get_remote_address, methods=["POST"])(view)
    return limiter.limit(login_rate_limit, key_func=signed_in_account, methods=["POST"])(view)


@bp.errorhandler(429)
def too_many_attempts(error):
    return render_template("auth/too_many_attempts.html"), 429


def paused(template, seconds, **context):
    """The account is slowing down: say how long to wait, and offer the emailed link."""
    message = ngettext(
        "Too many attempts for this account. Try again in %(num)d second, "
        "or sign in with a link sent by email.",
        "Too many attempts for this account. Try again in %(num)d seconds, "
        "or sign in with a link sent by email.",
        seconds,
    )
    response = current_app.make_response(
        (render_template(template, paused=message, **context), 429)
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def complete_login(user, target, remember):
    service.record_sign_in(db.session, user, utcnow())
    login_user(user, remember=remember)
    session[REMEMBER] = bool(remember)
    return redirect(target if is_safe_next(target) else home_for(user))


def renew_login(user):
    """Her session token changed (and ended her other sessions): keep this browser in."""
    login_user(user, remember=session.get(REMEMBER, False))


def ask_second_factor(user, target, remember):
    session[PENDING] = {
        "user": user.get_id(),
        "next": target,
        "remember": bool(remember),
        "at": time.time(),
    }
    return redirect(url_for("auth.login_code"))


@bp.route("/login", methods=["GET", "POST"])
@public
@limited
def login():
    """Sign in with email and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        account = "email:" + email
        wait = throttle.seconds_left(account)
        if wait:
            return paused("auth/login.html", wait, form=form)
        user = db.session.scalar(sa.select(User).where(User.email == email))
        # Verified even when nobody has this email: both answers take Argon2's time.
        if not verify_password(user, form.password.data):
            throttle.failed(account)
            form.password.errors.append(_("Wrong email or password."))
        else:
            throttle.succeeded(account)
            if user.two_factor_enabled:
                return ask_second_factor(user, form.next.data, form.remember.data)
            return complete_login(user, form.next.data, form.remember.data)
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


def pending_user():
    pending = session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > SECOND_FACTOR_SECONDS:
        return None, None
    return load_user(pending.get("user", "")), pending


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limited
def login_code():
    """The second step of signing in: the code from her authenticator app."""
    user, pending = pending_user()
    if user is None or not user.two_factor_enabled:
        session.pop(PENDING, None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        account = f"code:{user.id}"
        wait = throttle.seconds_left(account)
        if wait:
            return paused("auth/login_code.html", wait, form=form)
        try:
            service.check_second_factor(db.session, user, form.code.data, utcnow())
        except service.WrongCode:
            throttle.failed(account)
            form.code.errors.append(_("This code is not valid. Try the current one."))
        else:
            throttle.succeeded(account)
            session.pop(PENDING, None)
            return complete_login(user, pending.get("next", ""), pending.get("remember", False))
    return render_template("auth/login_code.html", form=form), 200 if not form.errors else 400


#: What each emailed link's request page says: its heading and what the link does.
LINK_PAGES = {
    LINK_SIGN_IN: (
        _l("Sign in with a link"),
        _l(
            "Type the email of your account: we send it a link that signs you in once, "
            "without the password. If two-factor sign-in is on, the code is still asked."
        ),
    ),
    LINK_PASSWORD_RESET: (
        _l("Forgot your password?"),
        _l("Type the email of your account: we send it a link to choose a new password."),
    ),
}


def send_link_page(purpose):
    """Ask for an emailed link; the answer is the same whether the account exists or not."""
    form = EmailLinkForm()
    if form.validate_on_submit():
        lang = current_lang()
        endpoint = "auth.link_sign_in" if purpose == LINK_SIGN_IN else "auth.reset_password"
        site = business.current()
        service.send_link(
            db.session,
            form.email.data,
            purpose,
            lang,
            utcnow(),
            lambda token: site.url(endpoint, lang=lang, token=token),
        )
        flash(
            _(
                "If an account uses this address, a link is on its way to it. "
                "It works once, within %(minutes)d minutes.",
                minutes=int(service.LINK_LIFETIME.total_seconds() // 60),
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    heading, intro = LINK_PAGES[purpose]
    page = render_template("auth/request_link.html", form=form, heading=heading, intro=intro)
    return page, 200 if not form.errors else 400


def link_limited(view):
    """Asking for or spending links: LOGIN_RATE_LIMIT per address (the account side is capped
    by the service, which never refuses her the newest link)."""
    return limiter.limit(login_rate_limit, key_func=get_remote_address, methods=["POST"])(view)


@bp.route("/login/link", methods=["GET", "POST"])
@public
@link_limited
def request_sign_in_link():
    """Sign in without the password: a single-use link sent to her email."""
    return send_link_page(LINK_SIGN_IN)


def invalid_link():
    return render_template("auth/link_invalid.html"), 404


@bp.route("/login/link/<token>", methods=["GET", "POST"])
@public
@link_limited
def link_sign_in(token):
    """The page an emailed sign-in link opens; its button spends the link."""
    if service.usable_link(db.session, token, LINK_SIGN_IN, utcnow()) is None:
        return invalid_link()
    form = SpendLinkForm()
    if form.validate_on_submit():
        try:
            user = service.sign_in_with_link(db.session, token, utcnow())
        except service.InvalidLink:
            return invalid_link()
        if user.two_factor_enabled:
            return ask_second_factor(user, "", form.remember.data)
        return complete_login(user, "", form.remember.data)
    return render_template("auth/link_sign_in.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@link_limited
def forgot_password():
    """Forgotten password: a single-use link to choose a new one, sent to her email."""
    return send_link_page(LINK_PASSWORD_RESET)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@link_limited
def reset_password(token):
    """Choose a new password from an emailed link; every session of the account ends."""
    if service.usable_link(db.session, token, LINK_PASSWORD_RESET, utcnow()) is None:
        return invalid_link()
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(db.session, token, form.new_password.data, utcnow())
        except service.InvalidLink:
            return invalid_link()
        logout_user()
        session.pop(PENDING, None)
        flash(
            _("Your password is changed and every session is signed out. Sign in with it."),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
@staff
def logout():
    """Sign out: this session, the others and every remember cookie of the account end."""
    service.sign_out(db.session, db.session.get(User, current_user.id))
    logout_user()
    session.pop(REMEMBER, None)
    flash(_("You are signed out."), "info")
    return redirect(url_for("content.home"))


@bp.route("/account")
@staff
def account():
    """Her account: password and two-factor sign-in."""
    return render_template("auth/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@staff
@confirm_limited
def change_password():
    """Change the password; other sessions are signed out, this one stays."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        try:
            service.change_password(
                db.session, user, form.current_password.data, form.new_password.data
            )
        except service.WrongPassword:
            form.current_password.errors.append(_("This is not your current password."))
        else:
            renew_login(user)  # the new session token, for this browser only
            flash(_("Your password is changed. Your other sessions are signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 400


@bp.route("/account/two-factor", methods=["GET", "POST"])
@owner_only
def two_factor_setup():
    """Turn on sign-in codes: scan the QR code, confirm with a first code."""
    user = db.session.get(User, current_user.id)
    if user.two_factor_enabled:
        return render_template(
            "auth/two_factor_on.html",
            disable_form=PasswordConfirmForm(prefix="disable"),
            codes_form=PasswordConfirmForm(prefix="codes"),
        )
    secret = session.get(SETUP_SECRET) or two_factor.new_secret()
    session[SETUP_SECRET] = secret
    form = ConfirmTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = service.enable_two_factor(db.session, user, secret, form.code.data, utcnow())
        except service.WrongCode:
            form.code.errors.append(_("This code is not valid. Check the clock of your phone."))
        else:
            session.pop(SETUP_SECRET, None)
            renew_login(user)
            flash(_("Two-factor sign-in is on. Your other sessions are signed out."), "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = two_factor.provisioning_uri(secret, user.email, current_app.config["SITE_NAME"])
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=secret,
        uri=uri,
        qr_svg=two_factor.qr_svg(uri),
    ), 200 if not form.errors else 400


@bp.route("/account/two-factor/disable", methods=["POST"])
@owner_only
@confirm_limited
def two_factor_disable():
    """Turn two-factor sign-in off; asks for the password."""
    user = db.session.get(User, current_user.id)
    form = PasswordConfirmForm(prefix="disable")
    if form.validate_on_submit():
        try:
            service.disable_two_factor(db.session, user, form.password.data)
        except service.WrongPassword:
            form.password.errors.append(_("This is not your current password."))
        else:
            renew_login(user)
            flash(_("Two-factor sign-in is off. Your other sessions are signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/two_factor_on.html",
        disable_form=form,
        codes_form=PasswordConfirmForm(prefix="codes"),
    ), 400


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@owner_only
@confirm_limited
def replace_recovery_codes():
    """New recovery codes, shown once; the old ones stop working."""
    user = db.session.get(User, current_user.id)
    if not user.two_factor_enabled:
        return redirect(url_for("auth.two_factor_setup"))
    form = PasswordConfirmForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = service.replace_recovery_codes(db.session, user, form.password.data)
        except service.WrongPassword:
            form.password.errors.append(_("This is not your current password."))
        else:
            return render_template("auth/recovery_codes.html", codes=codes)
    return render_template(
        "auth/two_factor_on.html",
        disable_form=PasswordConfirmForm(prefix="disable"),
        codes_form=form,
    ), 400
