"""Parameter, ParameterList, ParameterDict and ModuleDict against live torch.

Random modules are built twice from one spec, in torch and in paramcalc, and
must agree on every parameter name, shape and order, and on the totals.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigTypeError

from .compare import torch_parameters

CASES = 150

Spec = list[tuple[str, str, Any]]


def _shape(rng: random.Random) -> tuple[int, ...]:
    return tuple(rng.randint(1, 5) for _ in range(rng.randint(0, 3)))


def _spec(rng: random.Random, depth: int = 0) -> Spec:
    """Attribute assignments: (name, kind, details), in order."""
    spec: Spec = []
    for index in range(rng.randint(1, 6)):
        kind = rng.choice(
            ["param", "param", "linear", "plist", "pdict", "mdict", "module"][: 7 - (depth > 1)]
        )
        name = f"{kind}{index}"
        if kind == "param":
            spec.append((name, kind, (_shape(rng), rng.random() < 0.7)))
        elif kind == "linear":
            spec.append((name, kind, (rng.randint(1, 6), rng.randint(1, 6))))
        elif kind == "plist":
            spec.append((name, kind, [_shape(rng) for _ in range(rng.randint(0, 3))]))
        elif kind == "pdict":
            keys = rng.sample(["w", "b", "a", "scale", "z", "gamma"], rng.randint(0, 4))
            style = rng.choice(["dict", "ordered", "pairs"])
            spec.append((name, kind, (style, [(key, _shape(rng)) for key in keys])))
        elif kind == "mdict":
            keys = rng.sample(["q", "k", "v", "out", "a"], rng.randint(1, 3))
            style = rng.choice(["dict", "pairs"])
            values = [(key, (rng.randint(1, 4), rng.randint(1, 4))) for key in keys]
            spec.append((name, kind, (style, values)))
        else:
            spec.append((name, kind, _spec(rng, depth + 1)))
    return spec


def _pairs(style: str, pairs: list[tuple[str, Any]]) -> Any:
    if style == "dict":
        return dict(pairs)
    if style == "ordered":
        return OrderedDict(pairs)
    return pairs


def _build_torch(torch: Any, spec: Spec) -> Any:
    nn = torch.nn
    module = nn.Module()
    for name, kind, details in spec:
        if kind == "param":
            shape, grad = details
            value: Any = nn.Parameter(torch.zeros(shape), requires_grad=grad)
        elif kind == "linear":
            value = nn.Linear(*details)
        elif kind == "plist":
            value = nn.ParameterList([nn.Parameter(torch.zeros(s)) for s in details])
        elif kind == "pdict":
            style, pairs = details
            value = nn.ParameterDict(
                _pairs(style, [(k, nn.Parameter(torch.zeros(s))) for k, s in pairs])
            )
        elif kind == "mdict":
            style, pairs = details
            value = nn.ModuleDict(_pairs(style, [(k, nn.Linear(*f)) for k, f in pairs]))
        else:
            value = _build_torch(torch, details)
        setattr(module, name, value)
    return module


def _build_ours(spec: Spec) -> pc.Module:
    module = pc.Module()
    for name, kind, details in spec:
        if kind == "param":
            shape, grad = details
            value: pc.Layer = pc.Parameter(shape, requires_grad=grad)
        elif kind == "linear":
            value = pc.Linear(*details)
        elif kind == "plist":
            value = pc.ParameterList([pc.Parameter(s) for s in details])
        elif kind == "pdict":
            style, pairs = details
            value = pc.ParameterDict(_pairs(style, [(k, pc.Parameter(s)) for k, s in pairs]))
        elif kind == "mdict":
            style, pairs = details
            value = pc.ModuleDict(_pairs(style, [(k, pc.Linear(*f)) for k, f in pairs]))
        else:
            value = _build_ours(details)
        setattr(module, name, value)
    return module


def test_random_modules_match_torch(torch: Any) -> None:
    """Names (bare for a Parameter attribute, own tensors first), shapes, order, totals."""
    rng = random.Random(11)
    for _ in range(CASES):
        spec = _spec(rng)
        theirs, ours = _build_torch(torch, spec), _build_ours(spec)
        assert list(ours.named_parameters()) == torch_parameters(theirs), spec
        assert ours.params() == sum(p.numel() for p in theirs.parameters())
        assert ours.explain().value == ours.params()
        trainable = sum(p.numel() for p in theirs.parameters() if p.requires_grad)
        assert ours.trainable_params() == trainable, spec


def test_shared_parameter_counts_once(torch: Any) -> None:
    """One Parameter object under two attributes: torch lists it once, under the first name."""
    nn = torch.nn
    theirs, ours = nn.Module(), pc.Module()
    shared = nn.Parameter(torch.zeros(3, 4))
    theirs.a, theirs.fc, theirs.b = shared, nn.Linear(2, 2), shared
    token = pc.Parameter((3, 4))
    ours.a, ours.fc, ours.b = token, pc.Linear(2, 2), token
    assert list(ours.named_parameters()) == torch_parameters(theirs)
    assert ours.params() == sum(p.numel() for p in theirs.parameters()) == 18


def test_containers_of_modules_refuse_parameters(torch: Any) -> None:
    """torch: 'torch.FloatTensor is not a Module subclass'."""
    with pytest.raises(TypeError, match="is not a Module subclass"):
        torch.nn.Sequential(torch.nn.Parameter(torch.zeros(2)))
    with pytest.raises(TypeError):
        torch.nn.ModuleDict({"p": torch.nn.Parameter(torch.zeros(2))})
    with pytest.raises(ConfigTypeError, match="is a Parameter, not a module"):
        pc.Sequential(pc.Parameter(2))
    with pytest.raises(ConfigTypeError, match="is a Parameter, not a module"):
        pc.ModuleDict({"p": pc.Parameter(2)})


@pytest.mark.parametrize("name", ["a.b", ""])
def test_bad_names_rejected_like_torch(torch: Any, name: str) -> None:
    """torch: "module name can't contain '.'" / "can't be empty string" (KeyError)."""
    with pytest.raises(KeyError):
        torch.nn.ModuleDict({name: torch.nn.Linear(2, 2)})
    with pytest.raises(KeyError):
        torch.nn.ParameterDict({name: torch.nn.Parameter(torch.zeros(2))})
    with pytest.raises(pc.ConfigError, match=r"must be non-empty and contain no '\.'"):
        pc.ModuleDict({name: pc.Linear(2, 2)})
    with pytest.raises(pc.ConfigError, match=r"must be non-empty and contain no '\.'"):
        pc.ParameterDict({name: pc.Parameter(2)})
