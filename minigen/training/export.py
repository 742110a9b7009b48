"""Samples written for other tools: one PNG file per image."""
import numpy as np
from PIL import Image


def save_images_as_pngs(images, folder):
    """images uint8 (N, H, W, C), C = 1 or 3 -> folder/000000.png, folder/000001.png, ...
    (grayscale as 8-bit 'L' images). The folder is created if needed."""
    folder.mkdir(parents=True, exist_ok=True)
    width = max(6, len(str(len(images) - 1)))
    for i, image in enumerate(np.asarray(images)):
        Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(folder / f"{i:0{width}d}.png")
