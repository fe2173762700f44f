"""Training memory per device: weights, gradients, optimizer, activations, with sharding.

:func:`training_plan` sizes one training step of a network on each of
``devices`` accelerators: every part in bytes, the phase that peaks, and the
source of each convention (``docs/fine-tuning.md``). Full fine-tuning and
LoRA/QLoRA (a network from :func:`paramcalc.lora`: only its trainable
tensors get gradients and optimizer state) are sized the same way.

>>> from paramcalc.zoo.language import llama
>>> net = llama(vocab_size=128256, hidden_size=2048, intermediate_size=8192,
...             num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
...             head_dim=64, tie_word_embeddings=True)     # Llama-3.2-1B
>>> plan = training_plan(net, seq_len=2048, micro_batch=4, precision="bf16", optimizer="adamw")
>>> plan.weights, plan.optimizer_state                # 2 bytes and 2·2 bytes a parameter
(2471628800, 4943257600)
>>> plan.peak, plan.peak_phase
(34939056128, 'backward')
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from paramcalc import _check
from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.footprint import transformer_activation_bytes
from paramcalc.layer import Composite, Layer
from paramcalc.plan.activations import SavedActivations, saved_activations
from paramcalc.plan.adapters import PartlyTrainable, PeftModel, features, stack_runs
from paramcalc.plan.lora import output_embeddings
from paramcalc.plan.weights import linear_tensors
from paramcalc.shapes import Shape, numel
from paramcalc.units import count, iec_bytes

__all__ = [
    "CHECKPOINTING",
    "OPTIMIZERS",
    "PRECISIONS",
    "SHARDING",
    "TrainingPlan",
    "base_weight_bytes",
    "deepspeed_zero_estimate",
    "largest_layer_params",
    "optimizer_state_bytes",
    "training_plan",
]

OPTIMIZERS = ("sgd", "sgd_momentum", "adam", "adamw", "adamw8bit", "adafactor")
"""Optimizers sized: torch's SGD/Adam/AdamW, bitsandbytes' 8-bit AdamW, HF's Adafactor."""

PRECISIONS = {
    "fp32": (4, 4, False),
    "bf16": (2, 2, False),
    "fp16": (2, 2, False),
    "bf16-mixed": (2, 4, True),
    "fp16-mixed": (2, 4, True),
}
"""``precision -> (weight/gradient/activation bytes, optimizer state bytes, fp32 master)``."""

SHARDING = {
    "none": 0,
    "ddp": 0,
    "zero1": 1,
    "zero2": 2,
    "fsdp_grad_op": 2,
    "zero3": 3,
    "fsdp": 3,
    "fsdp_hybrid": 3,
}
"""What each strategy shards: 1 optimizer state (and master weights), 2 also gradients,
3 also weights (ZeRO stages, Rajbhandari et al. 2020; FSDP's SHARD_GRAD_OP and FULL_SHARD)."""

CHECKPOINTING = ("none", "full", "selective")

BASE_FORMATS = ("nf4", "nf4-dq", "fp4", "fp4-dq", "int8", "fp8", "gptq", "awq")
"""Storage of a frozen base's Linear weights (QLoRA: ``nf4-dq``), as the inference planner's."""


