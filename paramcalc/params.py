"""Raw learnable tensors: ``Parameter``, ``ParameterList`` and ``ParameterDict``.

A :class:`Parameter` is a tensor a module owns directly, outside any layer:
ViT's class token and position embedding, ConvNeXt's layer scale, a learnable
temperature. Assigned in a :class:`~paramcalc.Module`, it is named by its
attribute, and listed before the sub-modules' tensors, exactly as torch does:

>>> import paramcalc as nn
>>> class Stem(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.patch_embed = nn.Conv2d(3, 768, 16, stride=16)
...         self.cls_token = nn.Parameter((1, 1, 768))
>>> [name for name, _ in Stem().named_parameters()]
['cls_token', 'patch_embed.weight', 'patch_embed.bias']
>>> Stem().output_shape((3, 224, 224))  # a Parameter leaves shapes alone
(768, 14, 14)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, cast

from paramcalc import _check
from paramcalc._check import shown
from paramcalc._repr import indent as _indent
from paramcalc.errors import ConfigError, ConfigTypeError
from paramcalc.layer import Composite, Layer
from paramcalc.shapes import Shape

if TYPE_CHECKING:
    from paramcalc.formula import Formula


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Parameter(Layer):
    """A learnable tensor of ``shape``; mirrors ``torch.nn.Parameter``.

    paramcalc holds no data, so the tensor is given by its shape (an int or
    a tuple of ints, ``()`` for a scalar). ``requires_grad=False`` is torch's
    way of freezing it, the same as ``trainable=False`` or :meth:`freeze`.
    Its one tensor has the empty name, so a container names it by its path.

    >>> token = Parameter((1, 1, 768))
    >>> token.params(), Parameter(5, requires_grad=False).trainable_params()
    (768, 0)
    >>> token, token.freeze().requires_grad
    (Parameter((1, 1, 768)), False)
    """

    bare_tensor: ClassVar[bool] = True

    shape: tuple[int, ...]

    def __init__(
        self, shape: int | Sequence[int], requires_grad: bool = True, *, trainable: bool = True
    ) -> None:
        object.__setattr__(self, "trainable", trainable)
        super().__post_init__()
        _check.boolean("Parameter", "requires_grad", requires_grad)
        if isinstance(shape, int) and not isinstance(shape, bool):
            sizes: tuple[object, ...] = (shape,)
        elif isinstance(shape, Sequence) and not isinstance(shape, str):
            sizes = tuple(shape)
        else:
            raise ConfigTypeError(
                f"Parameter: `shape` must be an int or a tuple of ints. "
                f"Received: shape={shown(shape)}."
            )
        for size in sizes:
            _check.non_negative("Parameter", "shape", size)
        object.__setattr__(self, "shape", sizes)
        object.__setattr__(self, "trainable", trainable and requires_grad)

    @property
    def requires_grad(self) -> bool:
        """Torch's name for :attr:`trainable`."""
        return self.trainable

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (("", self.shape),)

    def formula(self) -> Formula:
        """``1·1·768 = 768``; a scalar is ``1``."""
        from paramcalc.formula import Formula, num, product

        if not self.shape:
            return Formula(num(1))
        return Formula(product(*(num(size) for size in self.shape)))

    def __repr__(self) -> str:
        frozen = "" if self.trainable else ", requires_grad=False"
        return f"Parameter({self.shape!r}{frozen})"


def _check_parameter(container: str, name: str, value: object) -> tuple[str, Layer]:
    if not isinstance(value, Parameter):
        raise ConfigTypeError(
            f"{container}: `{name}` must be a paramcalc Parameter. "
            f"Received: {name}={shown(value)} ({type(value).__name__})."
        )
    if not name or "." in name:
        raise ConfigError(
            f"{container}: a parameter name must be non-empty and contain no '.'. "
            f"Received: {shown(name)}."
        )
    return name, value


