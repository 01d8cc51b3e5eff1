"""helpers.detection.match_boxes against hand-worked examples and a pixel-counting oracle written here."""

import numpy as np
import pytest

from helpers.detection import match_boxes


def _random_boxes(rng, n, size=40):
    top = rng.integers(0, size - 4, n)
    left = rng.integers(0, size - 4, n)
    h = rng.integers(1, 15, n)
    w = rng.integers(1, 15, n)
    return np.stack([top, left, top + h, left + w], axis=1)


def _oracle(detected, truth, min_cover):
    """Cover counted pixel by pixel on painted masks, then the greedy matching with explicit loops."""
    def mask(box):
        m = np.zeros((60, 60), dtype=bool)
        m[box[0]:box[2], box[1]:box[3]] = True
        return m

    pairs = []
    for d, db in enumerate(detected):
        for t, tb in enumerate(truth):
            cover = (mask(db) & mask(tb)).sum() / mask(tb).sum()
            pairs.append((-cover, d * len(truth) + t, d, t, cover))
    found, correct = [False] * len(truth), [False] * len(detected)
    for _, _, d, t, cover in sorted(pairs):
        if cover >= min_cover and not found[t] and not correct[d]:
            found[t] = correct[d] = True
    return found, correct


def test_match_boxes_hand_worked():
    found, correct = match_boxes([[0, 0, 14, 14], [30, 30, 44, 44]], [[2, 3, 10, 11], [20, 2, 28, 10]])
    assert found.tolist() == [True, False] and correct.tolist() == [True, False]
    # a window covering half of a target does not find it at min_cover 0.7, does at 0.5
    assert not match_boxes([[0, 0, 14, 14]], [[10, 0, 18, 8]])[0][0]          # 4 of 8 rows covered
    assert match_boxes([[0, 0, 14, 14]], [[10, 0, 18, 8]], min_cover=0.5)[0][0]
    # one detection cannot find two targets
    found, correct = match_boxes([[0, 0, 20, 20]], [[1, 1, 5, 5], [10, 10, 15, 15]])
    assert found.sum() == 1 and correct.all()
    # two detections on one target: only one of them is correct
    found, correct = match_boxes([[0, 0, 14, 14], [1, 1, 15, 15]], [[4, 4, 10, 10]])
    assert found.tolist() == [True] and correct.sum() == 1


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("min_cover", [0.3, 0.7, 1.0])
def test_match_boxes_matches_a_pixel_counting_oracle(seed, min_cover):
    rng = np.random.default_rng(seed)
    detected, truth = _random_boxes(rng, 12), _random_boxes(rng, 8)
    found, correct = match_boxes(detected, truth, min_cover=min_cover)
    expected_found, expected_correct = _oracle(detected, truth, min_cover)
    assert found.tolist() == expected_found and correct.tolist() == expected_correct


def test_match_boxes_with_no_detections_or_one_box():
    found, correct = match_boxes([], [[0, 0, 4, 4]])
    assert found.tolist() == [False] and correct.shape == (0,)
    found, correct = match_boxes([0, 0, 14, 14], [2, 2, 6, 6])               # one box given as (4,)
    assert found.tolist() == [True] and correct.tolist() == [True]


@pytest.mark.parametrize("args,kwargs,exc,words", [
    (([[0, 0, 1]], [[0, 0, 1, 1]]), {}, ValueError, r"detected must be boxes .*\(n, 4\)"),
    (([[0, 0, 1, 1]], [[5, 0, 1, 1]]), {}, ValueError, "truth: box 0 .* bottom ≥ top"),
    (("boxes", [[0, 0, 1, 1]]), {}, TypeError, "detected"),
    (([[0, 0, 1, 1]], [[0, 0, 1, 1]]), {"min_cover": 1.5}, ValueError, "min_cover must be a fraction"),
    (([[0, 0, 1, 1]], [[0, 0, 1, 1]]), {"min_cover": "0.7"}, TypeError, "min_cover"),
])
def test_match_boxes_bad_input(args, kwargs, exc, words):
    with pytest.raises(exc, match=words):
        match_boxes(*args, **kwargs)