@dataclass(frozen=True)
class TrainingPlan:
    """Per-device bytes of one training step; every field an exact integer.

    Model states (sharded as ``sharding`` says over ``shard_size`` devices):
    ``weights`` (trainable in the compute dtype, a frozen base in
    ``base_format``), ``master_weights`` (fp32 copy, mixed precision),
    ``gradients``, ``optimizer_state``; ``gathered``: ZeRO-3/FSDP's
    unsharded working copy of the layer being computed. Per micro-batch (never
    sharded): ``activations`` kept for backward (after checkpointing),
    ``logits`` (the output, held by the caller) and ``loss_forward`` /
    ``loss_backward``: the cross-entropy's fp32 tensors at the end of the
    forward pass and at the start of the backward pass (the logits stay alive
    into backward only with ``keep_outputs``); ``recompute``: with full
    checkpointing, the activations of the one block being recomputed;
    ``optimizer_temporary``: the step's foreach scratch. ``peak`` is the
    largest of the phases (:meth:`phases`). ``korthikanti`` is the reference
    figure of Korthikanti et al. 2022 for the same layers, width, heads and
    checkpointing (GPT-style blocks, unfused attention; None without
    repeated attention blocks): compare, never added in.
    """

    devices: int
    shard_size: int
    sharding: str
    optimizer: str
    precision: str
    checkpointing: str
    seq_len: int
    micro_batch: int
    base_format: str | None
    params: int
    trainable: int
    weights: int
    master_weights: int
    gradients: int
    optimizer_state: int
    gathered: int
    activations: int
    activations_no_checkpointing: int
    logits: int
    loss_forward: int
    loss_backward: int
    optimizer_temporary: int
    recompute: int
    keep_outputs: bool
    korthikanti: int | None = None

    @property
    def states(self) -> int:
        """Model states per device: weights, master weights, gradients, optimizer state."""
        return self.weights + self.master_weights + self.gradients + self.optimizer_state

    def phases(self) -> dict[str, int]:
        """Live bytes at the end of forward, the start of backward, and in the optimizer step.

        Gradients are freed after each step (``zero_grad(set_to_none=True)``),
        so the forward pass and the start of backward hold none.
        """
        fixed = self.weights + self.master_weights + self.optimizer_state + self.gathered
        held = fixed + self.activations
        kept = self.logits if self.keep_outputs else 0
        phases = {
            "forward": held + self.logits + self.loss_forward,
            "backward": held + kept + self.loss_backward,
            "step": self.states + self.optimizer_temporary,
        }
        if self.recompute:
            phases["recompute"] = held + kept + self.recompute + self.gradients
        return phases

    @property
    def peak(self) -> int:
        """The largest phase: what the device must hold at least."""
        return max(self.phases().values())

    @property
    def peak_phase(self) -> str:
        """Which phase peaks: ``"forward"``, ``"backward"`` or ``"step"``."""
        phases = self.phases()
        return max(phases, key=lambda name: phases[name])

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data: the fields, the phases, the states and the peak."""
        data: dict[str, object] = asdict(self)
        data.update(states=self.states, phases=self.phases(), peak=self.peak)
        data["peak_phase"] = self.peak_phase
        return data

    key = "training_memory"
    """The plan's name under ``"plans"`` in a report's JSON (``report.with_plans(plan)``)."""

    def footer_lines(self, where: str | None = None) -> list[tuple[str, str]]:
        """``(label, value)`` lines: the set-up, the model states, activations, the peak.

        ``where`` names the devices (default ``"N device(s)"``).
        """
        where = where or f"{self.devices} device(s)"
        shard = f"{self.sharding} over {self.shard_size}" if self.shard_size > 1 else self.sharding
        lines = [
            (
                "Training plan (per device)",
                f"{where}, {shard}, {self.optimizer}, {self.precision}, checkpointing "
                f"{self.checkpointing}, seq {self.seq_len} × micro-batch {self.micro_batch}",
            )
        ]
        parts = [
            ("weights", self.weights),
            ("master weights", self.master_weights),
            ("gradients", self.gradients),
            ("optimizer state", self.optimizer_state),
        ]
        shown = " + ".join(f"{name} {count(value)}" for name, value in parts if value)
        lines.append(("  Model states", f"{_bytes(self.states)} = {shown}"))
        if self.gathered:
            lines.append(("  Gathered layer (ZeRO-3/FSDP)", _bytes(self.gathered)))
        reference = ""
        if self.korthikanti is not None:
            reference = f" (Korthikanti et al.'s formula: {iec_bytes(self.korthikanti)})"
        lines.append(("  Activations", _bytes(self.activations) + reference))
        loss = f"{_bytes(self.logits)} + up to {_bytes(self.loss_backward)} (fp32)"
        lines.append(("  Logits and loss", loss))
        lines.append(("  Peak", f"{_bytes(self.peak)} in the {self.peak_phase} phase"))
        return lines

    def __str__(self) -> str:
        """The footer lines as text (what ``print(training_plan(...))`` shows)."""
        from paramcalc.plan.show import text

        return text(self.footer_lines())

    def __repr__(self) -> str:
        """One line: ``TrainingPlan(1 device(s), adamw, bf16: peak 32.54 GiB in the backward)``."""
        return (
            f"TrainingPlan({self.devices} device(s), {self.optimizer}, {self.precision}: peak "
            f"{iec_bytes(self.peak)} in the {self.peak_phase} phase)"
        )

    def _repr_html_(self) -> str:
        """The footer lines as an escaped HTML table (Jupyter)."""
        from paramcalc.plan.show import html

        return html(self.footer_lines())


def _bytes(value: int) -> str:
    return f"{count(value)} B ({iec_bytes(value)})"


def _tensors(net: Layer) -> Iterator[tuple[str, Layer, Shape, bool, int]]:
    """``(path, leaf, shape, trainable, copies)`` of each tensor; copies not enumerated."""

    def walk(
        node: Layer, path: str, copies: int, seen: set[int]
    ) -> Iterator[tuple[str, Layer, Shape, bool, int]]:
        runs = stack_runs(node)
        if runs is not None:
            if id(node) in seen:
                return
            seen.add(id(node))
            start, prefix = 0, getattr(node, "prefix", "")
            for block, count in runs:
                first = f"{path}.{prefix}{start}" if path else f"{prefix}{start}"
                yield from walk(block, first, copies * count, set())
                start += count
        elif isinstance(node, Composite) and node.distinct_copies:
            if id(node) in seen:
                return
            seen.add(id(node))
            for name, child in node.children():
                yield from walk(child, f"{path}.{name}" if path else name, copies, set())
        elif isinstance(node, Composite):
            for name, child in node.children():
                yield from walk(child, f"{path}.{name}" if path else name, copies, seen)
        elif id(node) not in seen:
            seen.add(id(node))
            for tensor, shape in node.parameter_shapes():
                if isinstance(node, PartlyTrainable):
                    flag = tensor in node.trained
                else:
                    flag = node.trainable
                yield path, node, shape, flag, copies

    yield from walk(net, "", 1, set())


def optimizer_state_bytes(optimizer: str, shape: Shape, state_bytes: int) -> int:
    """Bytes of ``optimizer``'s state for one trainable tensor of ``shape``.

    - SGD: none; with momentum: one buffer; Adam/AdamW: two (``exp_avg``,
      ``exp_avg_sq``), each ``state_bytes`` an element (torch allocates them
      like the parameter: ``torch.optim.adam``'s ``_init_group``);
    - ``adamw8bit`` (bitsandbytes ``Optimizer2State.init_state``): two uint8
      states and an fp32 absmax per block of 256 for each, for tensors of at
      least ``min_8bit_size`` = 4096 elements; smaller tensors keep fp32 states;
    - ``adafactor`` (``transformers.optimization.Adafactor``, ``beta1=None``):
      fp32 row and column second moments for tensors of 2 or more dims,
      a full fp32 second moment otherwise.

    >>> optimizer_state_bytes("adamw8bit", (4096, 4096), 4)  # 2·n + 2·4·n/256
    34078720
    >>> optimizer_state_bytes("adafactor", (4096, 11008), 4)  # 4·(4096 + 11008)
    60416
    """
    n = numel(shape)
    if optimizer == "sgd":
        return 0
    if optimizer == "sgd_momentum":
        return n * state_bytes
    if optimizer in ("adam", "adamw"):
        return 2 * n * state_bytes
    if optimizer == "adamw8bit":
        if n < 4096:
            return 2 * 4 * n
        return 2 * (n + 4 * math.ceil(n / 256))
    if len(shape) >= 2:  # adafactor, factored
        return 4 * (numel(shape[:-1]) + numel(shape[:-2]) * shape[-1])
    return 4 * n


def base_weight_bytes(fan_in: int, fan_out: int, base_format: str) -> int:
    """Bytes of a frozen ``Linear(fan_in, fan_out)``'s weight stored in ``base_format``.

    The tensors are :func:`paramcalc.plan.weights.linear_tensors`' (the
    inference planner's layouts, from bitsandbytes, AutoGPTQ, AutoAWQ and
    transformers): ``nf4-dq`` is QLoRA's NF4 with double quantization — two
    weights a byte, a uint8 absmax per block of 64, an fp32 absmax per 256 of
    those, and the two code books.

    >>> base_weight_bytes(4096, 4096, "nf4-dq")  # 8,388,608 + 262,144 + 64 + 4,096 + 1,024
    8655936
    """
    tensors = linear_tensors(base_format, fan_out, fan_in, False, "bf16")
    return sum(numel(shape) * _STORED[dtype] for _, shape, dtype in tensors)


_STORED = {"uint8": 1, "int8": 1, "fp8": 1, "bf16": 2, "fp16": 2, "fp32": 4, "int32": 4}


def largest_layer_params(net: Layer) -> int:
    """The most parameters one module holds itself (DeepSpeed's ``largest_layer_params``).

    DeepSpeed's ``model_to_params`` takes ``max(sum(p.numel() for p in
    m.parameters(recurse=False)))`` over modules: here, over leaf layers.

    >>> from paramcalc.zoo.language import gpt2
    >>> largest_layer_params(gpt2())  # the token embedding, 50257·768
    38597376
    """
    return max((leaf.params() for _, leaf, _, _, _ in _tensors(net)), default=0)


def deepspeed_zero_estimate(
    net: Layer, stage: int, *, gpus_per_node: int = 1, nodes: int = 1
) -> int:
    """DeepSpeed's per-GPU model-states estimate without offload, from this network's counts.

    ``stage`` 2: ``estimate_zero2_model_states_mem_needs``: ``4·Ψ + 16·Ψ/N``;
    ``stage`` 3: ``estimate_zero3_model_states_mem_needs``:
    ``4·largest_layer + 18·Ψ/N`` (``deepspeed/runtime/zero/stage_1_and_2.py``
    and ``stage3.py``, ``cpu_offload=False``).

    >>> from paramcalc.zoo.language import gpt2
    >>> deepspeed_zero_estimate(gpt2(), 3, gpus_per_node=8)
    434379072
    """
    _check.one_of("deepspeed_zero_estimate", "stage", stage, (2, 3))
    total = net.params()
    gpus = gpus_per_node * nodes
    if stage == 2:
        return 4 * total + int(16 * total / gpus)
    return 4 * largest_layer_params(net) + int(18 * total / gpus)


def _sharded(size: int, shards: int) -> int:
    return -(-size // shards)


def training_plan(
    net: Layer,
    *,
    seq_len: int,
    micro_batch: int = 1,
    devices: int = 1,
    sharding: str = "none",
    devices_per_node: int | None = None,
    optimizer: str = "adamw",
    precision: str = "bf16-mixed",
    checkpointing: str = "none",
    base_format: str | None = None,
    keep_outputs: bool = False,
    fp32_gradients: bool = False,
) -> TrainingPlan:
    """The per-device memory of one training step (see :class:`TrainingPlan`).

    ``net`` takes token ids (``(seq_len,)``) and returns logits (``(seq_len, vocab)``)
    trained with cross-entropy (``transformers``' ``ForCausalLMLoss``).
    ``sharding``: ``"none"``/``"ddp"`` (replicas), ``"zero1"``, ``"zero2"``,
    ``"zero3"``, ``"fsdp"`` (full shard), ``"fsdp_grad_op"``, ``"fsdp_hybrid"``
    (full shard within ``devices_per_node``, replicas across nodes).
    ``precision``: ``"bf16-mixed"`` (16-bit weights and gradients, fp32 master
    and state: ZeRO's 2 + 2 + 12 bytes for Adam), ``"bf16"`` (pure: all
    16-bit), ``"fp32"``. ``base_format`` (``"nf4-dq"`` for QLoRA) stores the
    frozen Linear weights quantized. A PEFT network's adapters are fp32, as
    ``get_peft_model`` casts them (``autocast_adapter_dtype=True``).
    ``keep_outputs``: the caller holds the model's output (its logits) through
    ``backward()``; the default is ``loss = model(...).loss``, as ``Trainer`` does.
    ``fp32_gradients`` (mixed precision): gradients are kept in fp32 for the
    optimizer (DeepSpeed ZeRO's ``single_partition_of_fp32_groups`` grads),
    4 bytes instead of 2; with ZeRO-3 this is DeepSpeed's estimator exactly.

    >>> from paramcalc.zoo.language import gpt2
    >>> training_plan(gpt2(), seq_len=1024, optimizer="sgd", sharding="zero3")
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: training_plan: sharding='zero3' needs devices > 1 ...
    """
    where = "training_plan"
    _check.positive(where, "seq_len", seq_len)
    _check.positive(where, "micro_batch", micro_batch)
    _check.positive(where, "devices", devices)
    _check.one_of(where, "sharding", sharding, tuple(SHARDING))
    _check.one_of(where, "optimizer", optimizer, OPTIMIZERS)
    _check.one_of(where, "precision", precision, tuple(PRECISIONS))
    _check.one_of(where, "checkpointing", checkpointing, CHECKPOINTING)
    _check.boolean(where, "keep_outputs", keep_outputs)
    _check.boolean(where, "fp32_gradients", fp32_gradients)
    if base_format is not None:
        _check.one_of(where, "base_format", base_format, BASE_FORMATS)
    stage = SHARDING[sharding]
    if stage and devices == 1:
        raise ConfigError(
            f"{where}: sharding={shown(sharding)} needs devices > 1 to shard over. "
            f"Received: devices={devices}."
        )
    shard = devices
    if sharding == "fsdp_hybrid":
        if devices_per_node is None:
            raise ConfigError(f"{where}: sharding='fsdp_hybrid' needs `devices_per_node`.")
        _check.positive(where, "devices_per_node", devices_per_node)
        if devices % devices_per_node:
            raise ConfigError(
                f"{where}: `devices` must be a multiple of `devices_per_node`. "
                f"Received: devices={devices}, devices_per_node={devices_per_node}."
            )
        shard = devices_per_node
    elif not stage:
        shard = 1
    width, state_width, master = PRECISIONS[precision]
    peft = isinstance(net, PeftModel)
    output = output_embeddings(net)  # PEFT's: under base_model.model
    weights = master_weights = gradients = state = trainable = params = 0
    for path, leaf, shape, flag, copies in _tensors(net):
        n = numel(shape) * copies
        params += n
        if flag:  # PEFT casts adapters to fp32: no master copy, fp32 state
            trainable += n
            own = 4 if peft else width
            weights += n * own
            gradients += n * (4 if fp32_gradients else own)
            master_weights += 4 * n if master and not peft else 0
            state += copies * optimizer_state_bytes(
                optimizer, shape, 4 if peft or master else state_width
            )
        elif base_format is not None and _quantized(path, leaf, shape, output):
            fan_in, fan_out = features(leaf) or (0, 0)
            weights += copies * base_weight_bytes(fan_in, fan_out, base_format)
        else:
            weights += n * width
    opt_shards = shard if stage >= 1 else 1
    grad_shards = shard if stage >= 2 else 1
    weight_shards = shard if stage >= 3 else 1
    gathered = 0
    if stage >= 3:
        unit = largest_layer_params(net) if sharding == "zero3" else _unit_params(net)
        gathered = (2 if sharding == "zero3" else 3) * unit * width
    saved = saved_activations(net, (seq_len,), bytes_per_element=width)
    acts = saved.total
    recompute = 0
    if checkpointing == "full" and saved.blocks:
        acts = saved.total - saved.blocks * (saved.per_block - saved.block_input)
        recompute = saved.per_block * micro_batch
    elif checkpointing == "selective":  # recompute attention from its kept q, k, v
        acts = saved.total - saved.attention
    tokens = seq_len * micro_batch
    vocab = saved.output[-1] if len(saved.output) == 2 else 0
    logits = tokens * vocab * width
    upcast = 4 * tokens * vocab if width < 4 else 0
    temporary = 0
    if optimizer in ("adam", "adamw"):
        temporary = _sharded(trainable * (4 if peft or master else state_width), opt_shards)
    return TrainingPlan(
        devices=devices,
        shard_size=shard,
        sharding=sharding,
        optimizer=optimizer,
        precision=precision,
        checkpointing=checkpointing,
        seq_len=seq_len,
        micro_batch=micro_batch,
        base_format=base_format,
        params=params,
        trainable=trainable,
        weights=_sharded(weights, weight_shards),
        master_weights=_sharded(master_weights, opt_shards),
        gradients=_sharded(gradients, grad_shards),
        optimizer_state=_sharded(state, opt_shards),
        gathered=gathered,
        activations=acts * micro_batch,
        activations_no_checkpointing=saved.total * micro_batch,
        logits=logits,
        loss_forward=upcast + 4 * tokens * vocab,
        loss_backward=3 * 4 * tokens * vocab,
        optimizer_temporary=temporary,
        recompute=recompute,
        keep_outputs=keep_outputs,
        korthikanti=_korthikanti(saved, seq_len, micro_batch, width, checkpointing),
    )


def _korthikanti(
    saved: SavedActivations, seq: int, batch: int, width: int, checkpointing: str
) -> int | None:
    """Korthikanti et al. 2022 (Table 2, t = 1): sbh(34 + 5as/h), 34sbh or 2sbh a layer."""
    if not saved.blocks or not saved.heads:
        return None
    hidden = saved.block_input // (seq * width)
    if checkpointing == "full":
        return 2 * seq * batch * hidden * saved.blocks
    if checkpointing == "selective":
        return 34 * seq * batch * hidden * saved.blocks
    return transformer_activation_bytes(seq, batch, hidden, saved.heads, saved.blocks)


def _quantized(path: str, leaf: Layer, shape: Shape, output: str | None) -> bool:
    """Whether bitsandbytes quantizes it: Linear weights, not the output layer ``output``."""
    return (
        features(leaf) is not None
        and len(shape) == 2
        and path.removesuffix(".base_layer") != output
    )


def _unit_params(net: Layer) -> int:
    """FSDP's wrapped unit: the largest repeated block (a decoder layer), else the network."""
    best = 0

    def walk(node: Layer) -> None:
        nonlocal best
        runs = stack_runs(node)
        if runs is not None:
            best = max([best, *(block.params() for block, _ in runs)])
        elif isinstance(node, Composite):
            for _, child in node.children():
                walk(child)

    walk(net)
    return best or net.params()
