"""Explorers: the interactive figures of the notebooks, one module each.

An explorer is a figure with controls (sliders, dropdowns) built on :class:`Explorer` (``base.py``). It has a
pure core, ``compute(**state)`` (state in, numbers out), which unit tests and check cells call; a ``draw`` that
updates the artists of one figure made once; ``widget()``, the live controls for JupyterLab; and
``static(**state)``, the same figure as a plain PNG that the stored notebook, the HTML export and the slides
show. ``base.py`` says how a redraw stays fast.

The explorers, and the notebook that shows each:

* ``conv1d.py`` — :class:`FilterSlider` (notebooks 00, 01): a filter slides along a signal, one position at a
  time; :func:`steps_figure` draws every position at once.
* ``conv2d.py`` — :class:`KernelStepper` (notebook 02): a kernel steps over an image, products and sum at each
  output pixel; :func:`photo_crop` is its 8×8 photo.
* ``arithmetic.py`` — :class:`ConvArithmeticExplorer` (notebook 03): input size, kernel size, padding, stride
  and dilation, each slider keeping the others valid.
* ``channels.py`` — :class:`ChannelExplorer` (notebook 04): a kernel for every (output, input) channel pair
  and the feature maps they sum to.
* ``pooling.py`` — :class:`PoolingExplorer` (notebook 05): max or average pooling of a real feature map.
* ``builder.py`` — :class:`CNNBuilder` (notebook 07): a stack of layers with every shape and parameter count
  (its torch-free engine and the layer specs are in :mod:`helpers.shapes`).

``animation.py`` draws convolution arithmetic from any configuration (one frame or an animation, notebook 03);
the arithmetic explorer builds on it.

A new explorer goes in a module of its own here, ``helpers/explorers/<topic>.py``, listed above and re-exported
below (CONTRIBUTING.md says what it implements). This package imports matplotlib; ``import helpers`` does not
import it.
"""

from .animation import CONV_ARITHMETIC_CASES, animation_html, conv_animation, conv_geometry, draw_conv
from .arithmetic import ConvArithmeticExplorer
from .base import Explorer
from .builder import CNNBuilder
from .channels import ChannelExplorer
from .conv1d import FilterSlider, steps_figure
from .conv2d import KernelStepper, photo_crop
from .pooling import PoolingExplorer

__all__ = [
    "Explorer",
    "CNNBuilder", "ChannelExplorer", "ConvArithmeticExplorer", "FilterSlider", "KernelStepper", "PoolingExplorer",
    "CONV_ARITHMETIC_CASES", "animation_html", "conv_animation", "conv_geometry", "draw_conv", "photo_crop",
    "steps_figure",
]
