"""The reader's knowledge of well-known classes, ties, options and compressed repeats.

Expected totals are torch's (transformers 5.23, timm 1.0.31) from the corpus
in tests/fixtures/printed_corpus/, or worked out from the class's constructor.
"""

from __future__ import annotations

import time

import pytest

import paramcalc as pc
from paramcalc.errors import SpecError
from paramcalc.printed import looks_printed, read_printed

LLAMA = """LlamaForCausalLM(
  (model): LlamaModel(
    (embed_tokens): Embedding(1000, 64)
    (norm): LlamaRMSNorm((64,), eps=1e-06)
  )
  (lm_head): Linear(in_features=64, out_features=1000, bias=False)
)"""


def test_rms_norm_subclasses_hold_their_printed_shape() -> None:
    """``LlamaRMSNorm((64,), eps=...)`` holds a weight of the printed shape (its extra_repr)."""
    network, _ = read_printed(LLAMA)
    assert dict(network.named_parameters())["model.norm.weight"] == (64,)


def test_an_untied_default_is_said_with_the_option() -> None:
    """LlamaForCausalLM checkpoints differ: untied by default, a warning names both tensors."""
    network, warnings = read_printed(LLAMA)
    assert network.params() == 2 * 64_000 + 64
    assert len(warnings) == 1
    assert "lm_head.weight may be tied to model.embed_tokens.weight" in warnings[0]
    assert "tied=True (--tied)" in warnings[0]
    assert "removes 64,000" in warnings[0]


def test_the_tie_option_settles_it() -> None:
    """``tied=True`` counts the shared tensor once and says nothing more."""
    network, warnings = read_printed(LLAMA, tied=True)
    assert (network.params(), warnings) == (64_000 + 64, ())
    assert read_printed(LLAMA, tied=False).network.params() == 2 * 64_000 + 64


def test_t5_shares_one_embedding_three_ways() -> None:
    """T5's shared, encoder and decoder embed_tokens and lm_head are one tensor."""
    text = """T5ForConditionalGeneration(
  (shared): Embedding(100, 8)
  (encoder): T5Stack(
    (embed_tokens): Embedding(100, 8)
    (final_layer_norm): T5LayerNorm()
  )
  (decoder): T5Stack(
    (embed_tokens): Embedding(100, 8)
    (final_layer_norm): T5LayerNorm()
  )
  (lm_head): Linear(in_features=8, out_features=100, bias=False)
)"""
    network, warnings = read_printed(text)
    assert (network.params(), warnings) == (800 + 8 + 8, ())


def test_scaled_std_conv_has_its_gain() -> None:
    """timm's ScaledStdConv2d holds a gain (out, 1, 1, 1) beside the convolution's tensors."""
    text = "Net(\n  (conv): ScaledStdConv2d(3, 16, kernel_size=(3, 3), stride=(2, 2))\n)"
    network, _ = read_printed(text)
    assert dict(network.named_parameters())["conv.gain"] == (16, 1, 1, 1)
    assert network.params() == 16 * 27 + 16 + 16


def test_norm_with_activation_keeps_its_arguments() -> None:
    """timm's BatchNormAct2d prints its BatchNorm2d arguments before its children: counted."""
    text = """Net(
  (bn): BatchNormAct2d(
    64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True
    (drop): Identity()
    (act): ReLU(inplace=True)
  )
)"""
    network, warnings = read_printed(text)
    assert network.params() == 128
    assert not [warning for warning in warnings if "BatchNormAct2d" in warning]


def test_image_size_sizes_position_embeddings() -> None:
    """HF ViT's position embeddings: one row per 16×16 patch plus the class token."""
    text = """ViTModel(
  (embeddings): ViTEmbeddings(
    (patch_embeddings): ViTPatchEmbeddings(
      (projection): Conv2d(3, 768, kernel_size=(16, 16), stride=(16, 16))
    )
  )
)"""
    conv = 768 * 3 * 16 * 16 + 768
    network, warnings = read_printed(text)
    assert network.params() == conv + 768 + 197 * 768
    assert any("224×224" in warning for warning in warnings)
    network, warnings = read_printed(text, image_size=384)
    assert (network.params(), warnings) == (conv + 768 + (24 * 24 + 1) * 768, ())


