"""Hostile numbers end fast, with a result or a ParamcalcError: past int64, NaN, huge stacks."""

from __future__ import annotations

import math

import pytest

import paramcalc as nn
from paramcalc import ConfigError, ParamcalcError, ShapeError
from paramcalc.units import count, iec_bytes, short


class TestSizes:
    def test_sizes_past_int64_are_refused(self) -> None:
        """A size torch cannot allocate (past int64) is a ConfigError, not a later OverflowError."""
        with pytest.raises(ConfigError, match=r"`in_features` must be at most 9,223,372,036,854"):
            nn.Linear(10**200, 10**200)

    def test_ints_too_long_for_str_are_refused(self) -> None:
        """An int of 5,000 digits is refused with its size, not a bare ValueError from str()."""
        with pytest.raises(ConfigError, match="an int of 5,001 digits"):
            nn.Linear(10**5000, 2)

    def test_largest_size_works(self) -> None:
        """At torch's limit the counts are exact and the report renders."""
        big = 2**63 - 1
        layer = nn.Linear(big, big)
        assert layer.params() == big * big + big
        assert "params" in layer.report().render("text")

    def test_input_sizes_past_int64(self) -> None:
        """An input shape past int64 is a ShapeError."""
        with pytest.raises(ShapeError, match="at most 9,223,372,036,854,775,807"):
            nn.ReLU().output_shape((2**64,))


class TestNumbers:
    @pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e309])
    def test_scale_factor_must_be_finite(self, value: float) -> None:
        """Upsample's scale_factor is a finite number (torch fails at the first forward)."""
        with pytest.raises(ConfigError, match="`scale_factor` must be a finite number"):
            nn.Upsample(scale_factor=value)

    def test_output_size_past_floats(self) -> None:
        """A finite scale whose output passes the float range is a ShapeError."""
        with pytest.raises(ShapeError, match="beyond the floating-point range"):
            nn.Upsample(scale_factor=1.7e308).output_shape((1, 32))

    def test_nan_is_not_a_number_argument(self) -> None:
        """NaN is refused wherever a number is taken."""
        with pytest.raises(ConfigError, match="not NaN"):
            nn.LeakyReLU(math.nan)

    @pytest.mark.parametrize(
        ("value", "text"),
        [(10**400, "1.00e+400"), (-123 * 10**400, "-1.23e+402"), (2**1001, "2.14e+301")],
    )
    def test_units_past_floats(self, value: int, text: str) -> None:
        """Counts too large for a float are written in scientific notation, computed exactly."""
        assert count(value) == short(value) == text
        assert iec_bytes(abs(value)) == text.lstrip("-") + " B"


class TestStacks:
    @pytest.mark.parametrize(
        "build",
        [
            lambda: nn.LSTM(1, 1, 10**12),
            lambda: nn.GRU(1, 1, num_layers=1001),
            lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 1), 10**9),
            lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 1), 10**9),
            lambda: nn.Transformer(num_encoder_layers=10**9),
        ],
    )
    def test_stacks_are_limited(self, build: object) -> None:
        """Stacks listed layer by layer are limited to 1,000, with a message naming the limit."""
        with pytest.raises(ConfigError, match="must be at most 1,000"):
            build()  # type: ignore[operator]

    def test_the_limit_itself_works(self) -> None:
        """1,000 stacked LSTM layers of four tensors of 4 elements each."""
        # torch: weight_ih_l{k} (4H, H_in), weight_hh_l{k} (4H, H), two biases (4H,): H = H_in = 1
        assert nn.LSTM(1, 1, 1000).params() == 1000 * (4 + 4 + 4 + 4)


