"""JSON text read with bounded integers: one reader for reports and config.json files.

``json.loads`` turns a run of digits into an int, and Python refuses ints of
over 4,300 digits with a bare ValueError (converting more would take time
quadratic in their length). :func:`loads` refuses them first, as a
:class:`~paramcalc.ConfigError` that gives their length, never their digits:

>>> loads('{"n_layer": 12}')
{'n_layer': 12}
>>> loads('{"n_layer": ' + "9" * 5000 + "}")
Traceback (most recent call last):
...
paramcalc.errors.ConfigError: JSON: an integer of 5,000 digits; paramcalc reads integers of ...
"""

from __future__ import annotations

import json
from typing import Any

from paramcalc.errors import ConfigError

__all__ = ["MAX_DIGITS", "loads"]

MAX_DIGITS = 4_300
"""The longest integer read, in digits (Python's own limit for ``int(str)``)."""


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``, refusing integers of over :data:`MAX_DIGITS` digits."""
    return json.loads(text, parse_int=_integer)


def _integer(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_DIGITS:
        raise ConfigError(
            f"JSON: an integer of {digits:,} digits; paramcalc reads integers of up to "
            f"{MAX_DIGITS:,} digits (its sizes and counts are int64)."
        )
    return int(text)
