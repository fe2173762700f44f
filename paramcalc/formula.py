r"""A tiny expression tree for showing the working, the way one writes it by hand.

>>> from paramcalc.formula import Formula, num, product, total
>>> f = Formula(product(total(product(num(5, "K"), num(5, "K"), num(1, "C_in")), num(1)),
...                     num(6, "C_out")))
>>> str(f)
'(5·5·1 + 1)·6 = 156'
>>> f.symbolic()
'(K·K·C_in + 1)·C_out'
>>> f.latex()
'(5 \\cdot 5 \\cdot 1 + 1) \\cdot 6 = 156'
>>> f.value
156
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

__all__ = [
    "Expr",
    "Formula",
    "Num",
    "Product",
    "Quotient",
    "Sum",
    "num",
    "product",
    "quotient",
    "total",
]


@dataclass(frozen=True)
class Num:
    """A number, with the symbol it stands for in the general formula."""

    value: int
    symbol: str = ""
    grouped: bool = False
    """Written with thousands separators (``2,416``): a count, not a size."""


@dataclass(frozen=True)
class Sum:
    """``a + b + …``."""

    terms: tuple[Expr, ...]


@dataclass(frozen=True)
class Product:
    """``a·b·…``."""

    factors: tuple[Expr, ...]


@dataclass(frozen=True)
class Quotient:
    """``a/b``, an exact integer division (``in_channels/groups``)."""

    numerator: Expr
    denominator: Expr


Expr = Num | Sum | Product | Quotient


def num(value: int, symbol: str = "") -> Num:
    """A leaf; ``symbol`` defaults to the number itself."""
    return Num(value, symbol)


def total(*terms: Expr) -> Expr:
    """A sum; one term is returned as it is."""
    return terms[0] if len(terms) == 1 else Sum(terms)


def product(*factors: Expr) -> Expr:
    """A product; one factor is returned as it is."""
    return factors[0] if len(factors) == 1 else Product(factors)


def quotient(numerator: Expr, denominator: Expr) -> Expr:
    """An exact division."""
    return Quotient(numerator, denominator)


def evaluate(expr: Expr) -> int:
    """The exact integer value of ``expr``."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Sum):
        return sum(evaluate(term) for term in expr.terms)
    if isinstance(expr, Product):
        result = 1
        for factor in expr.factors:
            result *= evaluate(factor)
        return result
    numerator, denominator = evaluate(expr.numerator), evaluate(expr.denominator)
    if numerator % denominator:
        raise ValueError(f"{numerator}/{denominator} is not an integer")
    return numerator // denominator


@dataclass(frozen=True)
class _Style:
    times: str
    latex: bool
    symbolic: bool


_TEXT = _Style("·", latex=False, symbolic=False)
_SYMBOLS = _Style("·", latex=False, symbolic=True)
_LATEX = _Style(" \\cdot ", latex=True, symbolic=False)
_LATEX_SYMBOLS = _Style(" \\cdot ", latex=True, symbolic=True)


def _leaf(leaf: Num, style: _Style) -> str:
    if not style.symbolic or not leaf.symbol:
        return f"{leaf.value:,}" if leaf.grouped else str(leaf.value)
    if style.latex and "_" in leaf.symbol:
        head, _, tail = leaf.symbol.partition("_")
        return f"{head}_{{{tail}}}"
    return leaf.symbol


def render(expr: Expr, style: _Style = _TEXT) -> str:
    """Render ``expr`` with the fewest parentheses that keep its meaning."""
    if isinstance(expr, Num):
        return _leaf(expr, style)
    if isinstance(expr, Sum):
        return " + ".join(render(term, style) for term in expr.terms)
    if isinstance(expr, Product):
        return style.times.join(
            f"({render(factor, style)})" if isinstance(factor, Sum) else render(factor, style)
            for factor in expr.factors
        )
    top, bottom = render(expr.numerator, style), render(expr.denominator, style)
    if style.latex:
        return f"\\frac{{{top}}}{{{bottom}}}"
    if not isinstance(expr.numerator, Num):
        top = f"({top})"
    if not isinstance(expr.denominator, Num):
        bottom = f"({bottom})"
    return f"{top}/{bottom}"


@dataclass(frozen=True)
class Formula:
    """The working of a count: an expression and its exact value.

    ``str()`` gives ``"400·120 + 120 = 48,120"``; :meth:`symbolic` gives the
    general rule (``"C_in·C_out + C_out"``); :meth:`latex` gives either in LaTeX.
    """

    expr: Expr

    @cached_property
    def value(self) -> int:
        """The exact value of the expression."""
        return evaluate(self.expr)

    def text(self) -> str:
        """The expression alone, with numbers: ``"400·120 + 120"``."""
        return render(self.expr, _TEXT)

    def symbolic(self) -> str:
        """The general rule with symbols: ``"C_in·C_out + C_out"``."""
        return render(self.expr, _SYMBOLS)

    def latex(self, *, symbolic: bool = False) -> str:
        """LaTeX: the numbers and the result, or the general rule."""
        if symbolic:
            return render(self.expr, _LATEX_SYMBOLS)
        if isinstance(self.expr, Num):
            return f"{self.value:,}".replace(",", "{,}")
        return f"{render(self.expr, _LATEX)} = {self.value:,}".replace(",", "{,}")

    def __str__(self) -> str:
        if isinstance(self.expr, Num):
            return f"{self.value:,}"
        return f"{self.text()} = {self.value:,}"

    @classmethod
    def of_sum(cls, values: Iterable[int]) -> Formula:
        """``156 + 2,416 + … = 61,706``: the formula of a container."""
        terms = tuple(Num(value, grouped=True) for value in values if value)
        return cls(total(*terms) if terms else Num(0))
