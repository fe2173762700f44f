"""A Hugging Face ``config.json``, read key by key, remembering which keys were read.

Every family builder reads its config through :class:`HFConfig`, so that a
key nobody read can be reported: a key that changes a tensor is either
honoured or refused, never silently ignored.

>>> config = HFConfig({"model_type": "llama", "hidden_size": 64, "rope_theta": 1e4})
>>> config.size("hidden_size"), config.option("attention_bias", False)
(64, False)
>>> sorted(config.unread())
['rope_theta']
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from paramcalc._check import MAX_INT, shown
from paramcalc.errors import ConfigError, ConfigTypeError

__all__ = ["MAX_CONFIG_BYTES", "HFConfig", "check_size", "load"]

T = TypeVar("T")

MAX_CONFIG_BYTES = 16 * 1024 * 1024
"""The largest ``config.json`` read (real ones are a few KiB; vocabularies are not configs)."""


class HFConfig:
    """The values of one config (or one of its sub-configs), with typed, tracked reads.

    ``where`` names the config in messages (``"llama config"``,
    ``"gemma3 config: text_config"``).
    """

    __slots__ = ("data", "read", "subs", "where")

    def __init__(self, data: Mapping[str, Any], where: str = "config") -> None:
        self.data = data
        self.where = where
        self.read: set[str] = {"model_type", "architectures"}
        self.subs: dict[str, HFConfig] = {}

    # -- what the config says about itself ----------------------------------------

    @property
    def model_type(self) -> str:
        """The ``model_type`` string (a ConfigError when missing or not a string)."""
        value = self.data.get("model_type")
        if not isinstance(value, str):
            raise ConfigError(f"from_hf_config: the {self.where} has no `model_type`.")
        return value

    @property
    def architecture(self) -> str | None:
        """``architectures[0]`` (the class ``AutoModel`` would build), or None."""
        value = self.data.get("architectures")
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) for item in value)
        ):
            raise ConfigError(
                f"from_hf_config: `architectures` in the {self.where} must be a list of class "
                f"names. Received: {shown(value)}."
            )
        first: str = value[0]
        return first

    def __contains__(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    # -- typed reads ------------------------------------------------------------

    def _value(self, key: str) -> Any:
        self.read.add(key)
        return self.data.get(key)

    def _fail(self, key: str, rule: str, value: object) -> ConfigError:
        return ConfigError(
            f"from_hf_config: {self.where}: `{key}` {rule}. Received: {key}={shown(value)}."
        )

    def size(self, key: str, default: int | None = None, *, minimum: int = 1) -> int:
        """An integer size (``hidden_size``); required when ``default`` is None."""
        value = self._value(key)
        if value is None:
            if default is None:
                raise ConfigError(
                    f"from_hf_config: a {self.where} needs `{key}`, which is missing."
                )
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigTypeError(
                f"from_hf_config: `{key}` in the {self.where} must be an integer. "
                f"Received: {shown(value)} ({type(value).__name__})."
            )
        if value < minimum:
            raise self._fail(key, f"must be at least {minimum}", value)
        if value > MAX_INT:
            raise self._fail(key, f"must be at most {MAX_INT:,} (torch's sizes are int64)", value)
        return value

    def option(self, key: str, default: T) -> T:
        """A value of the same type as ``default`` (bool, int, float, str), or ``default``."""
        value = self._value(key)
        if value is None:
            return default
        expected = type(default)
        ok = (
            isinstance(value, (int, float)) and not isinstance(value, bool)
            if expected is float
            else type(value) is expected
        )
        if not ok:
            raise ConfigTypeError(
                f"from_hf_config: `{key}` in the {self.where} must be a {expected.__name__}. "
                f"Received: {shown(value)} ({type(value).__name__})."
            )
        return value  # type: ignore[no-any-return]

    def maybe(self, key: str) -> Any:
        """The raw value (None when absent), marked as read: the caller checks it."""
        return self._value(key)

    def choice(self, key: str, default: T, allowed: Iterable[T]) -> T:
        """``option`` restricted to the values paramcalc builds; others are refused by name."""
        value = self.option(key, default)
        allowed = tuple(allowed)
        if value not in allowed:
            raise ConfigError(
                f"from_hf_config: `{key}`={shown(value)} in the {self.where} is not built by "
                f"paramcalc; supported: {', '.join(map(repr, allowed))}."
            )
        return value

    def sub(self, key: str, *, optional: bool = False) -> HFConfig:
        """A nested config (``text_config``, ``vision_config``) as its own HFConfig.

        Its unread keys count as this config's (``vision_config.foo``). When
        ``optional``, a missing one is empty (the sub-config class's defaults).
        """
        value = self._value(key)
        if value is None and optional:
            value = {}
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"from_hf_config: the {self.where} needs `{key}` as an object. "
                f"Received: {shown(value)}."
            )
        child = HFConfig(value, f"{self.where}: {key}")
        self.subs[key] = child
        return child

    def ignore(self, *keys: str) -> None:
        """Mark keys that change no tensor in this family (``rope_theta``, dropouts)."""
        self.read.update(keys)

    def unread(self) -> list[str]:
        """Keys present (and not null) that no builder read, sub-configs' as ``key.sub_key``."""
        read = self.read
        unread = [key for key, value in self.data.items() if key not in read and value is not None]
        for name, child in self.subs.items():
            unread += [f"{name}.{key}" for key in child.unread()]
        return unread


def check_size(name: str, size: int) -> None:
    """Refuse a config.json of over :data:`MAX_CONFIG_BYTES` bytes (a file, or the CLI's text).

    >>> check_size("config.json", 49_000_000)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: from_hf_config: 'config.json' has 49,000,000 bytes; a ...
    """
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"from_hf_config: {shown(name)} has {size:,} bytes; a config.json is "
            f"read up to {MAX_CONFIG_BYTES:,}."
        )


def load(source: str | os.PathLike[str] | Mapping[str, Any]) -> Mapping[str, Any]:
    """The parsed JSON object of a ``config.json`` path, a model folder, or a dict.

    Reads regular files only, of at most :data:`MAX_CONFIG_BYTES`.
    """
    if isinstance(source, Mapping):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigTypeError(
            "from_hf_config: give a path to a config.json or a dict. "
            f"Received: {shown(source)} ({type(source).__name__})."
        )
    import json  # loaded for files only: sizing a dict or a zoo network never parses JSON
    from pathlib import Path

    from paramcalc.jsontext import loads

    path = Path(source)
    try:
        if path.is_dir():
            path = path / "config.json"
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"from_hf_config: {shown(str(path))} is not a regular file.")
        check_size(str(path), info.st_size)
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(f"from_hf_config: cannot read {shown(str(path))}: {reason}.") from None
    try:
        data = loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"from_hf_config: {shown(str(path))} is not UTF-8 text.") from None
    except (json.JSONDecodeError, RecursionError) as error:
        raise ConfigError(
            f"from_hf_config: {shown(str(path))} is not valid JSON: {error}."
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"from_hf_config: {shown(str(path))} holds no JSON object.")
    return data
