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
    v = checks.check_conv2d(np.zeros((2, 3)), IMAGE, KERNEL)     # W − K: the + 1 forgotten
    assert v.ok is False and "Off by one" in v.message
    v = checks.check_conv2d(np.zeros((4, 5)), IMAGE, KERNEL)     # one too many: not the + 1
    assert v.ok is False and "Off by one" not in v.message and "Axis 0 and 1 differ" in v.message


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


@pytest.mark.parametrize("answer, expected, kwargs, words, not_words", [
    ((48, 68, 10), (10, 48, 68), {}, ["channels first"], ["swapped"]),
    ((10, 68, 48), (10, 48, 68), {}, ["height and width are swapped"], ["channels first"]),
    ((128, 150), (150, 128), {}, ["rows", "columns"], ["channels"]),
    ((64, 128, 3, 3), (128, 64, 3, 3), {"what": "weight shape"}, ["C_out and C_in are swapped"], ["channels first"]),
    ((3, 3, 64, 128), (128, 64, 3, 3), {"what": "weight shape"}, ["TensorFlow"], ["channels first"]),
    ((2, 5, 5, 10), (2, 10, 5, 5), {}, ["channels last"], []),
    ((68, 48, 10), (10, 48, 68), {}, ["wrong order"], ["channels first", "swapped"]),
    ((9, 48, 68), (10, 48, 68), {}, ["dimension 0", "channels"], ["+ 1", "off by one"]),
    ((10, 49, 68), (10, 48, 68), {}, ["dimension 1", "height"], ["+ 1", "off by one"]),
    ((10, 47, 67), (10, 48, 68), {}, ["+ 1"], []),
    ((5, 48, 68), (10, 48, 68), {}, ["half the channels"], ["+ 1"]),
    ((20, 48, 68), (10, 48, 68), {}, ["twice the channels"], ["+ 1"]),
    ((147, 125), (148, 126), {}, ["dimension 0", "dimension 1"], ["+ 1", "channels"]),
    ((147, 125), (148, 126), {"layout": "HW"}, ["+ 1"], []),
    ((127, 64, 3, 3), (128, 64, 3, 3), {"what": "weight shape"}, ["C_out"], ["+ 1"]),
])
def test_shape_diagnoses_only_what_is_detected(answer, expected, kwargs, words, not_words):
    v = checks.check_shape(answer, expected, **kwargs)
    assert v.ok is False
    for word in words:
        assert word.lower() in v.message.lower(), (word, v.message)
    for word in not_words:
        assert word.lower() not in v.message.lower(), (word, v.message)
    assert checks.check_shape(expected, expected, **kwargs).message == "×".join(map(str, expected))


def test_shape_layout_is_checked():
    with pytest.raises(ValueError, match="layout"):
        checks.check_shape((1, 2), (1, 2), layout="CHW")


def test_array_off_by_one_only_when_the_plus_one_explains_it():
    x = np.arange(16).reshape(4, 4)
    w = np.array([[1, 1], [0, 2]])
    forgot = checks.check_conv2d(np.zeros((2, 2)), x, w, stride=2, padding=1)
    assert forgot.ok is False and "W − K + 1" in forgot.message
    other = checks.check_conv2d(np.zeros((2, 3)), x, w, stride=2, padding=1)
    assert other.ok is False and "W − K + 1" not in other.message and "Axis 0" in other.message
    pooled = checks.check_pool2d(np.zeros((1, 1)), x, 2)
    assert pooled.ok is False and "+ 1" in pooled.message and "W − K + 1" not in pooled.message
    plain = checks.check_array([0, 1, 2], [0, 1, 2, 3], what="list of indices")
    assert plain.ok is False and "W − K + 1" not in plain.message and "Axis 0 differs" in plain.message
    named = checks.check_array([0, 1, 2], [0, 1, 2, 3], shape_candidates=[((3,), "You stopped one short.")])
    assert "one short" in named.message
    assert checks.check_array([0, 1, 2, 3], [0, 1, 2, 3], shape_candidates=[((3,), "short")]).ok is True


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


def test_call_student_turns_an_exception_into_a_verdict_that_check_array_passes_on():
    def int_zeros(x):
        out = np.zeros(3, dtype=int)
        out += np.asarray(x) * 0.5
        return out

    v = checks.call_student(int_zeros, [1.0, 2.0, 3.0], name="my_fn")
    assert v.ok is False and "my_fn raised" in v.message and "integer array" in v.message
    assert checks.check_array(v, np.zeros(3)) is v                     # passed on unchanged
    v = checks.call_student(lambda x: np.ones(2) @ np.ones(3), 1)
    assert v.ok is False and "shapes do not fit" in v.message
    assert checks.call_student(None) is None                          # the stub: not answered yet downstream
    assert checks.call_student(3).ok is False                          # not a function
    assert checks.call_student(lambda a, b: a + b, 1, b=2) == 3       # a right function: its result


