"""LoRA adapters exactly as PEFT 0.21.2's ``get_peft_model(model, LoraConfig(...))`` adds them.

:func:`lora` takes a network and ``LoraConfig``'s keyword arguments and
returns the adapted network: PEFT's parameter names, shapes, order and
``requires_grad`` flags, so ``trainable_params()`` and ``params()`` are the two
figures of PEFT's ``print_trainable_parameters()``. The rules are read from
``peft/tuners/tuners_utils.py`` (``check_target_module_exists``,
``_maybe_include_all_linear_layers``, ``_mark_only_adapters_as_trainable``),
``peft/utils/other.py`` (``_set_trainable``, ``get_pattern_key``) and
``peft/tuners/lora/layer.py`` (``update_layer``); ``docs/fine-tuning.md`` states them.

>>> from paramcalc.zoo.language import llama
>>> base = llama(vocab_size=128256, hidden_size=4096, intermediate_size=14336,
...              num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8)
>>> peft = lora(base, r=8, target_modules=["q_proj", "v_proj"])   # Llama-3.1-8B
>>> peft.trainable_params(), peft.params()
(3407872, 8033669120)
>>> next(name for name, _ in peft.named_parameters() if "lora_A" in name)
'base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight'
"""

from __future__ import annotations

import bisect
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from paramcalc import _check
from paramcalc._check import shown
from paramcalc.errors import ConfigError, ConfigTypeError, ParamcalcWarning
from paramcalc.graph import Repeat, Tied
from paramcalc.hf.positions import declare, declared
from paramcalc.layer import Composite, Layer
from paramcalc.layers.embedding import Embedding
from paramcalc.plan.adapters import (
    Copies,
    LoraEmbedding,
    LoraLinear,
    LoraModel,
    ModulesToSaveWrapper,
    PartlyTrainable,
    PeftModel,
    features,
    restack,
    retrain,
    stack_runs,
)
from paramcalc.plan.patterns import literal, user_regex
from paramcalc.zoo._common import Net

__all__ = ["LoraSettings", "lora", "output_embeddings"]

_BIAS = ("none", "all", "lora_only")


@dataclass(frozen=True)
class LoraSettings:
    """The options of a :func:`lora` call, resolved (``target_modules`` as given)."""

    r: int
    lora_alpha: float
    target_modules: tuple[str, ...] | str
    bias: str
    use_dora: bool
    use_rslora: bool
    lora_bias: bool
    modules_to_save: tuple[str, ...]
    exclude_modules: tuple[str, ...] | str
    rank_pattern: tuple[tuple[str, int], ...]
    alpha_pattern: tuple[tuple[str, float], ...]
    layers_to_transform: frozenset[int] | None


def output_embeddings(net: Layer) -> str | None:
    """The path of the network's output layer, as ``get_output_embeddings()`` finds it.

    A ``transformers`` model (a builder's :class:`~paramcalc.zoo._common.Net`)
    declares it; any other network has none, as PEFT looks only at a
    ``PreTrainedModel``'s.

    >>> from paramcalc.hf import from_hf_config
    >>> output_embeddings(from_hf_config("tests/fixtures/hf/whisper-tiny.json"))
    'proj_out'
    """
    return net.output_embeddings() if isinstance(net, Net) else None


