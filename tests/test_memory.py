"""Memory: dtypes, storage, activations and the training estimate, checked by hand arithmetic."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import pytest
from hypothesis import given, settings, strategies as st

import paramcalc as pc
from paramcalc import ConfigError, ConfigTypeError, Layer, memory, transformer_activation_bytes
from paramcalc.footprint import normalize_dtype, tensor_bytes
from paramcalc.shapes import Shape


def lenet() -> pc.Sequential:
    return pc.Sequential(
        pc.Conv2d(1, 6, 5), pc.MaxPool(2), pc.Conv2d(6, 16, 5), pc.MaxPool(2),
        pc.Flatten(), pc.Linear(400, 120), pc.Linear(120, 84), pc.Linear(84, 10),
    )  # fmt: skip


@dataclass(frozen=True, repr=False)
class Norm(Layer):
    """A weight-only norm (RMSNorm's tensors) for building Llama-2-7B's count."""

    dim: int

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (("weight", (self.dim,)),)


@dataclass(frozen=True, repr=False)
class Stats(Layer):
    """BatchNorm's tensors: a float weight/bias, float running stats and an int64 counter."""

    features: int

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (("weight", (self.features,)), ("bias", (self.features,)))

    def buffer_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (
            ("running_mean", (self.features,)),
            ("running_var", (self.features,)),
            ("num_batches_tracked", ()),
        )

    def buffer_dtype(self, name: str) -> str | None:
        return "int64" if name == "num_batches_tracked" else None


class TestDtypes:
    @pytest.mark.parametrize(
        ("given", "name", "bits"),
        [
            ("fp64", "fp64", 64),
            ("float64", "fp64", 64),
            ("torch.float64", "fp64", 64),
            ("double", "fp64", 64),
            ("fp32", "fp32", 32),
            ("float32", "fp32", 32),
            ("torch.float32", "fp32", 32),
            ("float", "fp32", 32),
            ("FP16", "fp16", 16),
            ("float16", "fp16", 16),
            ("half", "fp16", 16),
            ("bf16", "bf16", 16),
            ("bfloat16", "bf16", 16),
            ("torch.bfloat16", "bf16", 16),
            ("fp8", "fp8", 8),
            ("torch.float8_e4m3fn", "fp8", 8),
            ("float8_e5m2", "fp8", 8),
            ("int8", "int8", 8),
            ("torch.int8", "int8", 8),
            ("int4", "int4", 4),
        ],
    )
    def test_names(self, given: str, name: str, bits: int) -> None:
        """Short, torch-style and torch.-prefixed names map to one dtype of torch's width."""
        assert normalize_dtype(given) == name
        assert pc.memory(pc.Linear(4, 4), dtype=given).parameters == 20 * bits // 8

    def test_unknown_dtype_lists_choices(self) -> None:
        """An unknown dtype is a ConfigError naming every choice."""
        with pytest.raises(ConfigError, match=r"`dtype` must be one of 'fp64', 'fp32'.*'int4'"):
            memory(lenet(), dtype="float42")

    def test_non_string_dtype(self) -> None:
        """A dtype that is not a name is a type error."""
        with pytest.raises(ConfigTypeError, match=r"`dtype` must be a dtype name"):
            memory(lenet(), dtype=32)

    def test_int4_rounds_up_per_tensor(self) -> None:
        """int4: two elements a byte, each tensor rounded up on its own."""
        # Linear(3, 1): weight 3 elements → ceil(3/2) = 2 bytes, bias 1 → 1 byte; 3, not ceil(4/2)=2
        assert pc.Linear(3, 1).memory(dtype="int4").parameters == 3
        assert tensor_bytes(7, "int4") == 4
        # a storage dtype that is not a compute dtype: no live set, never a made-up one
        m = pc.Linear(3, 5).memory((3,), batch_size=3, dtype="int4")
        assert (m.activations, m.training, m.inference) == (None, None, None)
        assert m.input == 5  # 3·3 = 9 elements → ceil(9/2)


class TestGolden:
    def test_lenet_fp32_adamw(self) -> None:
        """The seed's LeNet in fp32, batch 1, AdamW, against the hand table of docs/memory.md.

        Saved for backward (torch's derivatives.yaml): each max pool its input and
        int64 indices, each conv and Linear its input (the first conv's is the
        input batch, counted apart). The CPU allocation trace
        (tests/golden/plan/trace_vision.json) measures the inference peak exactly.
        """
        m = memory(lenet(), (1, 32, 32))
        assert m.parameters == 61706 * 4 == 246824
        assert m.buffers == 0
        assert m.input == 1 * 32 * 32 * 4 == 4096
        saved = 4 * (4704 + 1176 + 1600 + 400 + 120 + 84) + 8 * (1176 + 400)
        assert m.activations == saved + 4 * 10 == 44984  # and the output
        assert m.gradients == 246824
        assert m.optimizer_state == 2 * 246824 == 493648
        assert m.master_weights == 0
        assert m.states == 16 * 61706 == 987296
        # the step: weights, states, input, int64 targets, gradients, foreach sqrt scratch
        assert m.training == 246824 + 493648 + 4096 + 8 + 246824 + 246824 == 1238224
        assert m.training_phase == "step"
        # the first max pool: its input, output and int64 indices alive at once
        assert m.inference == 246824 + 4096 + 4 * (4704 + 1176) + 8 * 1176 == 283848
        assert m.inference_at == "1"

    def test_lenet_mixed_bf16_batch_64(self) -> None:
        """Mixed bf16: 2 + 4 + 2 + 8 bytes a parameter; activations at 2 bytes, indices at 8."""
        m = memory(lenet(), (1, 32, 32), batch_size=64, dtype="bf16", mixed_precision=True)
        assert (m.parameters, m.master_weights, m.gradients, m.optimizer_state) == (
            61706 * 2,
            61706 * 4,
            61706 * 2,
            61706 * 8,
        )
        assert m.input == 64 * 1024 * 2 == 131072
        saved = 64 * (2 * (4704 + 1176 + 1600 + 400 + 120 + 84 + 10) + 8 * (1176 + 400))
        assert m.activations == saved == 1842944

    def test_llama2_7b(self) -> None:
        """Llama-2-7B's 6,738,415,616 parameters: 13,476,831,232 bytes in bf16, 16 B/param AdamW."""
        h, f, v = 4096, 11008, 32000

        def block() -> pc.Sequential:
            return pc.Sequential(
                *(pc.Linear(h, h, bias=False) for _ in range(4)),
                pc.Linear(h, f, bias=False),
                pc.Linear(h, f, bias=False),
                pc.Linear(f, h, bias=False),
                Norm(h),
                Norm(h),
            )

        llama = pc.Sequential(
            pc.Linear(v, h, bias=False),
            pc.ModuleList([block() for _ in range(32)]),
            Norm(h),
            pc.Linear(h, v, bias=False),
        )
        # 2·32000·4096 + 32·(4·4096² + 3·4096·11008 + 2·4096) + 4096
        assert llama.params() == 6738415616
        m = llama.memory(dtype="torch.bfloat16", mixed_precision=True)
        assert m.parameters == 13476831232
        assert m.states == 16 * 6738415616
        assert llama.memory(dtype="fp32").states == 16 * 6738415616

    # ZeRO §3.1 (Adam, mixed: 2 + 2 + 12), Transformer Math 101 (SGD momentum: 2 + 2 + 8),
    # accelerate estimate-memory (Adam, one dtype: 1× model + 1× grads + 2× optimizer)
    @pytest.mark.parametrize(
        ("optimizer", "dtype", "mixed", "per_param"),
        [
            ("sgd", "fp32", False, 8),
            ("sgd_momentum", "fp32", False, 12),
            ("momentum", "fp32", False, 12),
            ("adam", "fp32", False, 16),
            ("AdamW", "fp32", False, 16),
            ("adamw", "bf16", False, 8),
            ("adamw", "fp16", False, 8),
            ("sgd", "bf16", True, 8),
            ("sgd_momentum", "bf16", True, 12),
            ("adam", "fp16", True, 16),
            ("adamw", "bf16", True, 16),
        ],
    )
    def test_bytes_per_parameter(
        self, optimizer: str, dtype: str, mixed: bool, per_param: int
    ) -> None:
        """Model states per trainable parameter, as the cited accountings give them."""
        fc = pc.Linear(1000, 1000)  # 1,001,000 parameters, no buffers
        m = fc.memory(dtype=dtype, optimizer=optimizer, mixed_precision=mixed)
        assert m.states == per_param * 1001000

    def test_transformer_activations(self) -> None:
        """Korthikanti et al. eq. 2: s·b·h·(34 + 5·a·s/h) bytes per layer."""
        s, b, h, a = 2048, 4, 4096, 32
        per_layer = s * b * h * 34 + s * b * h * 5 * a * s // h
        assert per_layer == 34 * 2048 * 4 * 4096 + 5 * 32 * 2048 * 2048 * 4 == 3825205248
        assert transformer_activation_bytes(s, b, h, a) == per_layer
        assert transformer_activation_bytes(s, b, h, a, layers=32) == 32 * per_layer

    def test_transformer_activations_non_integral_ratio(self) -> None:
        """When h does not divide 5·a·s the per-layer figure is still exact: 34·sbh + 5·a·s²·b."""
        assert transformer_activation_bytes(3, 1, 7, 2) == 34 * 3 * 7 + 5 * 2 * 9


class TestRules:
    def test_frozen_parameters_have_weights_only(self) -> None:
        """Frozen parameters: no gradient, no optimizer state, no master copy."""
        net = lenet().freeze("0", "2")  # the convolutions: 156 + 2,416 parameters
        trainable = 61706 - 2572
        m = net.memory(dtype="bf16", mixed_precision=True)
        assert m.parameters == 61706 * 2
        assert m.gradients == trainable * 2
        assert m.master_weights == trainable * 4
        assert m.optimizer_state == trainable * 8

    def test_buffers_storage_only(self) -> None:
        """Buffers: storage in the dtype (integer ones in their own), no gradient or state."""
        m = Stats(10).memory(dtype="bf16", mixed_precision=True)
        assert m.buffers == 2 * 10 * 2 + 8  # running mean and var in bf16, the int64 counter
        assert m.parameters == 20 * 2
        assert m.gradients == 20 * 2
        assert m.states == 20 * 16 + m.buffers

    def test_shared_layer_counts_once(self) -> None:
        """A layer used twice stores its weights once, but saves each input it reads."""
        fc = pc.Linear(8, 8)
        m = pc.Sequential(fc, fc).memory((8,))
        assert m.parameters == 72 * 4
        assert m.activations == 2 * 8 * 4  # the second use's input, the output

    def test_without_input_shape(self) -> None:
        """No input shape: the batch-dependent figures are None, never a silent 0."""
        m = memory(lenet())
        assert (m.input, m.activations, m.training, m.inference) == (None, None, None, None)
        assert m.states == 16 * 61706

    def test_mixed_precision_needs_half_dtype(self) -> None:
        """Mixed precision with an fp32 dtype is a ConfigError saying what to give."""
        with pytest.raises(ConfigError, match=r"give dtype='bf16' or dtype='fp16'"):
            memory(lenet(), mixed_precision=True)

    def test_unknown_optimizer(self) -> None:
        """An unknown optimizer is a ConfigError listing the choices."""
        with pytest.raises(ConfigError, match=r"'sgd', 'sgd_momentum', 'adam', 'adamw'"):
            memory(lenet(), optimizer="lion")

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"batch_size": 0}, r"`batch_size` must be at least 1"),
            ({"mixed_precision": 1}, r"`mixed_precision` must be a bool"),
            ({"optimizer": None}, r"`optimizer` must be a str"),
        ],
    )
    def test_bad_arguments(self, kwargs: dict[str, object], message: str) -> None:
        """Bad arguments name themselves."""
        with pytest.raises(ConfigError, match=message):
            memory(lenet(), (1, 32, 32), **kwargs)  # type: ignore[arg-type]

    def test_transformer_arguments_checked(self) -> None:
        """The transformer helper rejects non-positive sizes by name."""
        with pytest.raises(ConfigError, match=r"`heads` must be at least 1"):
            transformer_activation_bytes(128, 1, 64, 0)

    def test_to_dict_has_totals(self) -> None:
        """to_dict carries the fields and the derived totals."""
        data = memory(lenet(), (1, 32, 32)).to_dict()
        assert data["training"] == 1238224
        assert data["inference"] == 283848
        assert data["dtype"] == "fp32"


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.integers(1, 40), min_size=2, max_size=6),
    frozen=st.lists(st.booleans(), min_size=5, max_size=5),
    batch=st.integers(1, 9),
    dtype=st.sampled_from(["fp32", "bf16", "fp16", "int8", "int4", "fp64"]),
)
def test_invariants(widths: list[int], frozen: list[bool], batch: int, dtype: str) -> None:
    """Byte figures follow from counts: states by trainable counts, rows sum to totals."""
    layers: list[Layer] = []
    for index, (a, b) in enumerate(itertools.pairwise(widths)):
        fc = pc.Linear(a, b, bias=index % 2 == 0)
        layers += [fc.freeze() if frozen[index] else fc, pc.ReLU()]
    net = pc.Sequential(*layers)
    report = net.report((widths[0],), batch_size=batch, dtype=dtype)
    m = report.memory
    assert m is not None
    leaves = report.leaves()
    assert m.parameters == report.param_bytes == sum(r.param_bytes for r in leaves)
    assert m.activations == report.activation_bytes
    per_tensor = [tensor_bytes(n, dtype) for _, s in net.named_parameters() for n in [_numel(s)]]
    assert m.parameters == sum(per_tensor)
    if dtype not in ("int4",):
        bytes_ = {"fp32": 4, "bf16": 2, "fp16": 2, "int8": 1, "fp64": 8}[dtype]
        assert m.parameters == net.params() * bytes_
        assert m.gradients == net.trainable_params() * bytes_
        assert m.optimizer_state == 2 * net.trainable_params() * bytes_
    if dtype in ("fp32", "bf16", "fp16", "fp64"):
        assert m.activations == batch * bytes_ * _saved(widths, frozen)
    else:
        assert m.activations is None