def test_check_choice_ignores_case_and_spaces_and_names_wrong_choices():
    opts = ["a lot", "a little", "about the same"]
    assert checks.check_choice("  About the  Same ", "about the same", opts)
    v = checks.check_choice("a lot", "about the same", opts, hints={"A lot": "max pooling is a non-linearity"})
    assert v.ok is False and "max pooling" in v.message
    assert "not one of the choices" in checks.check_choice("same", "about the same", opts).message
    assert "in quotes" in checks.check_choice(2, "about the same", opts).message
    assert checks.check_choice(None, "about the same", opts).ok is None
    with pytest.raises(ValueError):
        checks.check_choice("a lot", "none of them", opts)


def test_check_conv2d_candidates_name_the_notebooks_mistake():
    image = np.random.default_rng(4).integers(0, 3, size=(1, 4, 5))
    kernels = np.stack([np.array([[-1, 2, -1]] * 3), np.array([[-1, 2, -1]] * 3).T])[:, None]
    right = helpers.conv2d(image, kernels)
    swapped = right[::-1]
    v = checks.check_conv2d(swapped, image, kernels, candidates=[(swapped, "The channels are in the wrong order.")])
    assert v.ok is False and "wrong order" in v.message
    assert checks.check_conv2d(right, image, kernels, candidates=[(swapped, "wrong order")]).ok is True


def test_dilation_taken_for_a_stride_is_named():
    x = np.arange(1, 17).reshape(4, 4)
    w = np.array([[1, 0], [0, 2]])
    as_stride = helpers.conv2d(x, w, stride=2)
    v = checks.check_conv2d(as_stride, x, w, dilation=2)
    assert v.ok is False and "dilation for a stride" in v.message
    assert checks.check_conv2d(helpers.conv2d(x, w, dilation=2), x, w, dilation=2).ok is True
    v = checks.check_conv1d(helpers.conv1d([0, 1, -1, 1, 1], [-1, 1], stride=2), [0, 1, -1, 1, 1], [-1, 1],
                            dilation=2)
    assert v.ok is False and "dilation for a stride" in v.message and "Off by one" not in v.message


