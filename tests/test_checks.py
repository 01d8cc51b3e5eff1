"""The checks' verdicts on right answers and on the typical wrong ones students hand in."""

import numpy as np
import pytest

import helpers
from helpers import checks

IMAGE = np.array([[0, 0, 0, 0, 0, 0],
                  [0, 1, 0, 0, 0, 0],
                  [0, 1, 1, 1, 1, 1],
                  [0, 1, 0, 0, 0, 0],
                  [0, 0, 0, 0, 0, 0]])
KERNEL = np.array([[-1, 2, -1]] * 3)
RIGHT = [[3, -1, 0, 0], [5, -2, 0, 0], [3, -1, 0, 0]]   # worked by hand in the seed lecture
X44 = np.arange(1, 17).reshape(4, 4)
K22 = np.array([[1, 1], [0, 2]])
RIGHT_44 = [[2, 6, 0], [23, 35, 8], [13, 29, 16]]        # the seed's stride/padding exercise


def test_right_answers_pass():
    assert checks.check_conv2d(RIGHT, IMAGE, KERNEL).ok is True
    assert checks.check_conv2d(RIGHT_44, X44, K22, stride=2, padding=1)
    assert checks.check_conv1d([1, -2, 2, 0], [0, 1, -1, 1, 1], [-1, 1])
    assert checks.check_pool2d([[6, 8], [14, 16]], X44, 2)
    assert checks.check_output_size(48, 50, 3)
    assert checks.check_conv_params(10, 1, 1, 3)
    assert checks.check_number(372, 30 * 12 + 12)
    assert checks.check_shape((10, 11, 16), (10, 11, 16))


def test_none_means_not_answered():
    for v in (checks.check_conv2d(None, IMAGE, KERNEL), checks.check_output_size(None, 5, 3),
              checks.check_number(None, 3), checks.check_shape(None, (1,)), checks.check_conv_params(None, 1, 1, 3)):
        assert v.ok is None and not v
        assert "Not answered yet" in repr(v)


def test_flipped_kernel_is_named():
    conv = np.array([[1, 2], [3, 4]])
    x = np.arange(9).reshape(3, 3)
    true_convolution = helpers.conv2d(x, conv[::-1, ::-1])
    v = checks.check_conv2d(true_convolution, x, conv)
    assert v.ok is False and "flipped the kernel" in v.message
    v = checks.check_conv1d(np.convolve([0, 1, 0, 1, 1], [-1, 1], mode="valid"), [0, 1, 0, 1, 1], [-1, 1])
    assert "flipped" in v.message


def test_stride_and_padding_mistakes_are_named():
    no_stride = helpers.conv2d(X44, K22, padding=1)
    assert "stride 1" in checks.check_conv2d(no_stride, X44, K22, stride=2, padding=1).message
    no_pad = helpers.conv2d(X44, K22, stride=2)
    assert "padding" in checks.check_conv2d(no_pad, X44, K22, stride=2, padding=1).message


def test_transposed_and_single_entry_mistakes():
    v = checks.check_conv2d(np.array(RIGHT).T, IMAGE, KERNEL)
    assert v.ok is False and "swapped" in v.message
    wrong = np.array(RIGHT)
    wrong[1, 0] = 4
    v = checks.check_conv2d(wrong, IMAGE, KERNEL)
    assert "1 of 12 entries differ" in v.message and "[1, 0]" in v.message and "expected 5" in v.message


def test_off_by_one_shape():
    v = checks.check_conv2d(np.zeros((4, 5)), IMAGE, KERNEL)
    assert v.ok is False and "Off by one" in v.message


def test_output_size_misconceptions():
    assert "forgot the + 1" in checks.check_output_size(2, 4, 2, stride=2, padding=1).message
    assert "padding" in checks.check_output_size(3, 5, 3, padding=1).message
    assert "once" in checks.check_output_size(5, 5, 3, padding=2).message
    assert "rounded up" in checks.check_output_size(3, 5, 2, stride=2).message
    v = checks.check_output_size(1000, 5, 3)
    assert v.ok is False and "i=5" in v.message


def test_param_count_misconceptions():
    assert "forgot the biases" in checks.check_conv_params(270, 3, 10, 3).message
    assert "all 3 input channels" in checks.check_conv_params(100, 3, 10, 3).message
    assert "one kernel" in checks.check_conv_params(28, 3, 10, 3).message


def test_pool_misconceptions():
    avg = helpers.avg_pool2d(X44, 2)
    assert "average" in checks.check_pool2d(avg, X44, 2).message
    overlapping = helpers.max_pool2d(X44, 2, stride=1)
    assert "one pixel at a time" in checks.check_pool2d(overlapping, X44, 2).message


