"""Formulas: the working, as one would write it by hand (and as torch counts)."""

from __future__ import annotations

import pytest

from paramcalc import Conv1d, Conv2d, Conv3d, Linear, MaxPool2d, Sequential
from paramcalc.formula import Formula, num, product, quotient, total


class TestLayerFormulas:
    @pytest.mark.parametrize(
        ("layer", "text", "symbolic"),
        [
            (Conv2d(1, 6, 5), "(5·5·1 + 1)·6 = 156", "(K·K·C_in + 1)·C_out"),
            (Conv2d(1, 6, 5, bias=False), "5·5·1·6 = 150", "K·K·C_in·C_out"),
            (Conv2d(4, 8, 3, groups=2), "(3·3·4/2 + 1)·8 = 152", "(K·K·C_in/g + 1)·C_out"),
            (Conv1d(16, 33, 3), "(3·16 + 1)·33 = 1,617", "(K·C_in + 1)·C_out"),
            (Conv3d(2, 4, (1, 2, 3)), "(1·2·3·2 + 1)·4 = 52", "(K·K·K·C_in + 1)·C_out"),
            (Linear(400, 120), "400·120 + 120 = 48,120", "C_in·C_out + C_out"),
            (Linear(84, 10, bias=False), "84·10 = 840", "C_in·C_out"),
            (MaxPool2d(2), "0", "0"),
        ],
    )
    def test_text_and_symbolic(self, layer: Conv2d, text: str, symbolic: str) -> None:
        """The numbers (torch's counts, e.g. 156 = 6·1·5·5 + 6) and the general rule."""
        formula = layer.explain()
        assert str(formula) == text
        assert formula.symbolic() == symbolic
        assert formula.value == layer.params()

    def test_latex(self) -> None:
        """LaTeX uses \\cdot, braces thousands separators, and subscripts symbols."""
        formula = Linear(400, 120).explain()
        assert formula.latex() == r"400 \cdot 120 + 120 = 48{,}120"
        assert formula.latex(symbolic=True) == r"C_{in} \cdot C_{out} + C_{out}"
        grouped = Conv2d(4, 8, 3, groups=2).explain()
        assert grouped.latex() == r"(3 \cdot 3 \cdot \frac{4}{2} + 1) \cdot 8 = 152"

    def test_container_sums_children(self) -> None:
        """A container's working is the sum of its layers' counts, all written as counts."""
        net = Sequential(Linear(400, 120), Linear(120, 84), Linear(84, 10))
        assert str(net.explain()) == "48,120 + 10,164 + 850 = 59,134"
        assert net.explain().latex() == "48{,}120 + 10{,}164 + 850 = 59{,}134"
        assert str(Linear(4000, 1200).explain()) == "4000·1200 + 1200 = 4,801,200"  # sizes

    def test_shared_layer_counted_once_in_formula(self) -> None:
        """A layer used twice appears once, as in parameters()."""
        fc = Linear(3, 3)
        assert str(Sequential(fc, fc).explain()) == "12"


class TestFormulaTree:
    def test_parentheses_only_where_needed(self) -> None:
        """Sums inside products get parentheses; quotients of non-leaves too."""
        f = Formula(product(total(num(2), num(3)), quotient(product(num(4), num(6)), num(3))))
        assert f.text() == "(2 + 3)·(4·6)/3"
        assert f.value == 40

    def test_inexact_quotient_is_an_error(self) -> None:
        """A quotient must divide exactly; a formula never rounds."""
        with pytest.raises(ValueError, match="7/2 is not an integer"):
            _ = Formula(quotient(num(7), num(2))).value