class _Rules:
    """The matching rules of one config, evaluated on module paths (``model.layers.0.mlp``)."""

    def __init__(self, settings: LoraSettings, all_linear: bool, output: str | None) -> None:
        self.s = settings
        self.all_linear = all_linear
        self.output = output
        self.saved = [
            re.compile(rf"(^|.*\.){literal(m)}($|\..*)") for m in settings.modules_to_save
        ]

    def saved_match(self, key: str) -> bool:
        """``_set_trainable``'s plain ``key.endswith(name)``: "norm" takes "input_layernorm"."""
        return any(key.endswith(name) for name in self.s.modules_to_save)

    def target(self, key: str, node: Layer) -> str:
        """Decide module ``key``: lora, excluded or nothing (``check_target_module_exists``)."""
        s = self.s
        excluded = s.exclude_modules
        if isinstance(excluded, str):
            if re.fullmatch(excluded, key):
                return "excluded"
        elif key in excluded or any(key.endswith(f".{e}") for e in excluded):
            return "excluded"
        if any(pattern.match(key) for pattern in self.saved):
            return "excluded"
        if self.all_linear:  # every Linear/Conv1D but the output layer
            found = features(node) is not None and key != self.output
        elif isinstance(s.target_modules, str):
            found = re.fullmatch(s.target_modules, key) is not None
        elif key in s.target_modules:
            found = True
        else:
            found = any(key.endswith(f".{t}") for t in s.target_modules)
            if found and s.layers_to_transform is not None:
                index = re.match(r".*?\.[^.]*\.(?P<idx>\d+)\.", key)
                found = index is not None and int(index.group("idx")) in s.layers_to_transform
        return "lora" if found else ""

    def rank(self, key: str) -> tuple[int, float]:
        """``get_pattern_key``: the first pattern key that matches the end of ``key``."""
        r, alpha = self.s.r, self.s.lora_alpha
        for pattern, value in self.s.rank_pattern:
            if re.match(rf"(.*\.)?({pattern})$", key):
                r = value
                break
        for pattern, number in self.s.alpha_pattern:
            if re.match(rf"(.*\.)?({pattern})$", key):
                alpha = number
                break
        return r, alpha

    def index_sensitive(self) -> str:
        """How a copy's index can change a decision.

        ``""``: it cannot; ``"layers"``: through ``layers_to_transform`` only;
        ``"any"``: each copy must be looked at.
        """
        s = self.s
        words: list[str] = [*s.modules_to_save, *(p for p, _ in s.rank_pattern)]
        words += [p for p, _ in s.alpha_pattern]
        words += list(s.exclude_modules) if not isinstance(s.exclude_modules, str) else ["("]
        if not self.all_linear:
            targets = s.target_modules
            words += list(targets) if not isinstance(targets, str) else ["("]
        if any(re.search(r"[^A-Za-z_.]", word) for word in words):
            return "any"
        return "" if s.layers_to_transform is None else "layers"