def test_fused_experts_are_named() -> None:
    """A fused MoE layer prints no sizes: the warning names the class and its place."""
    text = "Block(\n  (gate): MixtralTopKRouter()\n  (fc): Linear(4, 4)\n)"
    _, warnings = read_printed(text)
    assert any(
        w.startswith("MixtralTopKRouter at gate: fused mixture-of-experts layers print no sizes")
        and "experts= and expert_width= (--experts, --expert-width)" in w
        for w in warnings
    )


def test_a_billion_copies_read_in_milliseconds() -> None:
    """A repeat filling its ModuleList stays one Repeat: constant time whatever the count."""
    text = (
        "Net(\n  (layers): ModuleList(\n"
        "    (0-999999999): 1000000000 x Linear(in_features=4, out_features=4, bias=True)\n  )\n)"
    )
    assert looks_printed(text)
    start = time.perf_counter()
    network, _ = read_printed(text)
    assert network.params() == 20 * 10**9
    assert time.perf_counter() - start < 0.1


def test_only_compressed_children_look_printed() -> None:
    """Text whose children are all compressed repeats is recognized as print(model) text."""
    assert looks_printed(
        "ModuleList(\n  (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)\n)"
    )


def test_huge_repeats_beside_other_children_are_refused() -> None:
    """A huge repeat that does not fill its container would be expanded: refused with the limit."""
    text = (
        "ModuleList(\n  (0): ReLU()\n"
        "  (1-20001): 20001 x Linear(in_features=4, out_features=4, bias=True)\n)"
    )
    with pytest.raises(SpecError, match="expand to more than 20,000 modules"):
        read_printed(text)


def test_names_are_kept_after_a_removed_child() -> None:
    """A ModuleList printed without (0) keeps torch's names, not renumbered ones."""
    text = "ModuleList(\n  (1): Linear(in_features=4, out_features=4, bias=True)\n)"
    network, _ = read_printed(text)
    assert [name for name, _ in network.named_parameters()] == ["1.weight", "1.bias"]


def test_duplicate_names_are_refused() -> None:
    """Two children with one name cannot come from torch: an error, not a dropped child."""
    text = "Net(\n  (a): ReLU()\n  (a): Linear(in_features=4, out_features=4, bias=True)\n)"
    with pytest.raises(SpecError, match="two children are named `a`"):
        read_printed(text)


def test_options_are_checked() -> None:
    """``tied`` is a bool or None, ``image_size`` a positive int."""
    with pytest.raises(pc.ConfigError):
        read_printed(LLAMA, tied=1)  # type: ignore[arg-type]
    with pytest.raises(pc.ConfigError):
        read_printed(LLAMA, image_size=0)


class TestCommandLine:
    """The options reach ``read_printed`` from the command line; warnings go to stderr."""

    def run(self, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
        from paramcalc.cli import main

        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    def test_tied_and_untied(self, capsys: pytest.CaptureFixture[str]) -> None:
        """``--tied`` counts the shared weight once and silences the warning; ``--untied`` too."""
        status, out, err = self.run(capsys, "--total", LLAMA)
        assert (status, out) == (0, "128064\n")
        assert "pass tied=True (--tied)" in err
        assert self.run(capsys, "--total", "--tied", LLAMA) == (0, "64064\n", "")
        assert self.run(capsys, "--total", "--untied", LLAMA) == (0, "128064\n", "")

    def test_experts(self, capsys: pytest.CaptureFixture[str]) -> None:
        """``--experts`` and ``--expert-width`` size a fused MoE layer: 2·(E·H) + 3·E·H·I."""
        text = """MixtralForCausalLM(
  (model): MixtralModel(
    (embed_tokens): Embedding(10, 4)
    (layers): ModuleList(
      (0-1): 2 x MixtralDecoderLayer(
        (mlp): MixtralSparseMoeBlock(
          (gate): MixtralTopKRouter()
          (experts): MixtralExperts(
            (act_fn): SiLUActivation()
          )
        )
      )
    )
  )
  (lm_head): Linear(in_features=4, out_features=10, bias=False)
)"""
        argv = ("--total", "--untied", "--experts", "3", "--expert-width", "5", text)
        status, out, err = self.run(capsys, *argv)
        per_layer = 3 * 4 + 3 * 10 * 4 + 3 * 4 * 5
        assert (status, out, err) == (0, f"{40 + 2 * per_layer + 40}\n", "")
