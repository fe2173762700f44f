"""Whisper: a speech encoder-decoder, from its config.

Tensors as ``transformers`` 5.23's ``modeling_whisper.py`` allocates them:
two convolutions over ``num_mel_bins`` log-mel channels, a frozen position
table (still a parameter), pre-norm layers whose key projections have no
bias, and ``proj_out`` tied to the decoder's token table (unless
``tie_word_embeddings`` is false). The input is a
log-mel spectrogram ``(num_mel_bins, 2 · max_source_positions)``; the
decoder is walked on the encoder's positions.

>>> from paramcalc.hf import from_hf_config
>>> tiny = from_hf_config({"model_type": "whisper", "vocab_size": 51865, "d_model": 384,
...     "encoder_layers": 4, "decoder_layers": 4, "encoder_attention_heads": 6,
...     "decoder_attention_heads": 6, "encoder_ffn_dim": 1536, "decoder_ffn_dim": 1536,
...     "architectures": ["WhisperForConditionalGeneration"]})
>>> tiny.params(), tiny.output_shape((80, 3000))
(37760640, (1500, 51865))
"""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.graph import Repeat
from paramcalc.hf.config import HFConfig
from paramcalc.hf.heads import num_labels
from paramcalc.hf.parts import Seq2SeqAttention, WithTables, attention, head, model, typed
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import FirstToken, Net, Permute, ResidualNet

__all__ = ["WhisperSeq2Seq", "build_whisper"]

_HEADS = ("Model", "ForConditionalGeneration", "ForCausalLM", "ForAudioClassification")


@dataclass(frozen=True, init=False, repr=False, eq=False)
class WhisperSeq2Seq(Net):
    """``WhisperModel``'s forward: the encoder, then the decoder (walked on its output)."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        out = visit("encoder", self.module("encoder"), shape)
        return visit("decoder", self.module("decoder"), out)


def _layer(width: int, inner: int, heads: int, decoder: bool) -> ResidualNet:
    kind = typed("WhisperAttention", Seq2SeqAttention)
    modules: dict[str, Layer] = {
        "self_attn": attention("kvqo", width, heads, biases="qvo", kind=kind, cached=decoder),
        "self_attn_layer_norm": pc.LayerNorm(width),
    }
    groups: list[list[str]] = [["self_attn_layer_norm", "self_attn"]]
    if decoder:
        modules["encoder_attn"] = attention(
            "kvqo", width, heads, biases="qvo", kind=kind, cross=True
        )
        modules["encoder_attn_layer_norm"] = pc.LayerNorm(width)
        groups.append(["encoder_attn_layer_norm", "encoder_attn"])
    modules |= {
        "fc1": pc.Linear(width, inner),
        "fc2": pc.Linear(inner, width),
        "final_layer_norm": pc.LayerNorm(width),
    }
    groups.append(["final_layer_norm", "fc1", "fc2"])
    name = "WhisperDecoderLayer" if decoder else "WhisperEncoderLayer"
    return typed(name, ResidualNet)(modules, groups)


def build_whisper(config: HFConfig) -> Layer:
    """``WhisperModel`` or the head ``architectures[0]`` names."""
    suffix = head(config, "Whisper", _HEADS)
    width = config.size("d_model")
    vocab = config.size("vocab_size")
    mels = config.size("num_mel_bins", 80)
    sources = config.size("max_source_positions", 1500)
    targets = config.size("max_target_positions", 448)
    pad = config.size("pad_token_id", 50256, minimum=0)
    config.ignore(
        "activation_function",
        "dropout",
        "attention_dropout",
        "activation_dropout",
        "encoder_layerdrop",
        "decoder_layerdrop",
        "init_std",
        "scale_embedding",
        "use_cache",
        "median_filter_width",
        "apply_spec_augment",
        "mask_time_prob",
        "mask_time_length",
        "mask_time_min_masks",
        "mask_feature_prob",
        "mask_feature_length",
        "mask_feature_min_masks",
        "forced_decoder_ids",
    )
    layers = config.size("encoder_layers")
    alias = config.maybe("num_hidden_layers")  # WhisperConfig's alias of encoder_layers
    if alias is not None and alias != layers:
        raise ConfigError(
            f"from_hf_config: {config.where}: `num_hidden_layers` (an alias of `encoder_layers`) "
            f"disagrees with it. Received: num_hidden_layers={shown(alias)}, "
            f"encoder_layers={layers}."
        )
    encoder = typed("WhisperEncoder", WithTables)(
        {
            "conv1": pc.Conv1d(mels, width, 3, padding=1),
            "conv2": pc.Conv1d(width, width, 3, stride=2, padding=1),
            "embed_positions": pc.Embedding(sources, width).freeze(),
            "layers": Repeat(
                _layer(
                    width,
                    config.size("encoder_ffn_dim"),
                    config.size("encoder_attention_heads"),
                    False,
                ),
                layers,
            ),
            "layer_norm": pc.LayerNorm(width),
        },
        [
            "conv1",
            ("gelu()", pc.GELU()),
            "conv2",
            ("gelu_()", pc.GELU()),
            ("permute()", Permute([0, 2, 1])),
            "layers",
            "layer_norm",
        ],
    )
    if suffix == "ForAudioClassification":
        config.ignore("decoder_layers", "decoder_attention_heads", "decoder_ffn_dim", "vocab_size")
        config.ignore("max_target_positions")
        modules: dict[str, Layer] = {"encoder": encoder}
        if config.option("use_weighted_layer_sum", False):
            modules["layer_weights"] = pc.Parameter(layers + 1)
        projection = config.size("classifier_proj_size", 256)
        modules["projector"] = pc.Linear(width, projection)
        modules["classifier"] = pc.Linear(projection, num_labels(config))
        return model(
            "WhisperForAudioClassification",
            modules,
            ["encoder", "projector", ("mean()", FirstToken()), "classifier"],
        )
    config.ignore("use_weighted_layer_sum", "classifier_proj_size")
    decoder = typed("WhisperDecoder", WithTables)(
        {
            "embed_tokens": pc.Embedding(vocab, width, padding_idx=pad),
            "embed_positions": pc.Embedding(targets, width),
            "layers": Repeat(
                _layer(
                    width,
                    config.size("decoder_ffn_dim"),
                    config.size("decoder_attention_heads"),
                    True,
                ),
                config.size("decoder_layers"),
            ),
            "layer_norm": pc.LayerNorm(width),
        },
        ["layers", "layer_norm"],
    )
    tied: Layer = pc.Linear(width, vocab, bias=False)
    if config.option("tie_word_embeddings", True):
        tied = tied.tied_to("model.decoder.embed_tokens.weight")
    if suffix == "ForCausalLM":
        config.ignore("encoder_layers", "encoder_attention_heads", "encoder_ffn_dim")
        config.ignore("num_mel_bins", "max_source_positions")
        wrapper = model("WhisperDecoderWrapper", {"decoder": decoder})
        return model("WhisperForCausalLM", {"model": wrapper, "proj_out": tied}, output="proj_out")
    whisper = model("WhisperModel", {"encoder": encoder, "decoder": decoder}, base=WhisperSeq2Seq)
    if suffix == "Model":
        return whisper
    return model(
        "WhisperForConditionalGeneration", {"model": whisper, "proj_out": tied}, output="proj_out"
    )
