"""Small real images that ship inside installed packages (no download)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _sample_path(name: str) -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / name


def load_photo(gray: bool = False, size: int | None = None) -> np.ndarray:
    """Grace Hopper's portrait, the sample photo bundled with matplotlib, as floats in [0, 1].

    Shapes: ``(3, H, W)`` channels first (red, green, blue), like a torch image tensor; with
    ``gray=True`` a single ``(H, W)`` channel (luminance 0.299 R + 0.587 G + 0.114 B). ``size``
    shrinks the short side to about ``size`` pixels by averaging blocks (the photo is 600×512).

    >>> load_photo().shape
    (3, 600, 512)
    >>> load_photo(gray=True, size=64).shape
    (75, 64)
    """
    from matplotlib import image as mpimg

    path = _sample_path("grace_hopper.jpg")
    rgb = mpimg.imread(path).astype(np.float64) / 255.0          # (H, W, 3) uint8 → [0, 1]
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"size must be a positive whole number of pixels, got {size!r}.")
        f = max(1, min(rgb.shape[:2]) // int(size))
        h, w = (rgb.shape[0] // f) * f, (rgb.shape[1] // f) * f
        rgb = rgb[:h, :w].reshape(h // f, f, w // f, f, 3).mean(axis=(1, 3))
    if gray:
        return rgb @ np.array([0.299, 0.587, 0.114])
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))
