"""Scoring a detector: which true boxes its boxes found (notebook 09, section 1).

Plumbing, not the lesson: notebook 09 writes the detector itself in its cells — the window classifier, the
sliding-window loop, its fully convolutional rewrite, IoU and non-maximum suppression. This module only
judges the result against the true boxes that :func:`helpers.data.make_scene` returns.

Boxes are rows ``(top, left, bottom, right)`` in pixels with ``bottom`` and ``right`` excluded, like a slice:
a box's pixels are ``image[top:bottom, left:right]`` and its area is ``(bottom − top)·(right − left)``.
"""

from __future__ import annotations

import numpy as np

from ._validate import boxes as _boxes
from ._validate import real


def match_boxes(detected, truth, min_cover: float = 0.7):
    """Which true boxes were found: a detection finds a true box when it covers at least ``min_cover`` of
    the true box's area; each detection finds at most one true box, and each true box is found at most once
    (greedy, the largest cover first).

    ``detected`` ``(n, 4)`` and ``truth`` ``(m, 4)`` are boxes (one box may be given as ``(4,)``). The cover
    of true box ``T`` by detection ``D`` is ``area(D ∩ T) / area(T)``.

    Returns ``(found, correct)``: bool ``(m,)`` — true box j was found — and bool ``(n,)`` — detection i
    found a true box. Recall is ``found.mean()``, precision ``correct.mean()``.

    >>> found, correct = match_boxes([[0, 0, 14, 14], [30, 30, 44, 44]], [[2, 3, 10, 11], [20, 2, 28, 10]])
    >>> found.tolist(), correct.tolist()
    ([True, False], [True, False])
    """
    det, tru = _boxes(detected, "detected"), _boxes(truth, "truth")
    min_cover = real(min_cover, "min_cover", fits="a fraction between 0 and 1 (e.g. 0.7)",
                     ok=lambda v: 0.0 <= v <= 1.0)
    top = np.maximum(det[:, None, 0], tru[None, :, 0])
    left = np.maximum(det[:, None, 1], tru[None, :, 1])
    bottom = np.minimum(det[:, None, 2], tru[None, :, 2])
    right = np.minimum(det[:, None, 3], tru[None, :, 3])
    inter = np.clip(bottom - top, 0, None) * np.clip(right - left, 0, None)        # (n, m)
    area_t = np.maximum((tru[:, 2] - tru[:, 0]) * (tru[:, 3] - tru[:, 1]), 1e-12)
    cover = inter / area_t[None, :]
    found = np.zeros(len(tru), dtype=bool)
    correct = np.zeros(len(det), dtype=bool)
    for flat in np.argsort(-cover, axis=None, kind="stable"):
        d, t = np.unravel_index(flat, cover.shape)
        if cover[d, t] < min_cover:
            break
        if not found[t] and not correct[d]:
            found[t] = correct[d] = True
    return found, correct


__all__ = ["match_boxes"]
