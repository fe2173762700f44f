"""Shape errors name the layer's path, its type, what it expected and what it received."""

from __future__ import annotations

import pytest

import paramcalc as pc
from paramcalc import Layer, ShapeError

CASES: list[tuple[Layer, tuple[int, ...], str]] = [
    (
        pc.Conv2d(3, 8, 3),
        (3, 32),
        r"^Conv2d expects a per-sample input of rank 3 \(C, H, W\) but receives rank 2: \(3, 32\)$",
    ),
    (
        pc.Conv1d(3, 8, 3),
        (3, 8, 8),
        r"^Conv1d expects a per-sample input of rank 2 \(C, L\) but receives rank 3",
    ),
    (
        pc.Conv3d(3, 8, 3),
        (3, 8, 8),
        r"^Conv3d expects a per-sample input of rank 4 \(C, D, H, W\) but receives rank 3",
    ),
    (
        pc.Conv2d(3, 8, 3),
        (4, 32, 32),
        r"^Conv2d expects 3 input channels but receives 4 \(input shape \(4, 32, 32\)\)$",
    ),
    (
        pc.Conv2d(1, 6, 5),
        (1, 3, 32),
        r"^Conv2d receives an input too small for its kernel_size=\(5, 5\): spatial dimension 0 "
        r"has size 3 but the window spans 5 \(input shape \(1, 3, 32\)\)$",
    ),
    (
        pc.Conv1d(1, 1, 3, dilation=4, padding=1),
        (1, 6),
        r"spatial dimension 0 has size 6 \(8 with padding\) but the window spans 9",
    ),
    (
        pc.Conv2d(1, 1, 3, padding=2, padding_mode="reflect"),
        (1, 2, 9),
        r"^Conv2d with padding_mode='reflect' needs a padding smaller than the input size: "
        r"spatial dimension 0 has size 2 but padding 2 \(input shape \(1, 2, 9\)\)$",
    ),
    (
        pc.Conv1d(1, 1, 5, padding="same", padding_mode="reflect"),
        (1, 2),
        r"padding_mode='reflect' needs a padding smaller than the input size: "
        r"spatial dimension 0 has size 2 but padding 2",
    ),
    (
        pc.Conv1d(1, 1, 3, padding=3, padding_mode="circular"),
        (1, 2),
        r"padding_mode='circular' needs a padding at most the input size: "
        r"spatial dimension 0 has size 2 but padding 3",
    ),
    (
        pc.MaxPool2d(3),
        (2, 2, 8),
        r"^MaxPool2d receives an input too small for its kernel_size=3: spatial dimension 0 "
        r"has size 2 but the window spans 3 \(input shape \(2, 2, 8\)\)$",
    ),
    (  # (4,) is torch's unbatched (C, L) on a batch of one: accepted, as torch does
        pc.MaxPool1d(2),
        (1, 2, 4),
        r"^MaxPool1d expects a per-sample input of rank 2 \(C, L\) or 1 \(L\) "
        r"but receives rank 3: \(1, 2, 4\)$",
    ),
    (
        pc.MaxPool3d(3, padding=1, dilation=3),
        (1, 4, 9, 9),
        r"spatial dimension 0 has size 4 \(6 with padding\) but the window spans 7",
    ),
    (
        pc.Linear(400, 120),
        (256,),
        r"^Linear expects 400 input features but receives 256$",
    ),
    (
        pc.Linear(3, 4),
        (),
        r"^Linear expects a per-sample input of rank at least 1 \(\.\.\., 3\) but receives rank 0",
    ),
    (
        pc.Flatten(3),
        (4, 5),
        r"^Flatten has start_dim=3, end_dim=-1, out of range for a per-sample input of rank 2",
    ),
    (
        pc.Flatten(2, 1),
        (4, 5, 6),
        r"^Flatten has start_dim=2 after end_dim=1 for input shape \(4, 5, 6\)$",
    ),
]


@pytest.mark.parametrize(("layer", "shape", "message"), CASES)
def test_message(layer: Layer, shape: tuple[int, ...], message: str) -> None:
    """The message names the layer, the rule and the sizes involved."""
    with pytest.raises(ShapeError, match=message):
        layer.output_shape(shape)


@pytest.mark.parametrize(("layer", "shape", "message"), CASES)
def test_no_negative_sizes(layer: Layer, shape: tuple[int, ...], message: str) -> None:
    """A too-small input is reported as such, never as a zero or negative output size."""
    with pytest.raises(ShapeError) as caught:
        layer.output_shape(shape)
    assert "output of size" not in str(caught.value)
    assert " -" not in str(caught.value)


def test_path_and_provenance_in_a_network() -> None:
    """Inside a network the error names the path, the type and where the input came from."""
    net = pc.Sequential(
        {
            "features": pc.Sequential(pc.Conv2d(1, 6, 5), pc.MaxPool(2), pc.Conv2d(6, 16, 5)),
            "pool": pc.MaxPool(2),
            "flatten": pc.Flatten(),
            "fc1": pc.Linear(256, 120),
        }
    )
    message = (
        r"^fc1 \(Linear\) expects 256 input features but receives 400 = 16·5·5 "
        r"from flatten \(Flatten\)$"
    )
    with pytest.raises(ShapeError, match=message) as caught:
        net.output_shape((1, 32, 32))
    assert (caught.value.path, caught.value.kind, caught.value.received) == ("fc1", "Linear", 400)


def test_too_small_deep_in_a_network() -> None:
    """A window too big for a shrunken map names the layer path and the previous layer."""
    net = pc.Sequential(pc.Conv2d(1, 4, 3), pc.MaxPool(2), pc.Conv2d(4, 4, 5))
    message = (
        r"^2 \(Conv2d\) receives an input too small for its kernel_size=\(5, 5\): spatial "
        r"dimension 0 has size 3 but the window spans 5 \(input shape \(4, 3, 3\)\) "
        r"from #1 \(MaxPool2d\)$"
    )
    with pytest.raises(ShapeError, match=message):
        net.output_shape((1, 8, 8))


def test_report_and_memory_raise_the_same() -> None:
    """report() and memory() raise the walk's located error, not a bare one."""
    net = pc.Sequential(pc.Flatten(), pc.Linear(10, 2))
    for call in (net.report, net.memory, net.macs, net.elementwise_flops):
        with pytest.raises(ShapeError, match=r"^1 \(Linear\) expects 10 input features"):
            call((3, 4))


@pytest.mark.parametrize("layer", [pc.ReLU(), pc.Dropout(), pc.Identity()])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4, 5, 6)])
def test_elementwise_layers_take_any_shape(layer: Layer, shape: tuple[int, ...]) -> None:
    """ReLU, Dropout and Identity accept any rank, as torch's do."""
    assert layer.output_shape(shape) == shape