class TestAdaptivePooling:
    def test_window_sum_matches_aten(self) -> None:
        """The closed form L + out − gcd(L, out) equals ATen's windows ⌊iL/out⌋..⌈(i+1)L/out⌉."""
        for length in range(1, 60):
            for out in range(1, 60):
                windows = sum(-(-(i + 1) * length // out) - i * length // out for i in range(out))
                pool = nn.AdaptiveAvgPool1d(out)
                assert pool.elementwise_flops((1, length)) == windows

    def test_huge_sizes_are_fast(self) -> None:
        """AdaptiveAvgPool1d(10**12) at input (1, 10**12) costs nothing to count."""
        pool = nn.AdaptiveAvgPool1d(10**12)
        assert pool.macs((1, 10**12)) == 0
        assert pool.elementwise_flops((1, 10**12)) == 10**12  # one element per window


def test_errors_are_paramcalc_errors() -> None:
    """Every refusal above is a ParamcalcError (a ValueError)."""
    assert issubclass(ConfigError, ParamcalcError)
    assert issubclass(ShapeError, ParamcalcError)


class TestNesting:
    def test_containers_nested_too_deep_are_refused(self) -> None:
        """Nesting past MAX_NESTING is a ConfigError at construction, not a RecursionError later."""
        from paramcalc.nesting import MAX_NESTING

        net: nn.Layer = nn.Linear(1, 1)
        for _ in range(MAX_NESTING):
            net = nn.Sequential(net)
        assert net.params() == 2
        report = net.report((1,))
        assert len(report.rows) == MAX_NESTING  # the root has no row
        for form in ("text", "markdown", "html", "json"):
            assert report.render(form)
        assert nn.from_dict(report.to_dict()).params() == 2
        assert net.freeze().trainable_params() == 0
        assert repr(net).count("Sequential") == MAX_NESTING
        for make in (
            nn.Sequential,
            lambda layer: nn.Residual(layer),
            lambda layer: nn.Repeat(layer, 2),
            lambda layer: nn.ModuleList([layer]),
            lambda layer: nn.TransformerEncoder(layer, 1),
        ):
            with pytest.raises(ConfigError, match="nested at most 100 deep"):
                make(net)

    def test_a_thousand_levels(self) -> None:
        """The issue's reproducer: a network nested 1,000 deep ends with the limit's message."""

        def build() -> nn.Layer:
            net: nn.Layer = nn.Linear(1, 1)
            for _ in range(1000):
                net = nn.Sequential(net)
            return net

        with pytest.raises(ConfigError, match="nested at most 100 deep"):
            build()

    def test_module_cycles_are_refused(self) -> None:
        """A Module cannot be assigned into itself, directly or through a container."""

        class Block(nn.Module):
            pass

        outer, inner = Block(), Block()
        outer.inner = inner
        with pytest.raises(ConfigError, match="a cycle"):
            inner.outer = nn.Sequential(outer)
        with pytest.raises(ConfigError, match="a cycle"):
            outer.me = outer

    def test_from_dict_of_deeply_nested_specs(self) -> None:
        """from_dict of specs nested 2,000 deep is a ConfigError, not a RecursionError."""
        spec: dict[str, object] = {"type": "Linear", "args": {"in_features": 1, "out_features": 1}}
        for _ in range(2000):
            spec = {"type": "Residual", "args": {"block": {"$layer": spec}}}
        with pytest.raises(ConfigError, match="nested deeper than"):
            nn.from_dict({"schema": 1, "rows": [{"path": ""}], "spec": spec})


class TestIntsTooLongToShow:
    """An int of over 4,300 digits anywhere in an argument: a ParamcalcError, never str()'s."""

    HUGE = 10**4400

    @pytest.mark.parametrize(
        "build",
        [
            lambda huge: nn.AdaptiveAvgPool1d((0, huge)),
            lambda huge: nn.Upsample(0, (), huge),
            lambda huge: nn.Concat({"x": huge}),
            lambda huge: nn.Conv2d(1, 1, (huge, 1)),
            lambda huge: nn.Sequential({"a": huge}),
            lambda huge: nn.from_hf_config({"model_type": "llama", "vocab_size": (huge,)}),
        ],
    )
    def test_refused_with_a_message(self, build: object) -> None:
        """The message describes the int by its size."""
        with pytest.raises(ParamcalcError) as caught:
            build(self.HUGE)  # type: ignore[operator]
        assert str(caught.value)

    def test_from_dict(self) -> None:
        """A report naming a child by a huge int is malformed, said in one line."""
        data = nn.Sequential(nn.Residual(nn.Linear(2, 2))).report().to_dict()
        data["rows"][0]["spec"]["args"]["block"][0][1]["$child"] = self.HUGE
        with pytest.raises(ConfigError, match="malformed report"):
            nn.from_dict(data)


class TestHugeRepeats:
    """Repeat(Linear(4, 4), 10**12): a report, memory and freeze cost what n = 2 costs."""

    NET = nn.Repeat(nn.Linear(4, 4), 10**12)

    def test_report_is_one_row(self) -> None:
        """The identical copies are one row "×N" whose figures are their sum."""
        report = self.NET.report((4,))
        assert len(report.rows) == 1
        row = report.rows[0]
        assert (row.path, row.repeat, row.params, row.macs) == (
            "0",
            10**12,
            20 * 10**12,
            16 * 10**12,
        )
        text = report.render("text")
        assert "0–999999999999 ×1,000,000,000,000" in text
        assert "0-999999999999 x1,000,000,000,000" in report.render("text", ascii=True)
        for form in ("markdown", "html"):
            assert "×1,000,000,000,000" in report.render(form)
        assert nn.from_dict(report.to_dict()).report((4,)).to_dict() == report.to_dict()

    def test_memory(self) -> None:
        """Bytes of 10**12 copies: 20 fp32 parameters and a 4-element output each."""
        memory = self.NET.memory((4,))
        assert memory.parameters == 80 * 10**12
        assert memory.activations == 16 * 10**12

    def test_freeze(self) -> None:
        """freeze() marks the one block, not every copy; some copies only is refused."""
        assert self.NET.freeze().trainable_params() == 0
        net = nn.Sequential({"h": self.NET})
        for pattern in ("h.5", "h.1*", "h.[0-5]", "h.*5"):
            with pytest.raises(ConfigError, match="freeze or unfreeze all of them"):
                net.freeze(pattern)
        assert net.freeze("h").trainable_params() == net.freeze("h.*").trainable_params() == 0

    def test_shape_changing_copies(self) -> None:
        """Copies that change the shape get rows of their own; the settled ones one group."""
        net = nn.Repeat(nn.Conv2d(4, 4, 3, stride=2, padding=1), 6)
        rows = net.report((4, 16, 16)).rows
        assert [(row.path, row.repeat, row.output_shape) for row in rows] == [
            ("0", 1, (4, 8, 8)),
            ("1", 1, (4, 4, 4)),
            ("2", 1, (4, 2, 2)),
            ("3", 1, (4, 1, 1)),
            ("4", 2, (4, 1, 1)),  # 1×1 maps to itself: copies 4 and 5 are alike
        ]
