"""The seed post, end to end: its hand calculation of a LeNet-style net.

Every figure here is the post's own (and PyTorch's: 61,706 parameters).
"""

from __future__ import annotations

import pytest

import paramcalc as nn
from paramcalc import Conv2d, Flatten, Linear, MaxPool, Sequential, ShapeError


def lenet(fc1_in: int = 400) -> Sequential:
    return Sequential(
        Conv2d(1, 6, 5), MaxPool(2), Conv2d(6, 16, 5), MaxPool(2),
        Flatten(), Linear(fc1_in, 120), Linear(120, 84), Linear(84, 10),
    )  # fmt: skip


class Net(nn.Module):
    """The post's network, verbatim after ``import paramcalc as nn``."""

    def __init__(self) -> None:
        super(Net, self).__init__()  # noqa: UP008 - the post's own spelling
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)


class TestSeed:
    def test_total(self) -> None:
        """The Sequential LeNet has the post's 61,706 parameters."""
        assert lenet().params() == 61706
        assert lenet().trainable_params() == 61706

    def test_rows(self) -> None:
        """Rows are 156, 2,416, 48,120, 10,164 and 850; pooling adds nothing."""
        rows = lenet().report((1, 32, 32)).rows
        assert [row.params for row in rows] == [156, 0, 2416, 0, 0, 48120, 10164, 850]

    def test_conv_formula(self) -> None:
        """The post's conv formula, with its numbers: (5·5·1+1)·6 + (5·5·6+1)·16 = 2572."""
        assert str(Conv2d(1, 6, 5).explain()) == "(5·5·1 + 1)·6 = 156"
        assert str(Conv2d(6, 16, 5).explain()) == "(5·5·6 + 1)·16 = 2,416"
        assert Conv2d(1, 6, 5).params() + Conv2d(6, 16, 5).params() == 2572

    def test_linear_formula(self) -> None:
        """The post's linear formula: IN·OUT + OUT, three layers = 59134."""
        assert str(Linear(400, 120).explain()) == "400·120 + 120 = 48,120"
        layers = [Linear(400, 120), Linear(120, 84), Linear(84, 10)]
        assert sum(layer.params() for layer in layers) == 59134

    def test_module_verbatim(self) -> None:
        """The post's Net class runs unchanged and gives 61706, with torch's names."""
        net = Net()
        assert net.params() == 61706
        assert [name for name, _ in net.named_parameters()] == [
            "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
            "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias",
        ]  # fmt: skip

    def test_shapes(self) -> None:
        """The feature maps of a 32×32 image: 6×28×28, 6×14×14, 16×10×10, 16×5×5, 400."""
        shapes = [row.output_shape for row in lenet().report((1, 32, 32)).rows]
        assert shapes == [
            (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (400,), (120,), (84,), (10,),
        ]  # fmt: skip

    def test_wrong_fc1_names_the_layer_and_the_source(self) -> None:
        """Linear(256, …) after the conv stack: the error says 400 = 16·5·5 from the flatten."""
        with pytest.raises(ShapeError) as caught:
            lenet(fc1_in=256).output_shape((1, 32, 32))
        assert str(caught.value) == (
            "5 (Linear) expects 256 input features but receives 400 = 16·5·5 from #4 (Flatten)"
        )

    def test_wrong_fc1_in_named_sequential(self) -> None:
        """With names, the error uses them."""
        net = Sequential(
            {
                "conv1": Conv2d(1, 6, 5), "pool1": MaxPool(2), "conv2": Conv2d(6, 16, 5),
                "pool2": MaxPool(2), "flatten": Flatten(), "fc1": Linear(256, 120),
            }
        )  # fmt: skip
        with pytest.raises(ShapeError, match=r"^fc1 \(Linear\) expects 256 input features "
                           r"but receives 400 = 16·5·5 from flatten \(Flatten\)$"):  # fmt: skip
            net.report((1, 32, 32))
