"""The owner's content screens: articles, images, bio, talks, testimonials."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from .. import navigation
from ..audit import record
from ..auth.access import owner_only
from ..database import write
from ..extensions import db, utcnow
from ..formatting import format_time
from ..newsletter import sending
from . import service
from .forms import (
    ActionForm,
    ArticleForm,
    ProfileForm,
    TalkForm,
    TestimonialForm,
    UploadForm,
)
from .images import MAX_PIXELS, MAX_SIDE
from .models import (
    LANGS,
    Article,
    ContentRevision,
    Profile,
    Talk,
    Testimonial,
    Upload,
)
from .text import render_markdown, slugify

bp = Blueprint("content_admin", __name__, url_prefix="/<lang:lang>/admin/content")


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "content_admin.articles", _l("Articles"), 20)
    navigation.add_staff(state.app, "content_admin.bio", _l("Bio and talks"), 22)


def error_messages():
    return {
        service.SlugTaken: _("Another article in this language already uses this address."),
        service.ScheduleNotInFuture: _("To schedule an article, pick a time in the future."),
        service.TranslationMismatch: _("Pick an article written in the other language."),
        service.NotAnImage: _("This file is not a PNG, JPEG, WebP or GIF image."),
        service.ImageTooLarge: _(
            "This image is too large: at most %(side)s pixels on a side and %(megapixels)s "
            "megapixels.",
            side=MAX_SIDE,
            megapixels=MAX_PIXELS // 1_000_000,
        ),
        service.UploadTooLarge: _(
            "This image is larger than %(size)s MB.",
            size=round(current_app.config["UPLOAD_MAX_BYTES"] / 1024 / 1024, 1),
        ),
    }


def show_error(form, error):
    getattr(form, error.field).errors.append(error_messages()[type(error)])


def zone():
    return ZoneInfo(current_app.config["TIME_ZONE"])


def image_choices():
    uploads = db.session.scalars(sa.select(Upload).order_by(Upload.created_at.desc())).all()
    return [SelectChoice("", _("None"))] + [
        SelectChoice(u.filename, u.original_name or u.filename) for u in uploads
    ]


# Articles --------------------------------------------------------------------------------


@bp.route("/")
@owner_only
def articles():
    """Every article, whatever its status, newest first."""
    rows = db.session.scalars(
        sa.select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    ).all()
    return render_template(
        "content/admin/articles.html",
        articles=rows,
        now=utcnow(),
        zone=zone(),
        action=ActionForm(),
    )


def card_maker():
    """What draws an article's sharing card, into the uploads folder."""
    return service.CardMaker(
        folder=service.uploads_folder(current_app.instance_path),
        site_name=current_app.config["SITE_NAME"],
        font_path=service.card_font(current_app.static_folder),
    )


def load_autosave(form, values, mapping):
    """Put an autosaved draft back into the form, field by field, for her to review and save."""
    for form_name, field_name in mapping.items():
        getattr(form, form_name).data = values.get(field_name) or ""


ARTICLE_FORM_FIELDS = {
    "title": "title",
    "slug": "slug",
    "summary": "summary",
    "body": "body_md",
    "tags": "tags",
    "cover_image": "cover_image",
    "cover_alt": "cover_alt",
}
PROFILE_FORM_FIELDS = {
    "name": "name",
    "headline": "headline",
    "short_bio": "short_bio",
    "long_bio": "long_bio_md",
    "topics": "topics",
    "photo": "photo",
    "same_as": "same_as",
}


def article_form(article):
    editing = request.method == "GET" and article.id is not None
    form = ArticleForm(obj=article if editing else None)
    if request.method == "GET" and article.id is None:
        form.lang.data = article.lang
    if editing:
        form.body.data = article.body_md
        form.tags.data = ", ".join(article.tags)
        form.cover_image.data = article.cover_image or ""
        form.translation_id.data = str(article.translation_id or "")
        # A scheduled article whose time has come is shown, and saved, as published.
        form.status.data = article.shown_status(utcnow())
        if article.published_at is not None:
            form.publish_at.data = article.published_at.astimezone(zone()).replace(tzinfo=None)
        draft = service.pending_autosave(db.session, article)
        if draft is not None and request.args.get("draft") == "autosave":
            load_autosave(form, service.revision_values(draft), ARTICLE_FORM_FIELDS)
    form.cover_image.choices = image_choices()
    others = db.session.scalars(
        sa.select(Article).where(Article.id != article.id).order_by(Article.lang, Article.title)
    ).all()
    form.translation_id.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(str(other.id), f"[{other.lang.upper()}] {other.title}") for other in others
    ]
    return form


