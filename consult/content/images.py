"""Recognise an uploaded image by its first bytes, never by its name. Pure."""

#: (content type, extension) for each image kind the site accepts.
PNG = ("image/png", "png")
JPEG = ("image/jpeg", "jpg")
GIF = ("image/gif", "gif")
WEBP = ("image/webp", "webp")
EXTENSIONS = {ext: content_type for content_type, ext in (PNG, JPEG, GIF, WEBP)}


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