class _Builder:
    """Rebuilds a network with PEFT's modules, recording what it did."""

    def __init__(self, rules: _Rules) -> None:
        self.rules = rules
        self.targeted: list[tuple[str, int]] = []  # (path, copies)
        self.saved: list[str] = []
        self.excluded = 0
        self.unsupported: list[str] = []
        self.moves: dict[str, str] = {}  # module path -> where its tensors went

    def build(self, node: Layer, path: str, copies: int = 1) -> Layer:
        rules = self.rules
        if path and rules.saved_match(path):
            self.saved.append(path)
            self.moves[path] = f"{path}.original_module"
            self._check_no_inner_match(node, path)
            return ModulesToSaveWrapper(retrain(node, False), retrain(node, True, untie=True))
        decision = rules.target(path, node) if path else ""
        if decision == "excluded":
            self.excluded += copies
        if decision == "lora":
            return self._adapt(node, path, copies)
        if stack_runs(node) is not None:
            return self._stack(node, path, copies)
        if isinstance(node, Composite):
            return node.rebuild(
                [
                    self.build(child, f"{path}.{name}" if path else name, copies)
                    for name, child in node.children()
                ]
            )
        return self._frozen(node, path.rpartition(".")[2])

    def _frozen(self, node: Layer, name: str = "") -> Layer:
        """The base network's layers: frozen, biases trained under ``bias="all"``.

        ``name`` is the node's name in its parent: PEFT trains every parameter
        whose full name is ``bias`` or ends with ``.bias``, a module's own
        ``bias`` tensor too (BERT's ``cls.predictions.bias``).
        """
        runs = stack_runs(node)
        if runs is not None:
            return restack(node, [(self._frozen(block), n) for block, n in runs])
        if isinstance(node, Composite):
            return node.rebuild([self._frozen(child, key) for key, child in node.children()])
        if self.rules.s.bias == "all":
            trained = {
                t
                for t, _ in node.parameter_shapes()
                if t == "bias" or t.endswith(".bias") or (not t and name == "bias")
            }
            if trained == {""}:  # a bare tensor registered as `bias`: all of it
                return retrain(node, True)
            if trained:
                return PartlyTrainable(retrain(node, False), frozenset(trained), trainable=False)
        return retrain(node, False)

    def _adapt(self, node: Layer, path: str, copies: int) -> Layer:
        s = self.rules.s
        r, _alpha = self.rules.rank(path)
        _check.positive("lora", f"r for {path}", r)
        base = node.layer if isinstance(node, PartlyTrainable) else node
        self.moves[path] = f"{path}.base_layer"
        self.targeted.append((path, copies))
        if features(base) is not None:
            frozen = self._frozen(base)
            if s.bias == "lora_only" and any(t == "bias" for t, _ in base.parameter_shapes()):
                frozen = PartlyTrainable(retrain(base, False), frozenset({"bias"}), trainable=False)
            return LoraLinear.wrap(frozen, r=r, lora_bias=s.lora_bias, use_dora=s.use_dora)
        table = base.layer if isinstance(base, Tied) else base
        if isinstance(table, Embedding):
            if s.lora_bias:
                raise ConfigError(
                    f"lora: `lora_bias=True` is not supported for an Embedding (PEFT raises). "
                    f"Received: target {shown(path)}."
                )
            return LoraEmbedding.wrap(self._frozen(base), r=r, use_dora=s.use_dora)
        raise ConfigError(
            f"lora: target module {shown(path)} is a {type(base).__name__}; paramcalc adapts "
            "Linear, Conv1D (GPT-2) and Embedding layers (PEFT also takes Conv1d/2d/3d and "
            "MultiheadAttention, and refuses other modules). Check `target_modules`."
        )

    def _stack(self, node: Layer, path: str, copies: int) -> Layer:
        """A stack of copies: each run adapted once, by segments or copy by copy.

        Only ``layers_to_transform`` depends on the index: the copies it names
        are built one by one and each gap between them once, so the cost
        follows the list, not the depth. A pattern that could match an index
        (a regex, a name with digits) looks at every copy.
        """
        prefix = getattr(node, "prefix", "")

        def at(index: int) -> str:
            return f"{path}.{prefix}{index}" if path else f"{prefix}{index}"

        runs = stack_runs(node) or ()
        mode = self.rules.index_sensitive()
        chosen = sorted(self.rules.s.layers_to_transform or ()) if mode == "layers" else []
        built: list[tuple[Layer, int]] = []
        start = 0
        for block, count in runs:
            end = start + count
            if mode == "":
                built.append((self.build(block, at(start), copies * count), count))
            elif mode == "layers":
                position = start
                first = bisect.bisect_left(chosen, start)
                for index in chosen[first : bisect.bisect_left(chosen, end)]:
                    if index > position:  # the copies between two listed ones
                        gap = index - position
                        built.append((self.build(block, at(position), copies * gap), gap))
                    built.append((self.build(block, at(index), copies), 1))
                    position = index + 1
                if position < end:
                    gap = end - position
                    built.append((self.build(block, at(position), copies * gap), gap))
            else:
                built += [(self.build(block, at(index), copies), 1) for index in range(start, end)]
            start = end
        merged: list[tuple[Layer, int]] = []
        for block, count in built:
            if merged and merged[-1][0] == block:
                merged[-1] = (merged[-1][0], merged[-1][1] + count)
            else:
                merged.append((block, count))
        if isinstance(node, Repeat) and len(merged) > 1:
            return Copies(merged, prefix)
        return restack(node, merged)

    def _check_no_inner_match(self, node: Layer, path: str) -> None:
        if not isinstance(node, Composite):
            return
        for name, child in node.children():
            inner = f"{path}.{name}"
            if self.rules.saved_match(inner):
                raise ConfigError(
                    f"lora: `modules_to_save` matches both {shown(path)} and {shown(inner)} "
                    "inside it; "
                    "paramcalc does not model PEFT's nested copies. Name one of them."
                )
            if stack_runs(child) is not None:
                continue
            self._check_no_inner_match(child, inner)


