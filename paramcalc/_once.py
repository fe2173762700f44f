"""``once``: a cached property for immutable objects, without a lock.

>>> class Square:
...     def __init__(self, side: int) -> None:
...         self.side = side
...     @once
...     def area(self) -> int:
...         return self.side * self.side
>>> Square(3).area
9
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["once"]

if TYPE_CHECKING:
    from functools import cached_property as once
else:

    class once:  # noqa: N801 - a decorator, named like one
        """``functools.cached_property`` without its lock (Python < 3.12 takes one per call).

        Layers are immutable, so two threads computing a count at once get
        equal values; the first-access cost is what ``params()`` pays per layer.
        """

        __slots__ = ("function", "name")

        def __init__(self, function):
            self.function = function
            self.name = function.__name__

        def __set_name__(self, owner, name):
            self.name = name

        def __get__(self, instance, owner=None):
            if instance is None:
                return self
            value = instance.__dict__[self.name] = self.function(instance)
            return value