def article_data(form):
    publish_at = form.publish_at.data
    if publish_at is not None:
        publish_at = publish_at.replace(tzinfo=zone())
    return service.ArticleData(
        lang=form.lang.data,
        title=form.title.data.strip(),
        slug=form.slug.data or slugify(form.title.data),
        summary=form.summary.data.strip(),
        body_md=form.body.data,
        tags=form.tags.data,
        cover_image=form.cover_image.data or None,
        cover_alt=form.cover_alt.data.strip(),
        status=form.status.data,
        publish_at=publish_at,
        translation_id=int(form.translation_id.data) if form.translation_id.data else None,
    )


@bp.route("/articles/new", methods=["GET", "POST"])
@owner_only
def new_article():
    """Write a new article."""
    return edit(Article(lang=g.lang))


@bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
@owner_only
def edit_article(article_id):
    """Change an article, preview it, schedule or publish it, link its translation."""
    return edit(db.get_or_404(Article, article_id))


def edit(article):
    form = article_form(article)
    preview_html = None
    if form.validate_on_submit():
        data = article_data(form)
        if "preview" in request.form:
            preview_html = render_markdown(data.body_md)
        else:
            before = service.article_snapshot(article) if article.id else None
            action = "article.update" if article.id else "article.create"
            try:
                with write(db.session):
                    service.save_article(db.session, article, data, utcnow(), cards=card_maker())
                    record(
                        db.session, current_user, action, article, before,
                        service.article_snapshot(article),
                    )  # fmt: skip
            except service.ContentError as error:
                show_error(form, error)
            else:
                flash(_("The article is saved."), "success")
                return redirect(url_for(".edit_article", article_id=article.id))
    status = 400 if form.errors else 200
    draft = service.pending_autosave(db.session, article) if article.id else None
    return render_template(
        "content/admin/article_form.html",
        form=form,
        article=article,
        preview_html=preview_html,
        zone_name=current_app.config["TIME_ZONE"],
        now=utcnow(),
        draft=draft,
        draft_loaded=request.args.get("draft") == "autosave",
        action=ActionForm(),
        article_issues=sending.issues_of_article(db.session, article) if article.id else [],
    ), status


@bp.route("/articles/<int:article_id>/autosave", methods=["POST"])
@owner_only
def autosave_article(article_id):
    """Keep the draft she is typing (JavaScript, every few seconds); never publishes it."""
    article = db.get_or_404(Article, article_id)
    form = request.form
    data = service.ArticleData(
        lang=article.lang,
        title=form.get("title", "")[:200],
        slug=form.get("slug", "")[:120],
        summary=form.get("summary", "")[:400],
        body_md=form.get("body", ""),
        tags=form.get("tags", "")[:400],
        cover_image=form.get("cover_image") or None,
        cover_alt=form.get("cover_alt", "")[:200],
        status=article.status,
        publish_at=article.published_at,
        translation_id=article.translation_id,
    )
    with write(db.session):
        draft = service.autosave_article(db.session, article, data, utcnow())
    return autosaved(draft)


def autosaved(draft):
    return jsonify(
        saved_at=draft.created_at.isoformat(),
        message=_("Draft kept at %(time)s (not published).", time=format_time(draft.created_at)),
    )


@bp.route("/articles/<int:article_id>/revisions")
@owner_only
def article_revisions(article_id):
    """Every saved version of an article; the differences between two of them."""
    article = db.get_or_404(Article, article_id)
    return revisions_page(
        article,
        heading=article.title,
        back=url_for(".edit_article", article_id=article.id),
        restore_endpoint=".restore_article_revision",
        restore_args={"article_id": article.id},
    )


