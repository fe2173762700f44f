"""Bad arguments raise at construction, naming the layer, argument, rule and value."""

from __future__ import annotations

from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ConfigTypeError


class TestMessages:
    @pytest.mark.parametrize(
        ("name", "args", "kwargs", "error", "message"),
        [
            ("Conv2d", (30, 8, 3), {"groups": 4}, ConfigError,
             "Conv2d: `in_channels` must be divisible by `groups`. "
             "Received: in_channels=30, groups=4."),
            ("Conv2d", (4, 6, 3), {"groups": 4}, ConfigError,
             "Conv2d: `out_channels` must be divisible by `groups`. "
             "Received: out_channels=6, groups=4."),
            ("Conv2d", (0, 6, 3), {}, ConfigError,
             "Conv2d: `in_channels` must be at least 1. Received: in_channels=0."),
            ("Conv2d", (1, 6, 3.0), {}, ConfigTypeError,
             "Conv2d: `kernel_size` must be an int. Received: kernel_size=3.0 (float)."),
            ("Conv2d", (True, 6, 3), {}, ConfigTypeError,
             "Conv2d: `in_channels` must be an int. Received: in_channels=True (bool)."),
            ("Conv2d", (1, 6, 3), {"padding": "full"}, ConfigError,
             "Conv2d: `padding` must be one of 'same', 'valid'. Received: padding='full'."),
            ("Conv2d", (1, 6, 3), {"padding": "same", "stride": 2}, ConfigError,
             "Conv2d: `padding='same'` is not supported for strided convolutions. "
             "Received: padding='same', stride=(2, 2)."),
            ("Conv1d", (1, 6, 3), {"padding_mode": "mirror"}, ConfigError,
             "Conv1d: `padding_mode` must be one of 'zeros', 'reflect', 'replicate', "
             "'circular'. Received: padding_mode='mirror'."),
            ("Conv2d", (1, 6, (3, 3, 3)), {}, ConfigError,
             "Conv2d: `kernel_size` must be an int or a tuple of 2 ints. "
             "Received: kernel_size=(3, 3, 3)."),
            ("Conv2d", (1, 6, 3), {"stride": -1}, ConfigError,
             "Conv2d: `stride` must be at least 1. Received: stride=-1."),
            ("Conv2d", (1, 6, 3), {"bias": 1}, ConfigTypeError,
             "Conv2d: `bias` must be a bool. Received: bias=1 (int)."),
            ("Linear", (-3, 5), {}, ConfigError,
             "Linear: `in_features` must be at least 1. Received: in_features=-3."),
            ("Linear", ("400", 5), {}, ConfigTypeError,
             "Linear: `in_features` must be an int. Received: in_features='400' (str)."),
            ("MaxPool2d", (3,), {"padding": 2}, ConfigError,
             "MaxPool2d: `padding` must be at most half of `kernel_size`. "
             "Received: padding=2, kernel_size=3."),
            ("MaxPool1d", (0,), {}, ConfigError,
             "MaxPool1d: `kernel_size` must be at least 1. Received: kernel_size=0."),
            ("Dropout", (1.5,), {}, ConfigError,
             "Dropout: `p` must be between 0 and 1. Received: p=1.5."),
            ("Flatten", (0,), {}, ConfigError, "Flatten: dim 0 is the batch dimension"),
            ("Linear", (3, 4), {"trainable": "no"}, ConfigTypeError,
             "Linear: `trainable` must be a bool. Received: trainable='no' (str)."),
        ],
    )  # fmt: skip
    def test_message(
        self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
        error: type[Exception], message: str,
    ) -> None:  # fmt: skip
        """The message names layer, argument, rule and received value."""
        with pytest.raises(error) as caught:
            getattr(pc, name)(*args, **kwargs)
        assert str(caught.value).startswith(message)

    def test_errors_are_value_errors(self) -> None:
        """ConfigError is a ValueError; the type variant is a TypeError too."""
        assert issubclass(ConfigError, ValueError)
        assert issubclass(ConfigTypeError, TypeError)
        assert issubclass(pc.ShapeError, pc.ParamcalcError)


class TestNormalization:
    def test_ints_expand_like_torch(self) -> None:
        """kernel_size=5 becomes (5, 5), as torch's _pair does."""
        conv = pc.Conv2d(1, 6, 5)
        assert conv.kernel_size == (5, 5)
        assert conv.stride == (1, 1)
        assert conv.padding == (0, 0)

    def test_equal_layers_compare_equal_and_hash(self) -> None:
        """Frozen dataclasses: value equality, hashable."""
        assert pc.Conv2d(1, 6, 5) == pc.Conv2d(1, 6, (5, 5))
        assert len({pc.Linear(2, 3), pc.Linear(2, 3)}) == 1

    def test_immutable(self) -> None:
        """Layers cannot be changed after construction."""
        conv = pc.Conv2d(1, 6, 5)
        with pytest.raises(AttributeError):
            conv.out_channels = 7  # type: ignore[misc]

    def test_repr_reads_like_the_constructor(self) -> None:
        """repr() shows required arguments and the defaults that changed."""
        assert repr(pc.Conv2d(1, 6, 5)) == "Conv2d(1, 6, 5)"
        assert repr(pc.Conv2d(1, 6, (3, 5), stride=2)) == "Conv2d(1, 6, (3, 5), stride=2)"
        assert repr(pc.Linear(4, 2, bias=False)) == "Linear(4, 2, bias=False)"
        assert repr(pc.MaxPool2d(2)) == "MaxPool2d(2)"
        assert repr(pc.Linear(4, 2).freeze()) == "Linear(4, 2, trainable=False)"