def _saved(widths: list[int], frozen: list[bool]) -> int:
    """Elements alive after the forward of Linear/ReLU pairs (derivatives.yaml): the input apart.

    A trained Linear keeps its input (its weight's gradient reads it); a frozen
    one keeps nothing. A ReLU keeps its output when a gradient flows through it.
    """
    kept, grad = 0, False
    for index, width in enumerate(widths[1:]):
        # a trained Linear keeps its input: the previous ReLU's output, unless kept already
        if not frozen[index] and index and not grad:
            kept += widths[index]
        grad = grad or not frozen[index]
        if grad:
            kept += width  # ReLU(x): threshold_backward(grad, result)
    return kept if grad else kept + widths[-1]  # the output, kept or not


def _numel(shape: Shape) -> int:
    total = 1
    for size in shape:
        total *= size
    return total


def test_seeded_frozen_mixes() -> None:
    """Seeded loop: in mixed precision, master + state = 12 bytes per trainable parameter."""
    rng = random.Random(7)
    for _ in range(50):
        net = pc.Sequential(*(pc.Linear(rng.randint(1, 30), rng.randint(1, 30)) for _ in range(4)))
        paths = [p for p in "0123" if rng.random() < 0.5]
        if paths:
            net = net.freeze(*paths)
        m = net.memory(dtype="fp16", mixed_precision=True)
        assert m.master_weights + m.optimizer_state == 12 * net.trainable_params()
        assert m.gradients == 2 * net.trainable_params()
        assert m.parameters == 2 * net.params()
