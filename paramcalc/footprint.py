"""Memory: the bytes to store a network, to run it and to train it.

Every figure is an exact integer number of bytes; ``docs/memory.md`` states
each convention and its source.

>>> from paramcalc import Linear, memory
>>> m = memory(Linear(1000, 1000), dtype="bf16", mixed_precision=True)
>>> m.parameters, m.master_weights, m.gradients, m.optimizer_state
(2002000, 4004000, 2002000, 8008000)
>>> m.states // 1_001_000  # AdamW in mixed precision: 2 + 4 + 2 + 8 bytes a parameter
16
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paramcalc import _check
from paramcalc._check import shown
from paramcalc.errors import ConfigError, ConfigTypeError
from paramcalc.liveset import live_peaks, unique_leaves as _unique_leaves
from paramcalc.shapes import Shape, as_shape, numel

if TYPE_CHECKING:
    from paramcalc.layer import Layer

__all__ = [
    "DTYPE_BITS",
    "OPTIMIZER_STATES",
    "Memory",
    "buffer_bytes",
    "dtype_bits",
    "estimate",
    "memory",
    "normalize_dtype",
    "parameter_bytes",
    "tensor_bytes",
    "transformer_activation_bytes",
]

DTYPE_BITS: dict[str, int] = {
    "fp64": 64,
    "fp32": 32,
    "fp16": 16,
    "bf16": 16,
    "fp8": 8,
    "int8": 8,
    "int4": 4,
    "int64": 64,
}
"""Bits per element of each dtype paramcalc knows, by its short name."""

_ALIASES: dict[str, str] = {
    "float64": "fp64",
    "double": "fp64",
    "float32": "fp32",
    "float": "fp32",
    "float16": "fp16",
    "half": "fp16",
    "bfloat16": "bf16",
    "float8": "fp8",
    "float8_e4m3fn": "fp8",
    "float8_e4m3fnuz": "fp8",
    "float8_e5m2": "fp8",
    "float8_e5m2fnuz": "fp8",
    "qint8": "int8",
    "quint4x2": "int4",
    "long": "int64",
}

OPTIMIZER_STATES: dict[str, int] = {"sgd": 0, "sgd_momentum": 1, "adam": 2, "adamw": 2}
"""State tensors per trainable parameter: momentum (1); Adam's two moments (2)."""

_HALF = ("fp16", "bf16")
_FLOATING = ("fp64", "fp32", "fp16", "bf16")


def normalize_dtype(dtype: object) -> str:
    """The short name of a dtype given as ``"fp32"``, ``"float32"`` or ``"torch.float32"``.

    A ``torch.dtype`` object is accepted too (its ``str()`` is ``"torch.float32"``).

    >>> normalize_dtype("torch.bfloat16"), normalize_dtype("half"), normalize_dtype("INT4")
    ('bf16', 'fp16', 'int4')
    """
    text = dtype
    if type(dtype).__module__ == "torch" and type(dtype).__name__ == "dtype":
        text = str(dtype)
    if not isinstance(text, str):
        raise ConfigTypeError(
            "memory: `dtype` must be a dtype name such as 'float32'. "
            f"Received: dtype={shown(dtype)}."
        )
    name = text.strip().lower().removeprefix("torch.")
    name = _ALIASES.get(name, name)
    if name not in DTYPE_BITS:
        choices = ", ".join(repr(key) for key in DTYPE_BITS)
        raise ConfigError(
            f"memory: `dtype` must be one of {choices} (or a torch name such as "
            f"'float32', 'torch.bfloat16'). Received: dtype={shown(dtype)}."
        )
    return name


def dtype_bits(dtype: object) -> int:
    """Bits per element of ``dtype``.

    >>> dtype_bits("bf16"), dtype_bits("torch.float32"), dtype_bits("int4")
    (16, 32, 4)
    """
    return DTYPE_BITS[normalize_dtype(dtype)]


