"""Reading image files (PNG, JPEG) into uint8 arrays of shape (C, H, W).

Models need every image in a batch to have the same shape, so a folder loads
only if all images agree on size and channel count, or if you ask us to make
them agree:

- ``channels=1`` or ``3`` converts each image (RGB -> L uses the ITU-R 601-2 luma
  L = 0.299 R + 0.587 G + 0.114 B; L -> RGB copies L three times). With
  ``channels=None`` the first image decides and a different one is an error.
- ``size=S`` (or ``(H, W)``) center-crops each image to the target's aspect
  ratio and resizes it, which equals torchvision's ``Resize(S)`` followed by
  ``CenterCrop(S)``. With ``size=None`` a differently sized image is an error.

Errors name the offending file, so a student can find and delete it.
"""
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")


def list_images(folder):
    """Sorted paths of the PNG/JPEG files directly inside ``folder``.

    Sorted so that index i means the same image on every machine.
    """
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _as_hw(size):
    return (size, size) if isinstance(size, int) else tuple(size)


def center_crop_box(width, height, aspect):
    """The largest centered box (left, top, right, bottom) with width/height = ``aspect``."""
    if width / height > aspect:  # too wide: cut the sides
        new_w = round(height * aspect)
        left = (width - new_w) // 2
        return (left, 0, left + new_w, height)
    new_h = round(width / aspect)
    top = (height - new_h) // 2
    return (0, top, width, top + new_h)


def read_image(source, size=None, channels=None, crop=None, name=None):
    """Read one image into a uint8 array of shape (C, H, W), C = 1 or 3.

    source:   a path or an open binary file (e.g. a member of a zip archive).
    size:     None (keep), an int S (S x S) or (H, W): center-crop to that aspect
              ratio, then resize with a bicubic filter (antialiased in Pillow
              when shrinking, so no aliasing from downsampling).
    channels: None (1 for grayscale images, 3 for everything else), 1 or 3.
              An alpha channel is dropped.
    crop:     optional side of a centered square cut out first (CelebA's faces
              fill the central ~140 of its 178 x 218 pixels).
    name:     how error messages call the image (defaults to ``source``).
    """
    name = name or str(source)
    try:
        image = Image.open(source)
        image.load()
    except Exception as exc:  # Pillow raises several types for unreadable files
        raise ValueError(f"{name}: cannot read it as an image ({exc})") from exc
    if channels is None:
        channels = 1 if image.mode in _GRAY_MODES or _grey_palette(image) else 3
    if channels not in (1, 3):
        raise ValueError(f"channels={channels!r}: expected None, 1 or 3")
    image = image.convert("L" if channels == 1 else "RGB")
    if crop is not None:
        w, h = image.size
        if crop > min(w, h):
            raise ValueError(f"{name}: crop={crop} is larger than the image ({w} x {h})")
        left, top = (w - crop) // 2, (h - crop) // 2
        image = image.crop((left, top, left + crop, top + crop))
    if size is not None:
        out_h, out_w = _as_hw(size)
        image = image.crop(center_crop_box(*image.size, aspect=out_w / out_h))
        image = image.resize((out_w, out_h), Image.BICUBIC)
    array = np.asarray(image, dtype=np.uint8)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)  # HWC -> CHW


def _grey_palette(image):
    """A palette image ("P") whose colours are all grey is a grayscale image (PNG writers
    store 8-bit grey images that way): read it as one channel, not as RGB."""
    if image.mode not in ("P", "PA"):
        return False
    rgb = np.asarray(image.convert("RGB"))
    return bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def load_image_folder(folder, size=None, channels=None):
    """All images directly inside ``folder`` as one uint8 array (N, C, H, W).

    With ``size``/``channels`` None, the first image fixes them and any image
    that differs raises ``ValueError`` naming that file; pass ``size=64`` or
    ``channels=3`` to convert instead. An empty folder is an error too.
    """
    paths = list_images(folder)
    if not paths:
        raise ValueError(f"{folder}: no images found (looked for {', '.join(IMAGE_SUFFIXES)})")
    images = []
    for path in paths:
        image = read_image(path, size=size, channels=channels)
        if images and image.shape != images[0].shape:
            c, h, w = images[0].shape
            raise ValueError(
                f"{path}: shape (C, H, W) = {image.shape} differs from {(c, h, w)} of "
                f"{paths[0].name}; give all images one size and mode (or, in Python, "
                f"load_dataset(folder, size={h}, channels={c}) converts them)")
        images.append(image)
    return np.stack(images)
