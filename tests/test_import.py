"""`import helpers` is fast and does not import torch (it is imported lazily where needed)."""

import subprocess
import sys


def test_import_does_not_load_torch_or_matplotlib():
    code = ("import sys, helpers; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_api_is_complete():
    import helpers

    for name in ["conv1d", "conv2d", "conv2d_naive", "conv_transpose2d", "max_pool2d", "avg_pool2d",
                 "conv_output_size", "conv_transpose_output_size", "pool_output_size", "trace_shapes"]:
        fn = getattr(helpers, name)
        assert fn.__doc__ and ">>>" in fn.__doc__, f"{name} needs a docstring with an example"
    for name in helpers.__all__:
        assert hasattr(helpers, name)
