"""MACs, memory and shape errors against live torch: FlopCounterMode, tensors, optimizers."""

from __future__ import annotations

import random
import warnings
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import Layer, ShapeError

from ..test_flops import VGG16_MACS, vgg16

CASES = 100


def _flop_counter_macs(torch: Any, module: Any, batch: tuple[int, ...]) -> int:
    """FlopCounterMode's total / 2 for one forward pass, on the meta device (no real compute)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        module(torch.empty(batch, device="meta"))
    total: int = counter.get_total_flops()
    assert total % 2 == 0
    return total // 2


def _torch_vgg16(torch: Any) -> Any:
    nn = torch.nn
    layers: list[Any] = []
    channels = 3
    for width in [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0]:
        if width == 0:
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
            channels = width
    return nn.Sequential(
        *layers,
        nn.AdaptiveAvgPool2d((7, 7)),
        nn.Flatten(),
        nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(),
        nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(),
        nn.Linear(4096, 1000),
    )  # fmt: skip


def test_vgg16_against_flop_counter(torch: Any) -> None:
    """VGG-16 (torch's with its AdaptiveAvgPool2d) at 3×224×224: FlopCounterMode / 2 = ours."""
    with torch.device("meta"):
        theirs = _torch_vgg16(torch).eval()
    assert sum(p.numel() for p in theirs.parameters()) == vgg16().params()
    assert _flop_counter_macs(torch, theirs, (1, 3, 224, 224)) == VGG16_MACS
    assert _flop_counter_macs(torch, theirs, (2, 3, 224, 224)) == 2 * VGG16_MACS
    assert vgg16().report((3, 224, 224), batch_size=2).flops == 4 * VGG16_MACS


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_conv_report_macs_against_flop_counter(torch: Any, dims: int) -> None:
    """Conv*d reports: MACs for a batch and FLOPs = 2 × MACs equal FlopCounterMode's."""
    rng = random.Random(300 + dims)
    for _ in range(CASES):
        groups = rng.choice([1, 1, 2, 3])
        kwargs = {
            "in_channels": groups * rng.randint(1, 4),
            "out_channels": groups * rng.randint(1, 4),
            "kernel_size": rng.randint(1, 4),
            "stride": rng.randint(1, 3),
            "padding": rng.randint(0, 2),
            "dilation": rng.randint(1, 2),
            "groups": groups,
            "bias": rng.random() < 0.5,
        }
        size = 7 if dims == 3 else 14  # at least the widest window, 2·(4 − 1) + 1
        shape = (kwargs["in_channels"], *(rng.randint(size, size + 4) for _ in range(dims)))
        batch = rng.randint(1, 4)
        with torch.device("meta"):
            theirs = getattr(torch.nn, f"Conv{dims}d")(**kwargs)
        report = getattr(pc, f"Conv{dims}d")(**kwargs).report(shape, batch_size=batch)
        assert report.flops == 2 * _flop_counter_macs(torch, theirs, (batch, *shape)), kwargs


def test_linear_report_macs_against_flop_counter(torch: Any) -> None:
    """Linear over leading dimensions: report MACs for a batch equal FlopCounterMode / 2."""
    rng = random.Random(400)
    for _ in range(CASES):
        features = rng.randint(1, 64), rng.randint(1, 64)
        lead = tuple(rng.randint(1, 5) for _ in range(rng.randint(0, 2)))
        batch = rng.randint(1, 4)
        bias = rng.random() < 0.5
        with torch.device("meta"):
            theirs = torch.nn.Linear(*features, bias=bias)
        report = pc.Linear(*features, bias=bias).report((*lead, features[0]), batch_size=batch)
        expected = _flop_counter_macs(torch, theirs, (batch, *lead, features[0]))
        assert report.macs == expected, (features, lead, batch)


def _pair(torch: Any, rng: random.Random) -> tuple[Layer, Any, tuple[int, ...]]:
    """A small random conv/pool/linear network in paramcalc and in torch."""
    nn = torch.nn
    channels, size = rng.randint(1, 3), rng.randint(6, 12)
    ours: list[Layer] = []
    theirs: list[Any] = []
    for _ in range(rng.randint(1, 3)):
        out = rng.randint(1, 5)
        bias = rng.random() < 0.6
        ours += [pc.Conv2d(channels, out, 3, padding=1, bias=bias), pc.ReLU()]
        theirs += [nn.Conv2d(channels, out, 3, padding=1, bias=bias), nn.ReLU()]
        if rng.random() < 0.5:
            ours.append(pc.MaxPool2d(2, ceil_mode=True))
            theirs.append(nn.MaxPool2d(2, ceil_mode=True))
        channels = out
    body = pc.Sequential(*ours, pc.Flatten())
    features = body.output_shape((ours[0].in_channels, size, size))[0]  # type: ignore[attr-defined]
    head = rng.randint(1, 6)
    net = pc.Sequential(body, pc.Linear(features, head))
    module = nn.Sequential(nn.Sequential(*theirs, nn.Flatten()), nn.Linear(features, head))
    return net, module, (ours[0].in_channels, size, size)  # type: ignore[attr-defined]


TORCH_DTYPES = {"fp64": "float64", "fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


@pytest.mark.parametrize("dtype", list(TORCH_DTYPES))
def test_storage_and_activations_against_tensors(torch: Any, dtype: str) -> None:
    """Parameter bytes after .to(dtype) and each leaf's output bytes equal torch's tensors."""
    rng = random.Random(500)
    torch_dtype = getattr(torch, TORCH_DTYPES[dtype])
    for _ in range(30):
        net, module, shape = _pair(torch, rng)
        module = module.to(torch_dtype)
        batch = rng.randint(1, 4)
        outputs: list[int] = []

        def record(_module: Any, _input: Any, out: Any, outputs: list[int] = outputs) -> None:
            outputs.append(out.numel() * out.element_size())

        hooks = [
            leaf.register_forward_hook(record)
            for leaf in module.modules()
            if not list(leaf.children())
        ]
        with torch.no_grad():
            module(torch.zeros((batch, *shape), dtype=torch_dtype))
        for hook in hooks:
            hook.remove()
        m = net.memory(shape, batch_size=batch, dtype=torch_dtype)
        assert m.parameters == sum(p.numel() * p.element_size() for p in module.parameters())
        report = net.report(shape, batch_size=batch, dtype=torch_dtype)
        assert [row.activation_bytes for row in report.rows if row.leaf] == outputs
        assert m.input == batch * pc.Flatten(1).output_shape(shape)[0] * torch_dtype.itemsize


@pytest.mark.parametrize(
    ("name", "optimizer", "kwargs"),
    [
        ("sgd", "SGD", {"lr": 0.1}),
        ("sgd_momentum", "SGD", {"lr": 0.1, "momentum": 0.9}),
        ("adam", "Adam", {}),
        ("adamw", "AdamW", {}),
    ],
)
def test_gradients_and_optimizer_state_against_torch(
    torch: Any, name: str, optimizer: str, kwargs: dict[str, Any]
) -> None:
    """After backward and one step: gradient bytes and state bytes (Adam's step aside) agree."""
    rng = random.Random(600)
    for _ in range(15):
        net, module, shape = _pair(torch, rng)
        frozen = rng.random() < 0.5
        if frozen:  # freeze the head in both
            net = net.freeze("1")
            for p in module[1].parameters():
                p.requires_grad_(False)
        trainable = [p for p in module.parameters() if p.requires_grad]
        opt = getattr(torch.optim, optimizer)(trainable, **kwargs)
        module(torch.randn((2, *shape))).sum().backward()
        opt.step()
        grads = sum(p.grad.numel() * p.grad.element_size() for p in trainable)
        assert all(p.grad is None for p in module.parameters() if not p.requires_grad)
        states = sum(
            value.numel() * value.element_size()
            for state in opt.state.values()
            for key, value in state.items()
            if key != "step" and torch.is_tensor(value)
        )
        m = net.memory(shape, optimizer=name)
        assert m.gradients == grads
        assert m.optimizer_state == states
        assert m.master_weights == 0


def _small_conv(rng: random.Random, dims: int) -> tuple[dict[str, Any], tuple[int, ...]]:
    kwargs: dict[str, Any] = {
        "in_channels": rng.randint(1, 2),
        "out_channels": rng.randint(1, 2),
        "kernel_size": rng.randint(1, 6),
        "dilation": rng.randint(1, 3),
        "padding_mode": rng.choice(["zeros", "reflect", "replicate", "circular"]),
        "bias": False,
    }
    if rng.random() < 0.25:
        kwargs["padding"] = "same"
    else:
        kwargs["padding"] = rng.randint(0, 4)
        kwargs["stride"] = rng.randint(1, 3)
    shape = (kwargs["in_channels"], *(rng.randint(1, 7) for _ in range(dims)))
    return kwargs, shape


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_small_inputs_rejected_like_torch(torch: Any, dims: int) -> None:
    """Tiny inputs and every padding mode: paramcalc raises ShapeError exactly when torch fails."""
    rng = random.Random(700 + dims)
    rejected = accepted = 0
    while rejected + accepted < 3 * CASES:
        kwargs, shape = _small_conv(rng, dims)
        theirs = getattr(torch.nn, f"Conv{dims}d")(**kwargs)
        ours = getattr(pc, f"Conv{dims}d")(**kwargs)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = tuple(theirs(torch.zeros((1, *shape))).shape[1:])
        except RuntimeError:
            with pytest.raises(ShapeError):
                ours.output_shape(shape)
            rejected += 1
            continue
        assert ours.output_shape(shape) == expected, (kwargs, shape)
        accepted += 1
    assert rejected > 20
    assert accepted > 20


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_small_inputs_pool_rejected_like_torch(torch: Any, dims: int) -> None:
    """MaxPool on tiny inputs: ShapeError exactly when torch fails, else the same shape."""
    rng = random.Random(800 + dims)
    for _ in range(2 * CASES):
        kernel = rng.randint(1, 5)
        kwargs = {
            "kernel_size": kernel,
            "stride": rng.choice([None, 1, 2, 3]),
            "padding": rng.randint(0, kernel // 2),
            "dilation": rng.randint(1, 3),
            "ceil_mode": rng.random() < 0.5,
        }
        shape = (rng.randint(1, 2), *(rng.randint(1, 6) for _ in range(dims)))
        theirs = getattr(torch.nn, f"MaxPool{dims}d")(**kwargs)
        ours = getattr(pc, f"MaxPool{dims}d")(**kwargs)
        try:
            expected = tuple(theirs(torch.zeros((1, *shape))).shape[1:])
        except RuntimeError:
            with pytest.raises(ShapeError, match="too small"):
                ours.output_shape(shape)
            continue
        assert ours.output_shape(shape) == expected, (kwargs, shape)