def tensor_bytes(elements: int, dtype: object) -> int:
    """Bytes of one tensor of ``elements`` elements, rounded up to a whole byte.

    Only int4 needs the rounding: two elements share a byte, and a tensor of
    an odd size leaves half of its last byte unused.

    >>> tensor_bytes(48000, "fp32"), tensor_bytes(120, "bf16"), tensor_bytes(5, "int4")
    (192000, 240, 3)
    """
    bits = DTYPE_BITS.get(dtype) if isinstance(dtype, str) else None  # the usual, short name
    return -(-elements * (bits or dtype_bits(dtype)) // 8)


def _optimizer(optimizer: object) -> str:
    if not isinstance(optimizer, str):
        raise ConfigTypeError(
            f"memory: `optimizer` must be a str. Received: optimizer={shown(optimizer)}."
        )
    name = optimizer.strip().lower().replace("-", "_").replace(" ", "_")
    name = {"momentum": "sgd_momentum"}.get(name, name)
    if name not in OPTIMIZER_STATES:
        choices = ", ".join(repr(key) for key in OPTIMIZER_STATES)
        raise ConfigError(
            f"memory: `optimizer` must be one of {choices}. Received: optimizer={shown(optimizer)}."
        )
    return name


@dataclass(frozen=True)
class Memory:
    """Bytes to store, run and train a network, as exact integers.

    Fields (all in bytes unless stated):

    - ``parameters``: every parameter tensor, trainable or frozen, in ``dtype``;
    - ``buffers``: every buffer, in ``dtype`` (integer buffers in their own);
    - ``input``: one input batch in ``dtype`` (None without an input shape);
    - ``activations``: what autograd keeps for the backward pass at the end of
      the forward pass of a training step (the live-set model,
      :mod:`paramcalc.liveset`; None without a shape or in an integer dtype);
    - ``master_weights``: mixed precision only: an fp32 copy of the trainable
      parameters (0 otherwise);
    - ``gradients``: one gradient per trainable parameter, in ``dtype``;
    - ``optimizer_state``: momentum (SGD with momentum) or the two Adam moments
      per trainable parameter, fp32 in mixed precision, else in ``dtype``;
    - ``autocast``: ``"bf16"``/``"fp16"`` when fp32 weights run under
      ``torch.autocast`` (None otherwise);
    - ``inference_peak`` / ``training_peak``: the most bytes alive at once in
      a no-grad forward and in one optimizer step (second step: the states
      exist), each at a layer (``inference_at``, ``training_at``) and, for
      training, in a phase (``training_phase``: forward, backward or step).

    The derived totals are :attr:`states`, :attr:`training` and :attr:`inference`.

    >>> from paramcalc import Linear
    >>> m = Linear(400, 120).memory((400,), batch_size=2)   # fp32, AdamW
    >>> m.parameters, m.gradients, m.optimizer_state, m.input, m.activations  # the output
    (192480, 192480, 384960, 3200, 960)
    >>> m.states, m.training, m.inference, m.training_phase
    (769920, 965616, 196640, 'step')
    """

    dtype: str
    batch_size: int
    optimizer: str
    mixed_precision: bool
    parameters: int
    buffers: int
    input: int | None
    activations: int | None
    master_weights: int
    gradients: int
    optimizer_state: int
    autocast: str | None = None
    inference_peak: int | None = None
    training_peak: int | None = None
    training_phase: str | None = None
    inference_at: str | None = None
    training_at: str | None = None

    @property
    def states(self) -> int:
        """Model states (ZeRO's term): weights, master weights, gradients, optimizer, buffers."""
        return (
            self.parameters
            + self.master_weights
            + self.gradients
            + self.optimizer_state
            + self.buffers
        )

    @property
    def training(self) -> int | None:
        """The peak of one training step: the largest live set of its forward, backward and step."""
        return self.training_peak

    @property
    def inference(self) -> int | None:
        """The peak of a no-grad forward: weights, buffers, input, the live activations."""
        return self.inference_peak

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data: the fields and the derived totals."""
        return {
            "dtype": self.dtype,
            "autocast": self.autocast,
            "batch_size": self.batch_size,
            "optimizer": self.optimizer,
            "mixed_precision": self.mixed_precision,
            "parameters": self.parameters,
            "buffers": self.buffers,
            "input": self.input,
            "activations": self.activations,
            "master_weights": self.master_weights,
            "gradients": self.gradients,
            "optimizer_state": self.optimizer_state,
            "states": self.states,
            "training": self.training,
            "training_phase": self.training_phase,
            "training_at": self.training_at,
            "inference": self.inference,
            "inference_at": self.inference_at,
        }


def parameter_bytes(layer: Layer, dtype: str) -> int:
    """Bytes of a leaf layer's own parameter tensors in ``dtype`` (rounded per tensor).

    >>> from paramcalc import Linear
    >>> parameter_bytes(Linear(3, 1), "int4")  # weight: 3 elements in 2 bytes; bias: 1 in 1
    3
    """
    bits = DTYPE_BITS.get(dtype) or dtype_bits(dtype)
    if bits % 8 == 0:  # whole bytes per element: no tensor rounds, the count says it all
        return layer.params() * bits // 8
    return sum(tensor_bytes(numel(shape), dtype) for _, shape in layer.parameter_shapes())


def buffer_bytes(layer: Layer, dtype: str) -> int:
    """Bytes of a leaf layer's own buffers: in ``dtype`` unless the layer fixes theirs.

    >>> from paramcalc import Linear
    >>> buffer_bytes(Linear(3, 1), "fp32")
    0
    """
    if not layer.buffers():
        return 0
    return sum(
        tensor_bytes(numel(shape), layer.buffer_dtype(name) or dtype)
        for name, shape in layer.buffer_shapes()
    )


def estimate(
    net: Layer,
    input_shape: Shape | None,
    *,
    batch_size: int,
    dtype: object,
    optimizer: str,
    mixed_precision: bool,
    autocast: object = None,
) -> Memory:
    """The :class:`Memory` of ``net`` on a batch of ``input_shape`` (None: the states only).

    >>> from paramcalc import Linear
    >>> m = estimate(Linear(4, 2), (4,), batch_size=3, dtype="bf16",
    ...              optimizer="sgd", mixed_precision=False)
    >>> m.parameters, m.input, m.activations, m.states
    (20, 24, 12, 40)
    """
    name = normalize_dtype(dtype)
    method = _optimizer(optimizer)
    slots = OPTIMIZER_STATES[method]
    _check.boolean("memory", "mixed_precision", mixed_precision)
    _check.positive("memory", "batch_size", batch_size)
    if mixed_precision and name not in _HALF:
        raise ConfigError(
            "memory: `mixed_precision` keeps fp16 or bf16 weights beside fp32 master weights; "
            "give dtype='bf16' or dtype='fp16'. "
            f"Received: dtype={shown(dtype)}, mixed_precision=True."
        )
    low = None if autocast is None else normalize_dtype(autocast)
    if low is not None and (low not in _HALF or name != "fp32" or mixed_precision):
        raise ConfigError(
            "memory: `autocast` runs an fp32 network's ops in 'bf16' or 'fp16' (its weights, "
            "gradients and optimizer state stay fp32); give dtype='fp32', autocast='bf16'. "
            f"Received: dtype={dtype!r}, autocast={autocast!r}, mixed_precision={mixed_precision}."
        )
    state_dtype = "fp32" if mixed_precision else name
    parameters = buffers = master = gradients = state = 0
    for leaf, copies in _unique_leaves(net, set()):
        buffers += copies * buffer_bytes(leaf, name)
        weights = copies * parameter_bytes(leaf, name)
        parameters += weights
        if leaf.trainable:
            gradients += weights
            state += copies * slots * parameter_bytes(leaf, state_dtype)
            if mixed_precision:
                master += copies * parameter_bytes(leaf, "fp32")
    given = None if input_shape is None else tensor_bytes(numel(input_shape) * batch_size, name)
    peaks = None
    if input_shape is not None and name in _FLOATING:
        peaks = live_peaks(
            net,
            input_shape,
            batch_size=batch_size,
            dtype=name,
            optimizer=method,
            mixed_precision=mixed_precision,
            autocast=low,
        )
    return Memory(
        dtype=name,
        batch_size=batch_size,
        optimizer=method,
        mixed_precision=mixed_precision,
        parameters=parameters,
        buffers=buffers,
        input=given,
        activations=None if peaks is None else peaks.saved,
        master_weights=master,
        gradients=gradients,
        optimizer_state=state,
        autocast=low,
        inference_peak=None if peaks is None else peaks.inference,
        training_peak=None if peaks is None else peaks.training,
        training_phase=None if peaks is None else peaks.training_phase,
        inference_at=None if peaks is None else peaks.inference_at,
        training_at=None if peaks is None else peaks.training_at,
    )


def memory(
    net: Layer,
    input_shape: Shape | Iterable[int] | int | None = None,
    *,
    batch_size: int = 1,
    dtype: object = "float32",
    optimizer: str = "adamw",
    mixed_precision: bool = False,
    autocast: object = None,
) -> Memory:
    """Bytes to store, run and train ``net`` (see :class:`Memory` and ``docs/memory.md``).

    ``dtype`` is the storage and compute dtype (``"fp32"``, ``"bf16"``,
    ``"torch.float16"``, ``"int4"`` …). ``optimizer`` is ``"sgd"``,
    ``"sgd_momentum"``, ``"adam"`` or ``"adamw"``. With ``mixed_precision``
    (dtype fp16 or bf16) the trainer keeps fp32 master weights and fp32
    optimizer state, ZeRO's 2 + 2 + 12 bytes per parameter for Adam.
    ``autocast="bf16"`` (with fp32 ``dtype``): fp32 weights, gradients and
    states, each op in the dtype of torch's autocast lists.

    >>> from paramcalc import Conv2d, Flatten, Linear, MaxPool, Sequential
    >>> lenet = Sequential(Conv2d(1, 6, 5), MaxPool(2), Conv2d(6, 16, 5), MaxPool(2),
    ...                    Flatten(), Linear(400, 120), Linear(120, 84), Linear(84, 10))
    >>> m = memory(lenet, (1, 32, 32))
    >>> m.parameters, m.activations, m.states
    (246824, 44984, 987296)
    """
    shape = None if input_shape is None else as_shape(input_shape)
    if shape is not None:  # the walk's located errors, as the report raises them
        from paramcalc.walk import Walk

        Walk().visit("", net, shape)
    return estimate(
        net,
        shape,
        batch_size=batch_size,
        dtype=dtype,
        optimizer=optimizer,
        mixed_precision=mixed_precision,
        autocast=autocast,
    )


def transformer_activation_bytes(
    seq_len: int, batch: int, hidden: int, heads: int, layers: int = 1
) -> int:
    """Activation bytes of a GPT-style transformer (Korthikanti et al. 2022, eq. 2).

    ``s·b·h·(34 + 5·a·s/h)`` bytes per layer: 16-bit activations, no
    recomputation, no sequence or tensor parallelism (``t = 1``), summed over
    ``layers``. Written as ``34·s·b·h + 5·a·s²·b`` so that it stays an integer.

    >>> transformer_activation_bytes(seq_len=2048, batch=1, hidden=4096, heads=32, layers=32)
    30601641984
    """
    for arg, value in (
        ("seq_len", seq_len),
        ("batch", batch),
        ("hidden", hidden),
        ("heads", heads),
        ("layers", layers),
    ):
        _check.positive("transformer_activation_bytes", arg, value)
    per_layer = 34 * seq_len * batch * hidden + 5 * heads * seq_len * seq_len * batch
    return layers * per_layer
