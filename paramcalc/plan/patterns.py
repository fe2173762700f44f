r"""Regular expressions from users, checked and bounded; names from users, escaped.

PEFT matches some options as regular expressions on module paths
(``target_modules`` or ``exclude_modules`` given as a str, the keys of
``rank_pattern`` and ``alpha_pattern``) and pastes others into one
(``modules_to_save``, which is a list of module names). paramcalc escapes
every name (:func:`literal`) and takes a user's own regex only through
:func:`user_regex`, which refuses, with a :class:`~paramcalc.ConfigError`
naming the argument, a pattern that does not compile or whose matching time
could grow faster than the path it is matched against:

- longer than :data:`MAX_LENGTH` characters;
- a repetition count over :data:`MAX_COUNT` (``a{99999999999}``);
- a repetition inside a repetition, or alternatives (``a|b``) inside one:
  ``(\w*)*Z`` takes exponential time on a path that does not match;
- more than :data:`MAX_LOOPS` repetitions (``.*.*.*.*.*Z`` is polynomial
  with the path's length to that power) or :data:`MAX_OPTIONAL` optional parts;
- back-references, whose matching is not bounded either.

>>> user_regex("lora", "target_modules", r".*\.(q_proj|v_proj)").fullmatch("model.layers.0.q_proj")
<re.Match object; span=(0, 21), match='model.layers.0.q_proj'>
>>> user_regex("lora", "exclude_modules", r"(\w*)*Z")
Traceback (most recent call last):
...
paramcalc.errors.ConfigError: lora: `exclude_modules` must be a regular expression without ...
>>> literal("lm_head.(x)")
'lm_head\\.\\(x\\)'
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from paramcalc._check import shown
from paramcalc.errors import ConfigError, ConfigTypeError

__all__ = ["MAX_COUNT", "MAX_LENGTH", "MAX_LOOPS", "MAX_OPTIONAL", "literal", "user_regex"]

MAX_LENGTH = 1_000
"""The longest regular expression taken, in characters."""

MAX_COUNT = 1_000
"""The largest repetition count (``{m,n}``) taken."""

MAX_LOOPS = 4
"""The most repetitions of variable length (``*``, ``+``, ``{2,5}``) in one pattern."""

MAX_OPTIONAL = 8
"""The most optional parts (``?``, ``{0,1}``) in one pattern."""

_sre: Any = getattr(re, "_parser", None)  # the stdlib's parser (``sre_parse`` before 3.11)
if _sre is None:  # pragma: no cover - Python 3.10
    import sre_parse as _sre

_c: Any = getattr(re, "_constants", None) or _sre
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}


def literal(name: str) -> str:
    """``name`` as a regular expression matching exactly that text."""
    return re.escape(name)


def user_regex(owner: str, argument: str, pattern: object, *, wrap: str = "{}") -> re.Pattern[str]:
    r"""``pattern`` compiled, after checking that matching it costs time linear in the path.

    ``wrap`` is the expression the caller puts around it (PEFT's
    ``(.*\.)?({})$`` for ``rank_pattern``); its parts count too.
    """
    if not isinstance(pattern, str):
        raise ConfigTypeError(
            f"{owner}: `{argument}` must be a str. Received: {shown(pattern)} "
            f"({type(pattern).__name__})."
        )
    received = f"Received: {argument}={shown(pattern)}."
    if len(pattern) > MAX_LENGTH:
        raise ConfigError(
            f"{owner}: `{argument}` must be a regular expression of at most {MAX_LENGTH:,} "
            f"characters. Received: {argument}, a str of {len(pattern):,} characters."
        )
    whole = wrap.replace("{}", pattern)
    try:
        with warnings.catch_warnings():  # "possible nested set": a future meaning, not an error
            warnings.simplefilter("ignore", FutureWarning)
            parsed = _sre.parse(whole)
            compiled = re.compile(whole)
    except (re.error, OverflowError, RecursionError) as error:
        reason = error.msg if isinstance(error, re.error) else str(error)
        raise ConfigError(
            f"{owner}: `{argument}` is not a valid regular expression ({reason}). {received}"
        ) from None
    tally = {"loops": 0, "optional": 0}
    problem = _unbounded(parsed, inside=False, tally=tally)
    if problem is None and tally["loops"] > MAX_LOOPS:
        problem = f"more than {MAX_LOOPS} repetitions of variable length"
    if problem is None and tally["optional"] > MAX_OPTIONAL:
        problem = f"more than {MAX_OPTIONAL} optional parts"
    if problem is not None:
        raise ConfigError(
            f"{owner}: `{argument}` must be a regular expression without {problem} "
            f"(its matching time could grow without bound). {received}"
        )
    return compiled


def _unbounded(items: Any, *, inside: bool, tally: dict[str, int]) -> str | None:
    """What makes the parsed ``items`` costly, or None (``inside``: within a repetition)."""
    for op, value in items:
        found: str | None = None
        if op in _REPEATS:
            low, high, body = value
            unbounded = high == _c.MAXREPEAT
            if low > MAX_COUNT or (not unbounded and high > MAX_COUNT):
                return f"a repetition count over {MAX_COUNT:,}"
            if inside and (low != high or high > 1):
                return "a repetition inside a repetition"
            if low != high:
                tally["loops" if high > 1 else "optional"] += 1
            found = _unbounded(body, inside=inside or high > 1, tally=tally)
        elif op is _c.BRANCH:
            if inside:
                return "alternatives (|) inside a repetition"
            for branch in value[1]:
                found = found or _unbounded(branch, inside=inside, tally=tally)
        elif op is _c.SUBPATTERN:
            found = _unbounded(value[-1], inside=inside, tally=tally)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            found = _unbounded(value[1], inside=inside, tally=tally)
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            found = _unbounded(value, inside=inside, tally=tally)
        elif op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            return "back-references"
        if found is not None:
            return found
    return None