def test_shape_misconceptions():
    assert "wrong order" in checks.check_shape((48, 68, 10), (10, 48, 68)).message
    assert "batch" in checks.check_shape((1, 10, 48, 68), (10, 48, 68)).message
    assert "off by one" in checks.check_shape((10, 47, 68), (10, 48, 68)).message


def test_garbage_answers_get_a_message_not_an_exception():
    assert checks.check_conv2d("three", IMAGE, KERNEL).ok is False
    assert checks.check_conv2d([[1, 2], [3]], IMAGE, KERNEL).ok is False
    assert checks.check_number("lots", 3).ok is False
    assert checks.check_shape("10x48", (10, 48)).ok is False


def test_checks_never_modify_the_answer():
    answer = np.array(RIGHT)
    answer_before = answer.copy()
    image_before = IMAGE.copy()
    checks.check_conv2d(answer, IMAGE, KERNEL)
    checks.check_conv2d(answer[::-1], IMAGE, KERNEL)
    assert (answer == answer_before).all() and (IMAGE == image_before).all()
    lst = [[3, -1, 0, 0], [5, -2, 0, 0], [3, -1, 0, 0]]
    checks.check_conv2d(lst, IMAGE, KERNEL)
    assert lst == RIGHT


@pytest.mark.parametrize("value", [np.float32(372.0), np.array(372), 372.0])
def test_numbers_in_any_numeric_type(value):
    assert checks.check_number(value, 372)


def test_verdict_shows_one_line_with_a_mark():
    assert repr(checks.check_number(1, 1)).startswith("✅")
    assert repr(checks.check_number(2, 1)).startswith("❌")
    assert repr(checks.check_number(None, 1)).startswith("⏳")


def test_channel_mistakes_are_named():
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, size=(2, 4, 4))
    w = rng.integers(-1, 2, size=(1, 2, 2, 2))
    only_first = helpers.conv2d(x[:1], w[:, :1])
    v = checks.check_conv2d(only_first, x, w)
    assert v.ok is False and "only input channel 0" in v.message
    not_summed = np.stack([helpers.conv2d(x[c], w[0, c]) for c in range(2)])
    v = checks.check_conv2d(not_summed, x, w)
    assert v.ok is False and "add them up" in v.message
    v = checks.check_conv2d(helpers.conv2d(x, w)[0], x, w)
    assert v.ok is False and "leading axis" in v.message


# ------------------------------------------------------------------- wrong types: ❌ for answers, errors for specs
def test_conv_params_accepts_numpy_integers_and_pairs_with_the_same_text():
    right = checks.check_conv_params(280, 3, 10, 3)
    for k in (np.int64(3), (3, 3), [3, 3], np.int32(3), 3.0):
        v = checks.check_conv_params(280, np.int64(3), np.int64(10), k)
        assert v.ok is True and repr(v) == repr(right)
    assert "forgot the biases" in checks.check_conv_params(270, 3, 10, np.int64(3)).message
    assert checks.check_conv_params(10 * 3 * 3 * 5, 3, 10, (3, 5), bias=False)


@pytest.mark.parametrize("args, exc, words", [
    ((3, 10, "3"), TypeError, ["kernel_size", "'3'", "without quotes"]),
    ((3, 10, [3, 3, 3]), ValueError, ["kernel_size", "2 ints", "(3, 3, 3)"]),
    ((None, 10, 3), TypeError, ["in_channels", "None"]),
    ((3, 2.5, 3), TypeError, ["out_channels", "2.5"]),
    ((3, 0, 3), ValueError, ["out_channels", "1 or more"]),
])
def test_conv_params_spec_mistakes_raise(args, exc, words):
    with pytest.raises(exc) as info:
        checks.check_conv_params(280, *args)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    with pytest.raises(TypeError, match="bias must be True or False"):
        checks.check_conv_params(280, 3, 10, 3, bias="yes")


@pytest.mark.parametrize("answer, words", [
    ("280", ["not text", "'280'", "without quotes"]),
    (float("nan"), ["nan (not a number)"]),
    (True, ["yes/no"]),
    ([280, 1], ["single number"]),
    ({}, ["single number"]),
])
def test_number_answers_of_the_wrong_kind_get_a_verdict(answer, words):
    for v in (checks.check_conv_params(answer, 3, 10, 3), checks.check_number(answer, 280)):
        assert v.ok is False and repr(v).startswith("❌")
        for word in words:
            assert word in v.message, (word, v.message)


