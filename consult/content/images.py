"""Recognise an uploaded image by its bytes, never by its name, and re-encode it clean. Pure.

Decoding is Pillow's: the standard, maintained decoder, so no image format is parsed by
hand here. The header is read first and an image too large is refused before a single
pixel is decoded (a 1 KB PNG may declare 100000 x 100000); what passes is decoded in full,
turned upright by its EXIF orientation, and saved again without EXIF, XMP or comments, so
no GPS position or camera serial ever reaches the public site.
"""

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

#: (content type, extension) for each image kind the site accepts.
PNG = ("image/png", "png")
JPEG = ("image/jpeg", "jpg")
GIF = ("image/gif", "gif")
WEBP = ("image/webp", "webp")
EXTENSIONS = {ext: content_type for content_type, ext in (PNG, JPEG, GIF, WEBP)}
#: Pillow's format name for each kind.
FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}

#: The largest side and area accepted: far more than a web page needs.
MAX_SIDE = 8000
MAX_PIXELS = 40_000_000
#: Every frame of an animation is decoded: bound them, and their pixels together.
MAX_FRAMES = 200
MAX_ANIMATION_PIXELS = 4 * MAX_PIXELS

# Pillow's own bomb guard, as a second line behind the checks below (it raises at twice this).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageRefused(ValueError):
    """The bytes are not an image the site accepts."""


class NotDecodable(ImageRefused):
    """Not a PNG, JPEG, GIF or WebP image, or one that does not decode."""


class DimensionsTooLarge(ImageRefused):
    """Wider, taller or larger in area (or frames) than the site accepts."""


def sniff_image(head):
    """The (content type, extension) of the image starting with `head`, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def clean_image(data):
    """(kind, bytes): the image in `data` decoded, upright, re-encoded without metadata.

    Raises NotDecodable or DimensionsTooLarge.
    """
    kind = sniff_image(data[:16])
    if kind is None:
        raise NotDecodable("unknown format")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[FORMATS[kind]]) as image:
                check_dimensions(image)
                return kind, _reencode(image, FORMATS[kind])
        except ImageRefused:
            raise
        except (
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as error:
            raise DimensionsTooLarge(str(error)) from error
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
            # Pillow reports truncated or corrupt files through any of these.
            raise NotDecodable(type(error).__name__) from error


def check_dimensions(image):
    """Refuse from the header alone, before any pixel is decoded."""
    width, height = image.size
    if width < 1 or height < 1:
        raise NotDecodable("empty image")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise DimensionsTooLarge(f"{width} x {height}")
    frames = getattr(image, "n_frames", 1)
    if frames > MAX_FRAMES or frames * width * height > MAX_ANIMATION_PIXELS:
        raise DimensionsTooLarge(f"{frames} frames of {width} x {height}")


def _reencode(image, format_name):
    icc_profile = image.info.get("icc_profile")
    out = io.BytesIO()
    if getattr(image, "n_frames", 1) > 1:
        # Pillow re-encodes every frame; exif and xmp are only written when passed, and an
        # empty comment outweighs the one GIF copies from the first frame.
        image.load()
        extra = {"comment": b""} if format_name == "GIF" else {}
        image.save(out, format_name, save_all=True, **extra)
        return out.getvalue()
    image.load()
    upright = ImageOps.exif_transpose(image)
    # Only what drawing needs follows the pixels: never EXIF, XMP, text chunks or comments.
    upright.info = {
        key: image.info[key] for key in ("transparency", "background") if key in image.info
    }
    options = {"icc_profile": icc_profile} if icc_profile and format_name != "GIF" else {}
    if format_name == "JPEG":
        options.update(quality=90)
    upright.save(out, format_name, **options)
    return out.getvalue()


# Responsive variants ---------------------------------------------------------------------

#: The widths a page may pick from (srcset): a phone, a column, a wide screen at 2x.
VARIANT_WIDTHS = (480, 960, 1600)


def variants(data, kind):
    """[(width, bytes)] of the clean image `data` resized to each narrower VARIANT_WIDTHS.

    Each is encoded like the original (its kind), upright and without metadata; an
    animation keeps its one size (resizing every frame would make a larger file).
    """
    with Image.open(io.BytesIO(data), formats=[FORMATS[kind]]) as image:
        if getattr(image, "n_frames", 1) > 1:
            return []
        image.load()
        icc_profile = image.info.get("icc_profile")
        width, height = image.size
        made = []
        for target in VARIANT_WIDTHS:
            if target >= width:
                break
            smaller = image.resize((target, max(1, round(height * target / width))), Image.LANCZOS)
            smaller.info = {}
            options = {"icc_profile": icc_profile} if icc_profile and kind != GIF else {}
            if kind == JPEG:
                options.update(quality=85)
            out = io.BytesIO()
            smaller.save(out, FORMATS[kind], **options)
            made.append((target, out.getvalue()))
        return made


def dimensions(source):
    """(width, height) of an image (a path or a file), read from its header alone."""
    with Image.open(source) as image:
        return image.size


# The sharing card ------------------------------------------------------------------------

CARD_SIZE = (1200, 630)
CARD_BACKGROUND = (31, 58, 95)
CARD_ACCENT = (242, 169, 59)
CARD_TEXT = (255, 255, 255)


def social_card(title, site_name, font_path, size=CARD_SIZE):
    """PNG bytes: the site's sharing card with `title` drawn on it, wrapped to fit.

    `font_path` is a TrueType font with French glyphs (the app ships DejaVu Sans Bold).
    """
    from PIL import ImageDraw, ImageFont

    def load(points):
        return ImageFont.truetype(font_path, points)

    width, height = size
    card = Image.new("RGB", size, CARD_BACKGROUND)
    draw = ImageDraw.Draw(card)
    margin = width // 12
    draw.rectangle((0, 0, width // 60, height), fill=CARD_ACCENT)
    title_font_size = 64
    lines = []
    while title_font_size >= 32:
        font = load(title_font_size)
        lines = _wrap(draw, title, font, width - 2 * margin)
        if len(lines) * title_font_size * 1.25 <= height * 0.6:
            break
        title_font_size -= 8
    line_height = round(title_font_size * 1.25)
    top = (height - line_height * len(lines)) // 2 - height // 12
    for number, line in enumerate(lines[:6]):
        draw.text((margin, top + number * line_height), line, font=font, fill=CARD_TEXT)
    small = load(36)
    draw.text((margin, height - margin), site_name, font=small, fill=CARD_ACCENT)
    out = io.BytesIO()
    card.save(out, "PNG", optimize=True)
    return out.getvalue()


def _wrap(draw, text, font, max_width):
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=font) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines
