"""Decoding an uploaded image without letting the file decide how much memory and time it takes: one rule for
the consumer's photos (book.attachments) and the provider's logo (book.branding). Each caller words the refusal."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError


class ImageRefused(Exception):
    """The upload is not an image this decoder will hold in memory."""


class ImageTooLarge(ImageRefused):
    """More pixels than allowed; `size` is (width, height) when the header could be read (None: Pillow refused it
    at open, far above its own bomb limit)."""

    def __init__(self, size: tuple[int, int] | None = None) -> None:
        super().__init__(size)
        self.size = size


class ImageBroken(ImageRefused):
    """Not a decodable image of the expected formats: renamed, truncated, corrupt."""


def image_decode(data: bytes, *, formats: list[str], max_pixels: int, draft_above: int | None = None) -> Image.Image:
    """The decoded image, turned upright as its EXIF says (a new image, no metadata read later). The pixel count
    comes from the header and is refused above `max_pixels` before any pixel is decoded; a JPEG above
    `draft_above` pixels is decoded by the JPEG decoder at half its width and height (a quarter of the memory)."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice that; our budget is checked below instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=formats)
            width, height = probe.size
            if width * height > max_pixels:
                raise ImageTooLarge((width, height))
            # The whole file, checksums included: WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES for the whole
            # process, under which load() below would pad a truncated file instead of refusing it.
            probe.verify()
            image = Image.open(io.BytesIO(data), formats=formats)
        if draft_above is not None and image.format == "JPEG" and width * height > draft_above:
            image.draft(None, (width // 2, height // 2))
        image.load()
        return ImageOps.exif_transpose(image)
    except Image.DecompressionBombError:
        raise ImageTooLarge() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise ImageBroken() from None