@dataclass(frozen=True, init=False, repr=False, eq=False)
class _ParameterContainer(Composite):
    """Named parameters, no forward: shapes pass through unchanged."""

    entries: tuple[tuple[str, Layer], ...] = field(default=())

    def children(self) -> Iterator[tuple[str, Layer]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        kind = type(self).__name__
        lines = "".join(f"\n  ({name}): {_indent(repr(value))}" for name, value in self.entries)
        return f"{kind}({lines}\n)" if lines else f"{kind}()"


@dataclass(frozen=True, init=False, repr=False, eq=False)
class ParameterList(_ParameterContainer):
    """A list of parameters named ``"0"``, ``"1"``, …; mirrors ``torch.nn.ParameterList``.

    >>> scales = ParameterList([Parameter(64), Parameter((1, 128))])
    >>> list(scales.named_parameters()), scales.params()
    ([('0', (64,)), ('1', (1, 128))], 192)
    """

    def __init__(self, values: Iterable[Parameter] | None = None) -> None:
        if values is None:
            values = ()
        if isinstance(values, Layer) or not isinstance(values, Iterable):
            raise ConfigTypeError(
                f"ParameterList: `values` must be an iterable of Parameters. "
                f"Received: {shown(values)}."
            )
        entries = tuple(
            _check_parameter("ParameterList", str(index), value)
            for index, value in enumerate(values)
        )
        object.__setattr__(self, "entries", entries)

    def rebuild(self, children: list[Layer]) -> ParameterList:
        return ParameterList(cast(list[Parameter], children))

    def __iter__(self) -> Iterator[Parameter]:
        return (cast(Parameter, value) for _, value in self.entries)

    def __getitem__(self, index: int) -> Parameter:
        return cast(Parameter, self.entries[index][1])


@dataclass(frozen=True, init=False, repr=False, eq=False)
class ParameterDict(_ParameterContainer):
    """Parameters by name; mirrors ``torch.nn.ParameterDict``.

    As torch: a plain mapping is taken in sorted key order, an ``OrderedDict``
    (or another ``ParameterDict``) and an iterable of pairs in their own
    order; a repeated key replaces the earlier value in its place.

    >>> table = ParameterDict({"scale": Parameter(8), "bias": Parameter(8)})
    >>> [name for name, _ in table.named_parameters()]
    ['bias', 'scale']
    """

    def __init__(
        self,
        parameters: Mapping[str, Parameter] | Iterable[tuple[str, Parameter]] | None = None,
    ) -> None:
        if parameters is None:
            parameters = {}
        if isinstance(parameters, Layer) and not isinstance(parameters, ParameterDict):
            raise ConfigTypeError(
                "ParameterDict: `parameters` must be a mapping or an iterable of "
                f"(name, Parameter) pairs. Received: {shown(parameters)}."
            )
        pairs: Iterable[object]
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = parameters.items()
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        elif isinstance(parameters, Iterable):
            pairs = parameters
        else:
            raise ConfigTypeError(
                "ParameterDict: `parameters` must be a mapping or an iterable of "
                f"(name, Parameter) pairs. Received: {shown(parameters)}."
            )
        merged: dict[str, Layer] = {}
        for index, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ConfigTypeError(
                    f"ParameterDict: element #{index} must be a (name, Parameter) pair. "
                    f"Received: {shown(pair)}."
                )
            if not isinstance(pair[0], str):
                raise ConfigTypeError(
                    f"ParameterDict: parameter names must be str. Received: {shown(pair[0])}."
                )
            name, value = _check_parameter("ParameterDict", pair[0], pair[1])
            merged[name] = value
        object.__setattr__(self, "entries", tuple(merged.items()))

    def rebuild(self, children: list[Layer]) -> ParameterDict:
        return ParameterDict(
            [
                (name, cast(Parameter, child))
                for (name, _), child in zip(self.entries, children, strict=True)
            ]
        )

    def __iter__(self) -> Iterator[str]:
        """The keys, in order."""
        return (name for name, _ in self.entries)

    def __getitem__(self, key: str) -> Parameter:
        for name, value in self.entries:
            if name == key:
                return cast(Parameter, value)
        raise KeyError(key)

    def items(self) -> list[tuple[str, Parameter]]:
        """``(name, Parameter)`` pairs, in order."""
        return [(name, cast(Parameter, value)) for name, value in self.entries]
