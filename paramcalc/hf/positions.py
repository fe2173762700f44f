"""A model's positions limit: the longest sequence it is built for, declared by its builder.

The planners never guess it: :func:`declare` puts a :class:`Positions` on
the network a builder returns, and :func:`declared` reads it back (None when
the builder declared none). :func:`from_config` derives it from a Hugging
Face ``config.json`` as vLLM does (``_get_and_verify_max_len`` in
``vllm/config.py``, github.com/vllm-project/vllm commit 2ac6d0e): the
smallest of ``max_position_embeddings``, ``n_positions``, ``max_seq_len``,
``seq_length``, ``model_max_length``, ``max_sequence_length``,
``max_seq_length`` and ``seq_len``; then, unless the RoPE scaling type is
``su``, ``longrope`` or ``llama3`` (whose configs already state the
extended length), times the scaling ``factor`` — of
``original_max_position_embeddings`` for ``yarn``.

>>> from_config({"max_position_embeddings": 32768,
...              "rope_scaling": {"type": "yarn", "factor": 4.0,
...                               "original_max_position_embeddings": 32768}}).limit
131072
>>> from_config({"n_positions": 1024}).limit
1024
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from paramcalc.layer import Layer

__all__ = ["KEYS", "Positions", "declare", "declared", "from_config"]

KEYS = (
    "max_position_embeddings",
    "n_positions",
    "max_seq_len",
    "seq_length",
    "model_max_length",
    "max_sequence_length",
    "max_seq_length",
    "seq_len",
)
"""The config keys vLLM reads for the maximum length, in its order (the smallest wins)."""

_STATED = ("su", "longrope", "llama3")
"""RoPE scaling types whose ``max_position_embeddings`` is already the extended length."""

_ATTRIBUTE = "positions_limit"
_Net = TypeVar("_Net", bound=Layer)


@dataclass(frozen=True)
class Positions:
    """The longest sequence a model takes (``limit`` tokens) and where that comes from."""

    limit: int
    source: str


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value or value in (float("inf"), float("-inf")) or value < 1:
        return None
    return int(value)


def from_config(config: Mapping[str, object]) -> Positions | None:
    """The positions limit a ``config.json`` states, RoPE scaling applied (None: it states none)."""
    found: tuple[int, str] | None = None
    for key in KEYS:
        value = _count(config.get(key))
        if value is not None and (found is None or value < found[0]):
            found = (value, key)
    if found is None:
        text = config.get("text_config")  # a multimodal model: its language model's (vLLM too)
        return from_config(text) if isinstance(text, Mapping) and text is not config else None
    limit, key = found
    source = f"{key} {limit:,}"
    scaling = config.get("rope_scaling") or config.get("rope_parameters")
    if isinstance(scaling, Mapping):
        kind = scaling.get("rope_type", scaling.get("type", "default"))
        factor = scaling.get("factor", 1.0)
        if kind not in _STATED and isinstance(factor, (int, float)) and factor > 1:
            base = limit
            if kind == "yarn":
                original = _count(scaling.get("original_max_position_embeddings"))
                base = original if original is not None else limit
                source = f"original_max_position_embeddings {base:,}"
            scaled = _count(base * factor)
            if scaled is not None:
                limit = scaled
                source = f"{key}: {source} × {kind} factor {factor:g}"
    return Positions(limit, source)


def declare(network: _Net, positions: Positions | None) -> _Net:
    """``network`` carrying ``positions`` (as a declared dimension; None leaves it bare)."""
    if positions is not None:
        object.__setattr__(network, _ATTRIBUTE, positions)
    return network


def declared(network: Layer) -> Positions | None:
    """The positions limit ``network``'s builder declared, or None.

    >>> from paramcalc.zoo.language import gpt2
    >>> declared(gpt2())
    Positions(limit=1024, source='n_positions 1,024')
    """
    value = getattr(network, _ATTRIBUTE, None)
    return value if isinstance(value, Positions) else None