@pytest.mark.parametrize("fn, words", [
    (lambda i, k, s=1, p=0, d=1: (i + 2 * p - d * (k - 1) - 1) // s, ["+ 1"]),
    (lambda i, k, s=1, p=0, d=1: (i + 2 * p - k) // s + 1, ["dilation"]),
    (lambda i, k, s=1, p=0, d=1: (i + 2 * p - d * (k - 1) - 1) / s + 1, ["//"]),
    (lambda i, k, s=1, p=0, d=1: -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1, ["round down"]),
    (lambda i, k, s=1, p=0, d=1: (i + p - d * (k - 1) - 1) // s + 1, ["once"]),
    (lambda i, k, s=1, p=0, d=1: 1 // 0, ["ZeroDivisionError"]),
    (lambda i, k: i - k + 1, ["TypeError", "argument order"]),
    (lambda i, k, s=1, p=0, d=1: 7, ["configurations differ"]),
])
def test_output_size_function_names_the_mistake(fn, words):
    v = checks.check_output_size_function(fn)
    assert v.ok is False
    for word in words:
        assert word in v.message, (word, v.message)


def test_output_size_function_right_and_unanswered():
    assert checks.check_output_size_function(helpers.conv_output_size).ok is True
    assert checks.check_output_size_function(lambda i, k, s=1, p=0, d=1: None).ok is None
    assert checks.check_output_size_function(None).ok is None


# --- notebook 02: output shape, the student's my_conv2d, a line-detector design ---------------------------

def test_output_shape_names_notebook_02_mistakes():
    right = checks.check_output_shape((148, 126), (150, 128), 3)
    assert right.ok is True
    cases = [((126, 148), ["rows first"]), ((147, 125), ["+ 1"]), ((150, 128), ["input's shape"]),
             ((148, 125), ["rows are right", "columns"]), ((148.5, 126), ["whole number"]),
             ("148, 126", ["not text"]), (148, ["tuple"])]
    for answer, words in cases:
        v = checks.check_output_shape(answer, (150, 128), 3)
        assert v.ok is False, answer
        assert all(w.lower() in v.message.lower() for w in words), (answer, v.message)
        assert "148" not in v.message.replace(repr(answer), ""), v.message      # never the answer itself
    assert checks.check_output_shape(None, (150, 128), 3).ok is None


def _loops(x, w, *, flip=False, dtype=float, square=False, plus_one=1):
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    kh, kw = w.shape
    if square:
        kw = kh
    out = np.zeros((x.shape[0] - kh + plus_one, x.shape[1] - kw + plus_one), dtype=dtype)
    k = w[::-1, ::-1] if flip else w
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
    return out


def test_conv2d_function_runs_several_inputs_and_names_the_mistake():
    assert checks.check_conv2d_function(_loops).ok is True
    cases = [(lambda x, w: _loops(x, w, flip=True), ["flipped"]),
             (lambda x, w: _loops(x, w, dtype=int), ["int", "float"]),
             (lambda x, w: _loops(x, w, square=True), ["raised", "not square"]),
             (lambda x, w: _loops(x, w, plus_one=0), ["+ 1"]),
             (lambda x, w: 1 / 0, ["ZeroDivisionError"]),
             (lambda x, w: "text", ["not text"]),
             (42, ["should be a function"])]
    for fn, words in cases:
        v = checks.check_conv2d_function(fn)
        assert v.ok is False
        assert all(w in v.message for w in words), (words, v.message)
    assert checks.check_conv2d_function(None).ok is None
    assert checks.check_conv2d_function(lambda x, w: None).ok is None


def test_line_detector_tests_the_property_on_several_images():
    assert checks.check_line_detector([[2, -1, -1], [-1, 2, -1], [-1, -1, 2]]).ok is True
    assert checks.check_line_detector([[-1, 2, -1]] * 3, "vertical").ok is True
    for kernel, words in [(np.ones((3, 3)), ["flat bright image"]), (np.ones((3, 3)) / 9, ["flat"]),
                          (np.eye(3), ["flat", "sum to 0"]), ([[-1, 2, -1]] * 3, ["not centred"]),
                          (np.eye(2), ["3×3"]), ("diag", ["not text"])]:
        v = checks.check_line_detector(kernel)
        assert v.ok is False and all(w in v.message for w in words), (kernel, v.message)
    assert checks.check_line_detector(None).ok is None
    with pytest.raises(ValueError, match="direction"):
        checks.check_line_detector(np.eye(3), "sideways")


def test_pool2d_names_the_pooling_mistakes():
    fm = np.array([[0, 3, 1, 0], [2, 5, 0, 4], [1, 0, 0, 2], [6, 1, 3, 0]])
    assert checks.check_pool2d([[5, 4], [6, 3]], fm, 2)
    assert "smallest" in checks.check_pool2d([[0, 0], [0, 0]], fm, 2).message
    assert "added up" in checks.check_pool2d([[10, 5], [8, 5]], fm, 2, mode="avg").message
    assert "whole" in checks.check_pool2d([[2, 1], [2, 1]], fm, 2, mode="avg").message
    assert "default stride" in checks.check_pool2d([[5, 4], [6, 3]], fm, 2, stride=1).message
    odd = np.array([[-2, 3, -1, 0], [-3, 5, -2, 0], [-2, 3, -1, 0]])
    assert checks.check_pool2d([[5, 0]], odd, 2)
    assert "leftover" in checks.check_pool2d([[5, 0], [3, 0]], odd, 2).message
    assert checks.check_pool2d([[1]], fm, 2, candidates=[(np.array([[1]]), "mine")]).message == "mine"


def test_pool_shape_names_the_pooling_mistakes():
    assert checks.check_pool_shape((10, 24, 34), (10, 48, 68), 2)
    assert checks.check_pool_shape(None, (10, 48, 68), 2).ok is None
    for wrong, words in [((5, 24, 34), "each channel"), ((10, 47, 67), "one pixel at a time"),
                         ((10, 23, 33), "+ 1"), ((10, 48, 68), "shrinks"), ((10, 12, 17), "twice"),
                         ((24, 34, 10), "channels first"), ((1, 10, 24, 34), "batch"), ("10×24×34", "text")]:
        v = checks.check_pool_shape(wrong, (10, 48, 68), 2)
        assert v.ok is False and words in v.message, (wrong, v.message)
    assert "mix" in checks.check_pool_shape((1, 1, 1), (512, 7, 7), 7).message
    assert "three axes" in checks.check_pool_shape((512,), (512, 7, 7), 7).message
    assert "rounded up" in checks.check_pool_shape((10, 3, 3), (10, 5, 5), 2).message


def test_shape_hints_and_output_size_hints():
    v = checks.check_shape((10, 46, 66), (10, 11, 16), hints={(10, 46, 66): "You left out the pools."})
    assert v.ok is False and v.message == "You left out the pools."
    assert checks.check_shape((10, 11, 16), (10, 11, 16), hints={(10, 46, 66): "x"})
    assert "channels first" in checks.check_shape((11, 16, 10), (10, 11, 16), hints={}).message
    assert "whole number" in checks.check_output_size(2.5, 5, 2, stride=2).message
    assert checks.check_output_size(18, 55, 3, stride=2, hints={18: "stride 3"}).message == "stride 3"
    assert checks.check_output_size(27, 55, 3, stride=2, hints={18: "stride 3"})


def test_check_function_runs_the_students_function_on_every_input():
    cases = [([0, 1, 0, 1, 1], [-1, 1]), ([0.5, -1.25, 2, 0.75], [0.5, -1.5]), ([1.5, -2, 4], [-0.5])]
    ref = helpers.conv1d

    def loop(x, w, dtype=float, flip=False, stop=1):
        x, w = np.asarray(x), np.asarray(w)[::-1] if flip else np.asarray(w)
        out = np.zeros(len(x) - len(w) + stop, dtype=dtype)
        for i in range(len(out)):
            out[i] = np.sum(x[i:i + len(w)] * w)
        return out

    assert checks.check_function(loop, ref, cases, name="my_conv1d").ok is True
    assert checks.check_function(None, ref, cases).ok is None
    assert checks.check_function(lambda x, w: None, ref, cases).ok is None
    truncated = checks.check_function(lambda x, w: loop(x, w, dtype=int), ref, cases, name="my_conv1d")
    assert truncated.ok is False and "whole numbers" in truncated.message and "[0.5" in truncated.message
    flipped = checks.check_function(lambda x, w: loop(x, w, flip=True), ref, cases,
                                    candidates=[(lambda x, w: ref(x, np.flip(w)), "flipped")])
    assert flipped.ok is False and flipped.message.endswith("flipped")
    short = checks.check_function(lambda x, w: loop(x, w, stop=0), ref, cases,
                                  shape_candidates=[(lambda x, w: (len(x) - len(w),), "off by one")])
    assert "off by one" in short.message
    crash = checks.check_function(lambda x, w: [x[i + 2] for i in range(len(x))], ref, cases, name="f",
                                  causes=[("IndexError", "past the end")])
    assert crash.ok is False and "f([0, 1, 0, 1, 1], [−1, 1]) raised IndexError" in crash.message
    assert "past the end" in crash.message
    assert "should be a function" in checks.check_function([1, 2], ref, cases).message


def test_check_conv_shape_agrees_with_torch_and_names_the_convolutions_mistakes():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for _ in range(60):
        c, h, w, cout = (
            int(rng.integers(1, 5)), int(rng.integers(6, 30)), int(rng.integers(6, 30)), int(rng.integers(1, 5)))
        k, s, p, d = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
        right = tuple(torch.nn.Conv2d(c, cout, k, s, p, d)(torch.zeros(1, c, h, w)).shape[1:])
        assert checks.check_conv_shape(right, (c, h, w), cout, k, s, p, d).ok
    assert "one channel per kernel" in checks.check_conv_shape((3, 48, 68), (3, 50, 70), 10, 3).message
    assert "+ 1" in checks.check_conv_shape((10, 47, 67), (3, 50, 70), 10, 3).message
    assert "stride" in checks.check_conv_shape((256, 28, 28), (128, 28, 28), 256, 1, stride=2).message
    assert "padding" in checks.check_conv_shape((8, 30, 30), (3, 32, 32), 8, 3, padding=1).message
    assert "mine" in checks.check_conv_shape((1, 2, 3), (3, 50, 70), 10, 3, hints={(1, 2, 3): "mine"}).message
    assert checks.check_conv_shape(None, (3, 50, 70), 10, 3).ok is None
    assert checks.check_conv_shape("10x48x68", (3, 50, 70), 10, 3).ok is False


def test_check_repaired_model_runs_the_model_and_compares_its_layers():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    x = torch.zeros(4, 3, 12, 12)

    def net(cin=3, c=8, feats=8 * 5 * 5, pad=0):
        return nn.Sequential(nn.Conv2d(cin, c, 3, padding=pad), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(feats, 2))

    ref = net()
    assert checks.check_repaired_model(net(), ref, x).ok
    assert checks.check_repaired_model(None, ref, x).ok is None
    v = checks.check_repaired_model(net(feats=100), ref, x)              # does not run: the error is quoted
    assert v.ok is False and "mat1 and mat2" in v.message and "in_features" in v.message
    v = checks.check_repaired_model(nn.Sequential(nn.Flatten(), nn.Linear(3 * 12 * 12, 2)), ref, x)
    assert v.ok is False and "layers" in v.message                       # right output shape, other model
    v = checks.check_repaired_model(net(pad=1, feats=8 * 6 * 6), ref, x)
    assert v.ok is False and "Layer 0" in v.message and "padding" in v.message
    assert "PyTorch model" in checks.check_repaired_model("nn.Linear(200, 2)", ref, x).message


def test_check_number_whole_names_a_fraction():
    v = checks.check_number(2187.5, 2040, what="length", whole=True)
    assert v.ok is False and "whole number" in v.message and "//" in v.message
    assert checks.check_number(2040.0, 2040, whole=True).ok
    assert "too large" in checks.check_number(2187.5, 2040).message       # without whole: as before


def test_check_output_size_hints_do_not_state_the_right_size():
    for wrong in (54, 56, 218):
        v = checks.check_output_size(wrong, 224, 11, stride=4, padding=2)
        assert v.ok is False and "= 55" not in v.message and "55" not in v.message.split("⌋")[-1]


def test_check_conv_params_hints_name_the_mistake_without_the_count():
    v = checks.check_conv_params(64 * (64 * 25 + 1), 64, 64, 5, bias=False)
    assert v.ok is False and "bias=False" in v.message and "102400" not in v.message
    assert "280" not in checks.check_conv_params(270, 3, 10, 3).message


# --- found by a student working 03 and 07 cold ------------------------------------------------------------------
def test_a_repaired_model_whose_forward_skips_a_layer_is_rejected():
    import torch
    from torch import nn

    ref = nn.Sequential(nn.Conv2d(3, 10, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(10 * 24 * 34, 2))
    x = torch.zeros(4, 3, 50, 70)

    class Skips(nn.Module):
        def __init__(self):
            super().__init__()
            self.c, self.r, self.p = nn.Conv2d(3, 10, 3), nn.ReLU(), nn.MaxPool2d(2)
            self.f, self.lin = nn.Flatten(), nn.Linear(10 * 24 * 34, 2)

        def forward(self, x):
            return self.lin(self.f(self.p(self.c(x))))               # no ReLU

    class Uses(Skips):
        def forward(self, x):
            return self.lin(self.f(self.p(self.r(self.c(x)))))

    said = checks.check_repaired_model(Skips(), ref, x)
    assert not said and "forward pass" in said.message and "ReLU" in said.message
    assert checks.check_repaired_model(Uses(), ref, x)
    # the same settings written another way are the same layer
    same = nn.Sequential(nn.Conv2d(3, 10, (3, 3), padding="valid"), nn.ReLU(), nn.MaxPool2d((2, 2)), nn.Flatten(),
                         nn.Linear(10 * 24 * 34, 2))
    assert checks.check_repaired_model(same, ref, x)


def test_a_shape_as_a_tensor_is_a_shape_and_the_example_is_never_the_answer():
    import torch

    assert checks.check_shape(torch.tensor([10, 48, 68]), (10, 48, 68))
    said = checks.check_shape("10, 48, 68", (3, 32, 32))
    assert not said and "(3, 32, 32)" not in said.message and "text" in said.message


def test_a_float_a_hair_from_a_whole_number_is_written_with_its_digits():
    said = checks.check_number(10.0000001, 10, what="side")
    assert not said and "10.0000001" in said.message
    assert helpers._text.number(10.0000001) == "10.0000001" and helpers._text.number(0.1568) == "0.1568"


def test_a_whole_float_from_a_size_function_is_told_to_stay_in_ints():
    said = checks.check_output_size_function(lambda i, k, s=1, p=0, d=1: (i + 2 * p - d * (k - 1) - 1) // s + 1.0)
    assert not said and "float" in said.message and "int" in said.message and "fraction" not in said.message


def test_one_number_where_an_array_is_asked_for():
    said = checks.check_conv1d(3, [0, 1, -1, 1, 1], [-1, 1], dilation=2)
    assert not said and "one number" in said.message and "write all of them" in said.message


def test_the_checks_own_reference_model_is_not_an_answer():
    import torch
    from torch import nn

    ref = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    said = checks.check_repaired_model(ref, ref, torch.zeros(4, 3, 2, 2))
    assert not said and "check's own model" in said.message
