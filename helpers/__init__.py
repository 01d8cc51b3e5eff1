"""helpers — the small, tested library behind the CNN notebooks.

NumPy arrays in, NumPy arrays out, with torch.nn.functional's argument names and semantics.
``import helpers`` never imports torch; the few functions that need it import it themselves.
"""

from .backward import (
    avg_pool2d_backward,
    check_gradient,
    conv2d_backward,
    conv2d_backward_naive,
    max_pool2d_backward,
    numeric_gradient,
    relative_error,
    relu_backward,
)
from .checks import (
    Verdict,
    check_array,
    check_conv1d,
    check_conv2d,
    check_conv_params,
    check_number,
    check_output_size,
    check_pool2d,
    check_shape,
    check_true,
)
from .conv import conv1d, conv2d, conv2d_naive, conv_transpose2d
from .data import (
    SHAPE_KINDS,
    load_cifar10,
    load_digits,
    load_mnist,
    load_mnist1d,
    make_shapes,
    place_on_canvas,
    train_test_split,
)
from .grading import ungraded
from .images import load_photo
from .matrix import conv1d_matrix, conv2d_matrix
from .normalization import check_batch_norm, check_residual_block
from .params import conv_params, count_params, linear_params, mlp_params, params_by_layer_type
from .pool import avg_pool2d, max_pool2d
from .receptive import Field, format_fields, receptive_fields, stacked_kernel_size
from .shapes import Row, ShapeMismatchError, format_table, trace_shapes
from .sizes import (
    conv_output_formula,
    conv_output_size,
    conv_transpose_output_size,
    pool_output_formula,
    pool_output_size,
)
from .train import History, digits_cnn, evaluate, fit, get_device, predict

__all__ = [
    "Row", "ShapeMismatchError", "Verdict", "ungraded",
    "avg_pool2d", "avg_pool2d_backward", "check_gradient", "conv2d_backward", "conv2d_backward_naive",
    "max_pool2d_backward", "numeric_gradient", "relative_error", "relu_backward",
    "load_photo", "conv1d_matrix", "conv2d_matrix",
    "check_batch_norm", "check_residual_block",
    "SHAPE_KINDS", "load_cifar10", "load_digits", "load_mnist", "make_shapes", "train_test_split",
    "load_mnist1d", "place_on_canvas",
    "History", "digits_cnn", "evaluate", "fit", "get_device", "predict",
    "conv_params", "count_params", "linear_params", "mlp_params", "params_by_layer_type",
    "Field", "format_fields", "receptive_fields", "stacked_kernel_size",
    "check_array", "check_conv1d", "check_conv2d", "check_conv_params", "check_number",
    "check_output_size", "check_pool2d", "check_shape", "check_true", "conv1d", "conv2d", "conv2d_naive",
    "conv_output_formula", "conv_output_size", "conv_transpose2d", "conv_transpose_output_size",
    "format_table", "max_pool2d", "pool_output_formula", "pool_output_size", "trace_shapes",
]
__version__ = "0.1.0"