def test_number_answers_in_any_numeric_container():
    torch = pytest.importorskip("torch")
    for answer in (np.int64(280), torch.tensor(280), torch.tensor([280.0]), np.array([[280]]), 280.0):
        assert checks.check_conv_params(answer, 3, 10, 3).ok is True


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(expected=None), TypeError, ["expected", "None"]),
    (dict(expected="3"), TypeError, ["expected", "'3'"]),
    (dict(expected=3, hints=[2]), TypeError, ["hints", "dict"]),
    (dict(expected=3, hints={"2": "why"}), TypeError, ["hints", "'2'"]),
    (dict(expected=3, tolerance=-1), ValueError, ["tolerance", "≥ 0", "-1"]),
    (dict(expected=3, tolerance=None), TypeError, ["tolerance", "None"]),
])
def test_check_number_spec_mistakes_raise(kwargs, exc, words):
    with pytest.raises(exc) as info:
        checks.check_number(3, **kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_check_true_needs_one_true_or_false():
    torch = pytest.importorskip("torch")
    for cond in (np.array([True, False]), torch.tensor([True, False])):
        v = checks.check_true(cond, "ok", "no")
        assert v.ok is False and "one True or False" in v.message and ".all()" in v.message and ".any()" in v.message
    for cond, word in (("no", "the text 'no'"), (0.98, "0.98"), (1, "1")):
        v = checks.check_true(cond, "ok", "no")
        assert v.ok is False and "a comparison such as" in v.message and word in v.message
    assert checks.check_true(np.bool_(True), "ok", "no").ok is True
    assert checks.check_true(np.array(True), "ok", "no").ok is True
    assert checks.check_true(torch.tensor(False), "ok", "no").ok is False
    assert repr(checks.check_true(np.float64(0.98) >= 0.97, "ok", "no")) == "✅ Correct. ok"
    assert checks.check_true(None, "ok", "no").ok is None
    with pytest.raises(TypeError, match="message_ok must be text"):
        checks.check_true(True, None, "no")


def test_output_size_answers_and_specs():
    assert checks.check_output_size(np.array([3]), 4, 2, stride=2, padding=1).ok is True
    assert checks.check_output_size(np.int64(3), np.int64(4), np.int64(2), stride=np.int64(2), padding=1)
    v = checks.check_output_size("3", 4, 2, stride=2, padding=1)
    assert v.ok is False and "not text" in v.message
    v = checks.check_output_size([3, 3], 4, 2, stride=2, padding=1)
    assert v.ok is False and "single whole number" in v.message
    assert "yes/no" in checks.check_output_size(True, 4, 2).message
    with pytest.raises(TypeError, match="size must be a whole number of pixels, got the text '4'"):
        checks.check_output_size(3, "4", 2)


def test_shape_answers_of_the_wrong_kind_get_a_verdict():
    v = checks.check_shape((10.5, 48, 68), (10, 48, 68))
    assert v.ok is False and "whole numbers" in v.message                # not silently rounded down to 10
    v = checks.check_shape("1048", (1, 0, 4, 8))
    assert v.ok is False and "not as text" in v.message
    v = checks.check_shape(np.zeros((10, 48, 68)), (10, 48, 68))
    assert v.ok is False and ".shape = (10, 48, 68)" in v.message
    v = checks.check_shape(10, (10,))
    assert v.ok is False and "(10,)" in v.message
    assert checks.check_shape(np.array([10, 48, 68]), (10, 48, 68)).ok is True
    assert checks.check_shape((10.0, np.int64(48), 68), (10, 48, 68)).ok is True
    for expected in (None, 10, "10x48", (10, 4.5)):
        with pytest.raises(TypeError, match="expected .* tuple of whole numbers"):
            checks.check_shape((10, 48), expected)


def test_array_answers_of_text_and_spec_mistakes():
    v = checks.check_array(["1", "2"], np.array([1, 2]))
    assert v.ok is False and "not text" in v.message
    v = checks.check_conv1d(["1", "-1", "1", "0"], [0, 1, 0, 1, 1], [-1, 1])
    assert v.ok is False and "not text" in v.message
    for expected in (None, "12", [[1, 2], [3]]):
        with pytest.raises(TypeError, match="expected .*set by the notebook"):
            checks.check_array([1, 2], expected)


def test_numpy_integer_settings_keep_every_hint():
    x = np.arange(1, 26).reshape(5, 5)
    w = np.array([[1, 0], [0, -1]])
    doubled = helpers.conv2d(x, w, padding=2)
    for padding in (1, np.int64(1)):
        assert "padded twice" in checks.check_conv2d(doubled, x, w, padding=padding).message
    twice = helpers.conv2d(x, w, stride=4)
    for stride in (2, np.int64(2)):
        assert "stride twice" in checks.check_conv2d(twice, x, w, stride=stride).message
