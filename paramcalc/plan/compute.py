"""Training compute: FLOPs per token of a training step, from the network, and time to train.

A forward pass costs ``2·MACs`` FLOPs (paramcalc's MAC count, attention's
``QKᵀ`` and ``AV`` included at the sequence length). The backward pass costs
the same again for the input gradients of every layer after the first
trained one (token ids and a frozen prefix need none) and once more for the
weight gradients of each layer whose weight is trained, and twice the forward
for attention (``dQ``, ``dK``, ``dV``, ``dP``): a fully trained network costs
``3×`` its forward, the ``6·N`` rule's origin (Kaplan et al. 2020, §2.1), and
a LoRA network (frozen base) about ``2×``. Checkpointing recomputes the
forward of each checkpointed block (full) or of attention (selective).

>>> from paramcalc.zoo.language import llama
>>> net = llama(vocab_size=128256, hidden_size=2048, intermediate_size=8192,
...             num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
...             head_dim=64, tie_word_embeddings=True)     # Llama-3.2-1B
>>> c = training_flops(net, seq_len=2048)
>>> c.per_token, c.six_n                        # 6·N with N = 1,235,814,400
(8219787264, 7414886400)
>>> round(c.six_n_error, 3)                     # the 6·N rule is 9.8 % low here
-0.098
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from paramcalc import _check
from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.layer import Composite, Layer
from paramcalc.plan.accelerators import bf16_flops
from paramcalc.plan.activations import _weight_trained
from paramcalc.shapes import Shape

__all__ = ["TrainingCompute", "training_flops", "training_time"]

MAX_SECONDS = 3.2e22
"""About 10¹⁵ years: a longer training time is refused, not printed as ``inf``."""


@dataclass(frozen=True)
class TrainingCompute:
    """FLOPs of one training step for one sequence of ``seq_len`` tokens, by part.

    ``forward`` = ``2·MACs``; ``backward_inputs``, ``backward_weights``:
    the backward pass's two halves; ``recompute``: the forward work
    checkpointing repeats. ``per_token`` divides the sum by ``seq_len``;
    ``six_n`` is ``6·N`` (N: every parameter) and ``six_n_error`` its relative error.
    """

    seq_len: int
    params: int
    forward: int
    backward_inputs: int
    backward_weights: int
    recompute: int

    @property
    def total(self) -> int:
        """FLOPs of the step for one sequence."""
        return self.forward + self.backward_inputs + self.backward_weights + self.recompute

    @property
    def per_token(self) -> int:
        """FLOPs a token (rounded down)."""
        return self.total // self.seq_len

    @property
    def six_n(self) -> int:
        """The rule of thumb: 6 FLOPs per parameter per token."""
        return 6 * self.params

    @property
    def six_n_error(self) -> float:
        """``(6·N - per_token) / per_token``: how far the rule is from this count."""
        return (self.six_n - self.per_token) / self.per_token

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data with the derived figures."""
        data: dict[str, object] = asdict(self)
        data.update(total=self.total, per_token=self.per_token, six_n=self.six_n)
        data["six_n_error"] = self.six_n_error
        return data


class _Counter:
    """Adds MACs by kind; ``grad`` is whether the current activations need a gradient."""

    FIELDS = ("macs", "trained", "attention", "inputs")

    def __init__(self) -> None:
        self.macs = 0
        self.trained = 0  # MACs of layers whose weight is trained
        self.attention = 0
        self.inputs = 0  # MACs of layers whose input needs a gradient
        self.block = 0  # MACs inside repeated blocks
        self.grad = False  # token ids need none; the first trained layer starts it

    def snapshot(self) -> list[int]:
        return [getattr(self, name) for name in self.FIELDS]

    def run(self, layer: Layer, shape: Shape) -> Shape:
        if isinstance(layer, Composite):
            return self.composite(layer, shape)
        out = layer.infer_shape(shape)
        macs = layer.count_macs(shape, out)
        self.macs += macs
        if self.grad:
            self.inputs += macs
        if macs and not layer.params() and not layer.ties():
            self.attention += macs  # a product of two activations: both get gradients
        elif _weight_trained(layer) or (layer.trainable_params() > 0):
            self.trained += macs if _weight_trained(layer) else 0
            self.grad = True
        return out

    def composite(self, layer: Composite, shape: Shape) -> Shape:
        def visit(
            name: str,
            child: Layer,
            given: Shape | None,
            *,
            copies: int | None = None,
            first: int = 0,
        ) -> Shape | None:
            if given is None:
                return None
            if copies is None:
                return self.run(child, given)
            start = self.snapshot()
            out = self.run(child, given)
            if out != given:
                raise ConfigError(f"training_flops: a repeated block maps {given} to {out}")
            step = [now - then for now, then in zip(self.snapshot(), start, strict=True)]
            if copies > 1:  # the later copies' inputs all need gradients once one did
                second = self.snapshot()
                self.run(child, given)
                step = [now - then for now, then in zip(self.snapshot(), second, strict=True)]
                for name_, size in zip(self.FIELDS, step, strict=True):
                    setattr(self, name_, getattr(self, name_) + size * (copies - 2))
            self.block += self.macs - start[0]
            return out

        out = layer.forward_shapes(visit, shape)
        if out is None:  # pragma: no cover - a shape in gives a shape out
            raise ConfigError("training_flops: a composite gave no output shape")
        return out


def training_flops(net: Layer, *, seq_len: int, checkpointing: str = "none") -> TrainingCompute:
    """FLOPs of a training step on one sequence of ``seq_len`` token ids (see the module).

    >>> from paramcalc.zoo.language import gpt2
    >>> training_flops(gpt2(), seq_len=1024).per_token
    854438400
    """
    _check.positive("training_flops", "seq_len", seq_len)
    _check.one_of("training_flops", "checkpointing", checkpointing, ("none", "full", "selective"))
    counter = _Counter()
    counter.run(net, (seq_len,))
    forward = 2 * counter.macs
    attention = 2 * counter.attention
    recompute = 0
    if checkpointing == "full":
        recompute = 2 * counter.block
    elif checkpointing == "selective":
        recompute = attention
    return TrainingCompute(
        seq_len=seq_len,
        params=net.params(),
        forward=forward,
        backward_inputs=2 * counter.inputs,
        backward_weights=2 * counter.trained + attention,
        recompute=recompute,
    )


def training_time(
    compute: TrainingCompute, tokens: int, *, device: str, devices: int = 1, mfu: float = 0.4
) -> float:
    """Seconds to train on ``tokens`` tokens at model-FLOPs utilisation ``mfu``.

    >>> from paramcalc.zoo.language import gpt2
    >>> c = training_flops(gpt2(), seq_len=1024)
    >>> round(training_time(c, 10**9, device="H100-80GB", devices=8, mfu=0.4))  # 1B tokens
    270
    """
    _check.positive("training_time", "tokens", tokens)
    _check.positive("training_time", "devices", devices)
    _check.real("training_time", "mfu", mfu)
    if not 0 < mfu <= 1:
        raise ConfigError(f"training_time: `mfu` must be in (0, 1]. Received: mfu={shown(mfu)}.")
    try:
        seconds = compute.per_token * tokens / (bf16_flops(device) * devices * mfu)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:
        raise ConfigError(
            "training_time: the time is past any calendar (over 10¹⁵ years); check `mfu` and "
            f"`tokens`. Received: mfu={shown(mfu)}, tokens={tokens}."
        )
    return seconds