def _names(kind: str, value: object) -> tuple[str, ...] | str:
    if isinstance(value, str):
        if kind != "modules_to_save" and value.lower() != "all-linear":
            user_regex("lora", kind, value)  # PEFT full-matches a str on each path
        return value
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        items = tuple(value)
        for item in items:
            if not isinstance(item, str):
                raise ConfigTypeError(
                    f"lora: `{kind}` must be a str (a regex) or a list of str. "
                    f"Received: {_check.shown(value)}."
                )
        return items
    raise ConfigTypeError(
        f"lora: `{kind}` must be a str (a regex) or a list of str. Received: {_check.shown(value)}."
    )


def _pattern(kind: str, value: object, number: type) -> tuple[tuple[str, object], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigTypeError(f"lora: `{kind}` must be a dict. Received: {_check.shown(value)}.")
    out: list[tuple[str, object]] = []
    for key, item in value.items():
        if not isinstance(key, str):
            raise ConfigTypeError(
                f"lora: `{kind}` keys must be str. Received: {_check.shown(key)}."
            )
        user_regex("lora", f"{kind} key", key, wrap=r"(.*\.)?({})$")  # PEFT's get_pattern_key
        if number is int:
            _check.positive("lora", f"{kind}[{key!r}]", item)
        else:
            _check.real("lora", f"{kind}[{key!r}]", item)
        out.append((key, item))
    return tuple(out)


def lora(
    net: Layer,
    r: int = 8,
    target_modules: Iterable[str] | str | None = None,
    lora_alpha: float = 8,
    lora_dropout: float = 0.0,
    fan_in_fan_out: bool = False,
    bias: str = "none",
    use_rslora: bool = False,
    modules_to_save: Iterable[str] | None = None,
    layers_to_transform: Iterable[int] | int | None = None,
    rank_pattern: Mapping[str, int] | None = None,
    alpha_pattern: Mapping[str, float] | None = None,
    use_dora: bool = False,
    lora_bias: bool = False,
    exclude_modules: Iterable[str] | str | None = None,
) -> PeftModel:
    """``get_peft_model(net, LoraConfig(...))`` without torch: the adapted network.

    Keyword names and defaults are ``LoraConfig``'s. ``target_modules`` is a
    list (a module whose path is a name or ends with ``"." + name``), a regex
    (full match on the path) or ``"all-linear"`` (every Linear/Conv1D but the
    output layer). ``lora_dropout``, ``fan_in_fan_out`` and ``use_rslora``
    change no tensor and are accepted for symmetry.

    >>> from paramcalc.zoo.language import gpt2
    >>> adapted = lora(gpt2(), r=8, target_modules=["c_attn"])
    >>> adapted.trainable_params()   # 12 layers · (8·768 + 2304·8)
    294912
    >>> lora(gpt2(), target_modules=["q_proj"])
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: lora: target modules ['q_proj'] not found in the network ...
    """
    _check.positive("lora", "r", r)
    _check.real("lora", "lora_alpha", lora_alpha)
    _check.real("lora", "lora_dropout", lora_dropout, minimum=0)
    for name, flag in (
        ("fan_in_fan_out", fan_in_fan_out),
        ("use_rslora", use_rslora),
        ("use_dora", use_dora),
        ("lora_bias", lora_bias),
    ):
        _check.boolean("lora", name, flag)
    _check.one_of("lora", "bias", bias, _BIAS)
    if use_dora and lora_bias:
        raise ConfigError(
            "lora: `lora_bias=True` is not supported for DoRA (PEFT's rule); pass "
            "use_dora=False or lora_bias=False. Received: use_dora=True, lora_bias=True."
        )
    if target_modules is None:
        raise ConfigError(
            "lora: give `target_modules` (a list of names, a regex or 'all-linear'); "
            "PEFT's per-architecture defaults are not applied here. Received: target_modules=None."
        )
    targets = _names("target_modules", target_modules)
    if isinstance(targets, str) and layers_to_transform is not None:
        raise ConfigError(
            "lora: `layers_to_transform` cannot be used when `target_modules` is a str "
            f"(PEFT's rule). Received: target_modules={shown(targets)}."
        )
    layers: frozenset[int] | None = None
    if layers_to_transform is not None:
        raw = (
            (layers_to_transform,)
            if isinstance(layers_to_transform, int)
            else tuple(layers_to_transform)
        )
        checked = (_check.integer("lora", "layers_to_transform", i, minimum=0) for i in raw)
        layers = frozenset(checked) or None  # PEFT: an empty list is no restriction
    saved = () if modules_to_save is None else _names("modules_to_save", modules_to_save)
    if isinstance(saved, str):
        saved = (saved,)
    settings = LoraSettings(
        r=r,
        lora_alpha=lora_alpha,
        target_modules=targets,
        bias=bias,
        use_dora=use_dora,
        use_rslora=use_rslora,
        lora_bias=lora_bias,
        modules_to_save=saved,
        exclude_modules=()
        if exclude_modules is None
        else _names("exclude_modules", exclude_modules),
        rank_pattern=_pattern("rank_pattern", rank_pattern, int),  # type: ignore[arg-type]
        alpha_pattern=_pattern("alpha_pattern", alpha_pattern, float),  # type: ignore[arg-type]
        layers_to_transform=layers,
    )
    all_linear = isinstance(targets, str) and targets.lower() == "all-linear"
    rules = _Rules(settings, all_linear, output_embeddings(net))
    builder = _Builder(rules)
    adapted = builder.build(net, "")
    if not builder.targeted:
        named = _check.shown(sorted(targets) if not isinstance(targets, str) else targets)
        if builder.excluded:
            raise ConfigError(
                "lora: no modules were targeted for adaptation: every match was excluded by "
                "`exclude_modules` or `modules_to_save` (PEFT's NoMatchingPeftModuleError). "
                f"Received: target_modules={named}."
            )
        raise ConfigError(
            f"lora: target modules {named} not found in the network "
            "(PEFT's NoMatchingPeftModuleError). Check the module paths, e.g. "
            "'model.layers.0.self_attn.q_proj' is matched by 'q_proj'."
        )
    if saved and not builder.saved:
        warnings.warn(
            ParamcalcWarning(
                f"lora: `modules_to_save` {_check.shown(list(saved))} matched no module; "
                "PEFT ignores it too."
            ),
            stacklevel=2,
        )
    if net.inactive_params():
        warnings.warn(
            ParamcalcWarning(
                "lora: the network has mixture-of-experts layers; PEFT 0.21.2 with transformers 5 "
                "also adapts fused expert tensors (target_parameters) and may see routers as "
                "non-Linear modules; paramcalc adapts Linear, Conv1D and Embedding modules only, "
                "so the counts may differ from PEFT's."
            ),
            stacklevel=2,
        )
    adapted = _retie(adapted, builder.moves)
    output = rules.output and f"base_model.model.{rules.output}"
    root = PeftModel({"base_model": LoraModel({"model": adapted})}, output=output or "")
    object.__setattr__(root, "settings", settings)
    object.__setattr__(root, "targeted", tuple(builder.targeted))
    return declare(root, declared(net))  # the adapted model takes the sequences the base takes


def _retie(net: Layer, moves: dict[str, str]) -> Layer:
    """Point tied tensors at their new paths (``…base_layer.weight``) under ``base_model.model``."""

    def move(target: str) -> str:
        module, _, tensor = target.rpartition(".")
        return f"base_model.model.{moves.get(module, module)}.{tensor}"

    def fix(node: Layer) -> Layer:
        runs = stack_runs(node)
        if runs is not None:
            return restack(node, [(fix(block), n) for block, n in runs])
        if isinstance(node, Composite):
            return node.rebuild([fix(child) for _, child in node.children()])
        if isinstance(node, PartlyTrainable) and isinstance(node.layer, Tied):
            return PartlyTrainable(fix(node.layer), node.trained, trainable=False)
        if isinstance(node, Tied):
            targets = {tensor: move(target) for tensor, target in node.targets}
            return Tied(node.layer, targets, trainable=node.trainable)
        return node

    return fix(net)