@bp.route("/articles/<int:article_id>/revisions/<int:revision_id>/restore", methods=["POST"])
@owner_only
def restore_article_revision(article_id, revision_id):
    """Make the article say again exactly what one revision says."""
    article = db.get_or_404(Article, article_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        revision = service.owned_revision(db.session, article, revision_id)
        with write(db.session):
            before = service.article_snapshot(article)
            service.restore_article_revision(
                db.session, article, revision, utcnow(), cards=card_maker()
            )
            record(
                db.session, current_user, "article.restore", article, before,
                service.article_snapshot(article),
            )  # fmt: skip
    except service.RevisionMismatch:
        abort(404)
    except service.ContentError:
        flash(_("This version cannot be restored: its address is now another article’s."), "error")
        return redirect(url_for(".article_revisions", article_id=article.id))
    flash(_("The version is restored."), "success")
    return redirect(url_for(".edit_article", article_id=article.id))


def revision_field_labels():
    """What each field a revision keeps is called on the forms she knows."""
    return {
        "title": _("Title"),
        "slug": _("Address (slug)"),
        "summary": _("Summary"),
        "body_md": _("Text (Markdown)"),
        "tags": _("Tags"),
        "cover_image": _("Cover image"),
        "cover_alt": _("Cover image description"),
        "name": _("Name"),
        "headline": _("Headline"),
        "short_bio": _("Short bio"),
        "long_bio_md": _("Long bio (Markdown)"),
        "topics": _("Topics, one per line"),
        "photo": _("Photo"),
        "same_as": _("Her profiles elsewhere, one address per line"),
    }


def revisions_page(item, *, heading, back, restore_endpoint, restore_args):
    revisions = service.revisions_of(db.session, item)
    by_id = {revision.id: revision for revision in revisions}
    older = by_id.get(request.args.get("from", type=int))
    newer = by_id.get(request.args.get("to", type=int))
    if older is None and newer is None and len(revisions) > 1:
        older, newer = revisions[1], revisions[0]
    changes = service.revision_diff(older, newer) if older and newer else None
    return render_template(
        "content/admin/revisions.html",
        heading=heading,
        back=back,
        revisions=revisions,
        older=older,
        newer=newer,
        changes=changes,
        labels=revision_field_labels(),
        values=service.revision_values,
        restore_endpoint=restore_endpoint,
        restore_args=restore_args,
        zone=zone(),
        action=ActionForm(),
    )


@bp.route("/articles/<int:article_id>/preview")
@owner_only
def preview_article(article_id):
    """The article as visitors will see it, even before it is published."""
    found = db.get_or_404(Article, article_id)
    return render_template(
        "content/article.html",
        article=found,
        translation=found.translation,
        offer=service.flagship_offer(db.session),
        preview=True,
    )


@bp.route("/articles/<int:article_id>/publish", methods=["POST"])
@owner_only
def publish_article(article_id):
    """Publish now."""
    return change_status(article_id, service.publish, "article.publish", _("Published."))


@bp.route("/articles/<int:article_id>/unpublish", methods=["POST"])
@owner_only
def unpublish_article(article_id):
    """Back to draft: hidden from the public."""
    return change_status(
        article_id, service.unpublish, "article.unpublish", _("Back to draft: hidden.")
    )


@bp.route("/articles/<int:article_id>/newsletter", methods=["POST"])
@owner_only
def send_article_as_issue(article_id):
    """Make the article (and its translation) a newsletter issue, sent when it is public."""
    article = db.get_or_404(Article, article_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if sending.issues_of_article(db.session, article):
        flash(_("This article is already a newsletter issue."), "error")
        return redirect(url_for(".edit_article", article_id=article.id))
    try:
        issue = sending.issue_for_article(db.session, article, utcnow(), by=current_user)
    except sending.NothingToSend:
        flash(_("Publish or schedule the article first."), "error")
        return redirect(url_for(".edit_article", article_id=article.id))
    flash(
        _("The issue goes out to subscribers when the article is public (now, if it is)."),
        "success",
    )
    return redirect(url_for("newsletter_desk.edit_issue", issue_id=issue.id))


def change_status(article_id, change, action, message):
    article = db.get_or_404(Article, article_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with write(db.session):
        before = service.article_snapshot(article)
        change(article, utcnow())
        record(db.session, current_user, action, article, before, service.article_snapshot(article))
    flash(message, "success")
    return redirect(url_for(".articles"))


# Images ----------------------------------------------------------------------------------


@bp.route("/images", methods=["GET", "POST"])
@owner_only
def images():
    """Upload images for articles and the bio; copy their Markdown."""
    form = UploadForm()
    if form.validate_on_submit():
        file = form.image.data
        try:
            with write(db.session):
                upload = service.store_upload(
                    db.session,
                    service.uploads_folder(current_app.instance_path),
                    file.stream,
                    file.filename,
                    current_app.config["UPLOAD_MAX_BYTES"],
                    utcnow(),
                )
                record(
                    db.session, current_user, "upload.create", upload, None,
                    {"filename": upload.filename, "size": upload.size_bytes},
                )  # fmt: skip
        except service.ContentError as error:
            show_error(form, error)
        else:
            flash(_("The image is uploaded."), "success")
            return redirect(url_for(".images"))
    uploads = db.session.scalars(sa.select(Upload).order_by(Upload.created_at.desc())).all()
    status = 400 if form.errors else 200
    return render_template("content/admin/images.html", form=form, uploads=uploads), status


# Bio, talks, testimonials ----------------------------------------------------------------


@bp.route("/bio")
@owner_only
def bio():
    """The bio in each language, the talks and the testimonials."""
    profiles = {profile.lang: profile for profile in db.session.scalars(sa.select(Profile)).all()}
    talks = service.all_talks(db.session)
    testimonials = db.session.scalars(
        sa.select(Testimonial).order_by(Testimonial.position, Testimonial.id)
    ).all()
    return render_template(
        "content/admin/bio.html",
        profiles=profiles,
        langs=LANGS,
        talks=talks,
        testimonials=testimonials,
        action=ActionForm(),
    )


@bp.route("/bio/<any(fr,en):bio_lang>", methods=["GET", "POST"])
@owner_only
def edit_profile(bio_lang):
    """Edit the bio in one language."""
    profile = service.profile_for(db.session, bio_lang) or Profile(lang=bio_lang)
    form = ProfileForm(obj=None if request.method == "POST" else profile)
    draft = service.pending_autosave(db.session, profile) if profile.id else None
    if request.method == "GET":
        form.long_bio.data = profile.long_bio_md
        form.photo.data = profile.photo or ""
        if draft is not None and request.args.get("draft") == "autosave":
            load_autosave(form, service.revision_values(draft), PROFILE_FORM_FIELDS)
    form.photo.choices = image_choices()
    if form.validate_on_submit():
        values = {
            "name": form.name.data.strip(),
            "headline": form.headline.data.strip(),
            "short_bio": form.short_bio.data.strip(),
            "long_bio_md": form.long_bio.data,
            "topics": form.topics.data.strip(),
            "photo": form.photo.data or None,
            "same_as": "\n".join(
                line.strip() for line in (form.same_as.data or "").splitlines() if line.strip()
            ),
        }
        with write(db.session):
            before = profile_snapshot(profile) if profile.id else None
            service.save_profile(db.session, profile, values, utcnow())
            record(
                db.session, current_user, "bio.update", profile, before, profile_snapshot(profile)
            )
        flash(_("The bio is saved."), "success")
        return redirect(url_for(".bio"))
    status = 400 if form.errors else 200
    return render_template(
        "content/admin/form.html",
        form=form,
        heading=_("Bio (%(lang)s)", lang=bio_lang.upper()),
        back=url_for(".bio"),
        autosave_url=url_for(".autosave_profile", bio_lang=bio_lang) if profile.id else None,
        revisions_url=url_for(".profile_revisions", bio_lang=bio_lang) if profile.id else None,
        draft=draft,
        draft_url=url_for(".edit_profile", bio_lang=bio_lang, draft="autosave"),
        draft_loaded=request.args.get("draft") == "autosave",
    ), status


def _saved_profile_or_404(bio_lang):
    profile = service.profile_for(db.session, bio_lang)
    if profile is None:
        abort(404)
    return profile


@bp.route("/bio/<any(fr,en):bio_lang>/autosave", methods=["POST"])
@owner_only
def autosave_profile(bio_lang):
    """Keep the bio she is typing (JavaScript, every few seconds); the public bio stays."""
    profile = _saved_profile_or_404(bio_lang)
    form = request.form
    values = {
        field_name: form.get(form_name, "")[:20000]
        for form_name, field_name in PROFILE_FORM_FIELDS.items()
    }
    values["photo"] = values["photo"] or None
    with write(db.session):
        draft = service.autosave_profile(db.session, profile, values, utcnow())
    return autosaved(draft)


@bp.route("/bio/<any(fr,en):bio_lang>/revisions")
@owner_only
def profile_revisions(bio_lang):
    """Every saved version of the bio in one language; the differences between two."""
    profile = _saved_profile_or_404(bio_lang)
    return revisions_page(
        profile,
        heading=_("Bio (%(lang)s)", lang=bio_lang.upper()),
        back=url_for(".edit_profile", bio_lang=bio_lang),
        restore_endpoint=".restore_profile_revision",
        restore_args={},
    )


@bp.route("/bio/revisions/<int:revision_id>/restore", methods=["POST"])
@owner_only
def restore_profile_revision(revision_id):
    """Make the bio (in the revision's language) say again exactly what one revision says."""
    revision = db.get_or_404(ContentRevision, revision_id)
    profile = db.session.get(Profile, revision.profile_id) if revision.profile_id else None
    if profile is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    bio_lang = profile.lang
    with write(db.session):
        before = profile_snapshot(profile)
        service.restore_profile_revision(db.session, profile, revision, utcnow())
        record(db.session, current_user, "bio.restore", profile, before, profile_snapshot(profile))
    flash(_("The version is restored."), "success")
    return redirect(url_for(".edit_profile", bio_lang=bio_lang))


def profile_snapshot(profile):
    return {"lang": profile.lang, "name": profile.name, "photo": profile.photo}


def edit_simple(item, form_class, action, heading):
    """Create or change a talk or a testimonial."""
    form = form_class(obj=item)
    if form.validate_on_submit():
        with write(db.session):
            before = snapshot(item) if item.id else None
            form.populate_obj(item)
            db.session.add(item)
            db.session.flush()
            record(db.session, current_user, action, item, before, snapshot(item))
        flash(_("Saved."), "success")
        return redirect(url_for(".bio"))
    status = 400 if form.errors else 200
    return render_template(
        "content/admin/form.html", form=form, heading=heading, back=url_for(".bio")
    ), status


def snapshot(item):
    return {column.key: str(getattr(item, column.key)) for column in sa.inspect(type(item)).columns}


def delete_simple(item, action):
    if not ActionForm().validate_on_submit():
        abort(400)
    with write(db.session):
        record(db.session, current_user, action, item, snapshot(item), None)
        db.session.delete(item)
    flash(_("Deleted."), "success")
    return redirect(url_for(".bio"))


@bp.route("/talks/new", methods=["GET", "POST"])
@owner_only
def new_talk():
    """Add a talk."""
    return edit_simple(Talk(), TalkForm, "talk.create", _("New talk"))


@bp.route("/talks/<int:talk_id>", methods=["GET", "POST"])
@owner_only
def edit_talk(talk_id):
    """Change a talk."""
    return edit_simple(db.get_or_404(Talk, talk_id), TalkForm, "talk.update", _("Talk"))


@bp.route("/talks/<int:talk_id>/delete", methods=["POST"])
@owner_only
def delete_talk(talk_id):
    """Remove a talk from the list."""
    return delete_simple(db.get_or_404(Talk, talk_id), "talk.delete")


@bp.route("/testimonials/new", methods=["GET", "POST"])
@owner_only
def new_testimonial():
    """Add a testimonial."""
    return edit_simple(Testimonial(), TestimonialForm, "testimonial.create", _("New testimonial"))


@bp.route("/testimonials/<int:testimonial_id>", methods=["GET", "POST"])
@owner_only
def edit_testimonial(testimonial_id):
    """Change a testimonial."""
    item = db.get_or_404(Testimonial, testimonial_id)
    return edit_simple(item, TestimonialForm, "testimonial.update", _("Testimonial"))


@bp.route("/testimonials/<int:testimonial_id>/delete", methods=["POST"])
@owner_only
def delete_testimonial(testimonial_id):
    """Remove a testimonial."""
    return delete_simple(db.get_or_404(Testimonial, testimonial_id), "testimonial.delete")
