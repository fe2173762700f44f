"""The exceptions paramcalc raises.

Every error is a :class:`ParamcalcError`, itself a :class:`ValueError`, so
``except ValueError`` keeps working for callers that do not know paramcalc:

>>> from paramcalc import Conv2d, ConfigError
>>> try:
...     Conv2d(30, 8, 3, groups=4)
... except ConfigError as error:
...     print(error)
Conv2d: `in_channels` must be divisible by `groups`. Received: in_channels=30, groups=4.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConfigTypeError",
    "ParamcalcError",
    "ParamcalcWarning",
    "ShapeError",
    "SpecError",
]


class ParamcalcError(ValueError):
    """Base class of every error paramcalc raises."""


class ConfigError(ParamcalcError):
    """A layer was constructed with an argument PyTorch would reject."""


class ConfigTypeError(ConfigError, TypeError):
    """An argument has the wrong type (a float or bool where an int belongs).

    It is both a :class:`ConfigError` and a :class:`TypeError`, so either
    ``except`` clause catches it.
    """


class ShapeError(ParamcalcError):
    """An input shape does not fit a layer.

    Attributes:
        path: the dotted path of the layer in the model (``""`` for the root).
        kind: the layer's type name, e.g. ``"Linear"``.
        detail: what the layer expected and what it received.
        received: the offending size, when the detail ends with it (the walk
            then shows how it arose, e.g. ``400 = 16·5·5`` after a flatten).

    """

    def __init__(
        self, detail: str, *, path: str = "", kind: str = "", received: int | None = None
    ) -> None:
        self.detail = detail
        self.path = path
        self.kind = kind
        self.received = received
        where = f"{path} ({kind})" if path else kind
        super().__init__(f"{where} {detail}" if where else detail)


class SpecError(ConfigError):
    """A model given as text (a spec, ``print(model)`` output) cannot be read.

    Attributes:
        message: what is wrong, without the position.
        line: 1-based line of the problem in the text.
        column: 1-based column of the problem in the text.
        source: the text of that line (for a caret under the column), or ``""``.

    """

    def __init__(self, message: str, *, line: int = 1, column: int = 1, source: str = "") -> None:
        self.message = message
        self.line = line
        self.column = column
        self.source = source
        super().__init__(f"line {line}, column {column}: {message}")


class ParamcalcWarning(UserWarning):
    """A figure paramcalc gives may be off: the message names what is uncertain and by how much.

    Shown only when something specific is in doubt (an unknown config key, a
    printed class whose tensors the text does not show), never on every input.
    """
