"""Uploaded images: decoded by Pillow, bombs and absurd sizes refused, metadata stripped."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from consult.content.images import (
    CARD_SIZE,
    JPEG,
    MAX_SIDE,
    PNG,
    VARIANT_WIDTHS,
    DimensionsTooLarge,
    NotDecodable,
    clean_image,
    social_card,
    variants,
)


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width, height, pixels=b"\0\0"):
    """A tiny PNG file whose header claims `width` x `height` (8-bit grey)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(pixels))
        + png_chunk(b"IEND", b"")
    )


def encoded(image, format_name, **options):
    out = io.BytesIO()
    image.save(out, format_name, **options)
    return out.getvalue()


def test_a_small_file_declaring_100000_by_100000_pixels_is_refused_before_decoding():
    bomb = png_declaring(100_000, 100_000)
    assert len(bomb) < 1024
    with pytest.raises(DimensionsTooLarge):
        clean_image(bomb)


def test_a_real_decompression_bomb_is_refused_by_its_area():
    # 7000 x 7000 grey zeros: under the side limit, 49 megapixels, a few dozen KB compressed.
    bomb = png_declaring(7000, 7000, pixels=b"\0" * (7001 * 7000))
    assert len(bomb) < 100_000
    with pytest.raises(DimensionsTooLarge):
        clean_image(bomb)


@pytest.mark.parametrize("size", [(MAX_SIDE + 1, 10), (10, MAX_SIDE + 1)])
def test_a_side_over_the_limit_is_refused(size):
    with pytest.raises(DimensionsTooLarge):
        clean_image(png_declaring(*size))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,  # the right magic, nothing behind it
        encoded(Image.new("RGB", (64, 64), "teal"), "JPEG")[:200],  # truncated
        b"GIF89a" + b"\xff" * 40,
        b"<svg onload=alert(1)>",
    ],
)
def test_what_does_not_decode_is_not_an_image(data):
    with pytest.raises(NotDecodable):
        clean_image(data)


def test_gps_position_xmp_and_comments_are_stripped_and_the_photo_stays_upright():
    photo = Image.new("RGB", (40, 20), "teal")
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned: show it rotated 90°
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (45.0, 30.0, 17.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (73.0, 34.0, 3.0),
    }
    data = encoded(photo, "JPEG", exif=exif, xmp=b"<x:xmpmeta>45.5047 -73.5675</x:xmpmeta>")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    kind, cleaned = clean_image(data)

    assert kind == JPEG
    image = Image.open(io.BytesIO(cleaned))
    assert image.size == (20, 40)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info and "xmp" not in image.info
    assert b"PhoneCo" not in cleaned and b"xmpmeta" not in cleaned


def test_png_text_chunks_are_dropped_and_transparency_kept():
    from PIL.PngImagePlugin import PngInfo

    notes = PngInfo()
    notes.add_text("Comment", "taken at 4521 rue Saint-Denis")
    image = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    kind, cleaned = clean_image(encoded(image, "PNG", pnginfo=notes))
    assert kind == PNG
    reopened = Image.open(io.BytesIO(cleaned))
    assert b"Saint-Denis" not in cleaned and "Comment" not in reopened.info
    assert reopened.mode == "RGBA" and reopened.getpixel((0, 0))[3] == 0


def test_an_animated_gif_keeps_its_frames_and_loses_its_comment():
    frames = [Image.new("RGB", (10, 10), colour) for colour in ("red", "green", "blue")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], comment=b"secret")
    _kind, cleaned = clean_image(data)
    reopened = Image.open(io.BytesIO(cleaned))
    assert reopened.n_frames == 3
    assert b"secret" not in cleaned


def test_webp_is_decoded_and_saved_again():
    data = encoded(Image.new("RGB", (16, 16), "navy"), "WEBP")
    (content_type, extension), cleaned = clean_image(data)
    assert (content_type, extension) == ("image/webp", "webp")
    assert Image.open(io.BytesIO(cleaned)).size == (16, 16)


# Responsive variants and the sharing card ------------------------------------------------


def jpeg_with_exif(width, height):
    image = Image.new("RGB", (width, height), (10, 120, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Camera"
    exif[ExifTags.Base.Orientation] = 1
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_variants_are_the_narrower_widths_each_without_metadata():
    kind, clean = clean_image(jpeg_with_exif(1700, 850))
    made = variants(clean, kind)
    assert [width for width, _ in made] == list(VARIANT_WIDTHS)
    for width, data in made:
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert image.size == (width, width // 2)
            assert not image.getexif() and "exif" not in image.info


def test_an_image_narrower_than_every_width_gets_no_variant():
    kind, clean = clean_image(jpeg_with_exif(400, 300))
    assert variants(clean, kind) == []


def test_an_animation_keeps_its_one_size():
    frames = [Image.new("RGB", (1000, 500), color) for color in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    kind, clean = clean_image(out.getvalue())
    assert variants(clean, kind) == []


def test_the_sharing_card_draws_the_title_at_the_open_graph_size():
    font = Path(__file__).parents[2] / "consult" / "static" / "fonts" / "DejaVuSans-Bold.ttf"
    short = social_card("Court", "Consult", str(font))
    long = social_card("Un titre « très » long, accentué, qui tient sur plusieurs lignes " * 2,
                       "Consult", str(font))  # fmt: skip
    for data in (short, long):
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and image.size == CARD_SIZE
    assert short != long  # the title is drawn, not a fixed picture
    assert social_card("Court", "Consult", str(font)) == short  # the same title, the same bytes
