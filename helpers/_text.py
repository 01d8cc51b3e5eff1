"""Numbers and shapes as text: the one home of the formats that checks, explorers and figures print.

A real minus sign (−, U+2212) is written where a figure or a sentence shows a negative number, as in print.
"""

from __future__ import annotations

import numbers

MINUS = "\u2212"


def minus(text: str) -> str:
    """``text`` with every hyphen-minus replaced by a real minus sign: ``minus("-3") == "−3"``."""
    return text.replace("-", MINUS)


def number(v, digits: int = 4, *, sign: bool = True) -> str:
    """A number as a reader writes it: whole numbers without a decimal point, others to ``digits`` significant
    digits; with ``sign`` (default) a real minus sign.

    >>> number(3.0), number(-2), number(0.1568), number(1 / 3, 2), number(10.0000001)
    ('3', '−2', '0.1568', '0.33', '10.0000001')
    """
    v = float(v)
    text = str(int(v)) if v.is_integer() else f"{v:.{digits}g}"
    if not v.is_integer() and float(text) == round(v):    # 10.0000001 is not 10: show the digits that differ
        text = next(t for t in (f"{v:.{d}g}" for d in range(digits, 18)) if float(t) != round(v))
    return minus(text) if sign else text


def decimals(v, places: int = 2, *, short: bool = False) -> str:
    """A number for a small cell of a figure: whole numbers as they are, others to ``places`` decimals, trailing
    zeros dropped; with ``short``, ``0.56`` as ``.56`` and anything that rounds to zero as ``0``.

    >>> decimals(-1.0), decimals(0.5), decimals(-0.561, short=True), decimals(0.001, short=True)
    ('−1', '0.5', '−.56', '0')
    """
    v = float(v)
    if v.is_integer():
        return minus(str(int(v)))
    text = f"{v:.{places}f}"
    if short:
        if float(text) == 0:
            return "0"
        text = text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text
    else:
        text = text.rstrip("0").rstrip(".")
    return minus(text)


class TextTable(list):
    """A list of rows that shows itself as a text table: its repr, its str and what IPython displays are the
    table (a subclass says what the table is in its ``table`` property). A cell that ends with one shows the
    table; assigned to a name, it shows nothing; ``print(rows)`` prints it; it is still a list of rows."""

    @property
    def table(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.table

    __str__ = __repr__

    def _repr_pretty_(self, p, cycle):          # IPython: the table, not a list of rows
        p.text(self.table)


def shape(dims) -> str:
    """A shape as ``3×32×32`` (``scalar`` for ``()``).

    >>> shape((3, 32, 32)), shape(()), shape(7)
    ('3×32×32', 'scalar', '7')
    """
    if isinstance(dims, numbers.Integral):
        return str(int(dims))
    dims = tuple(dims)
    return "×".join(str(d) for d in dims) if dims else "scalar"
