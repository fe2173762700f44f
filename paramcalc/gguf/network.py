"""The network a GGUF header describes: its metadata as a Hugging Face config, built and checked.

llama.cpp's converter writes a model's sizes as ``<arch>.*`` metadata
(``llama.embedding_length``, ``llama.block_count``, ``llama.attention.head_count_kv``
…). :func:`hf_config` maps them back to the ``config.json`` keys of the
``transformers`` family (the vocabulary from ``<arch>.vocab_size`` or the
tokenizer's token list; tied embeddings when the file has no ``output.weight``;
biases when the file has them), and :func:`gguf_network` builds it with
:func:`paramcalc.hf.from_hf_config`, then compares the file's tensors with the
network's, naming any that differ.

>>> from paramcalc.gguf.reader import GGUFFile
>>> meta = {"general.architecture": "llama", "llama.embedding_length": 4096,
...     "llama.block_count": 32, "llama.feed_forward_length": 11008,
...     "llama.attention.head_count": 32, "llama.vocab_size": 32000}
>>> config = hf_config(GGUFFile("x.gguf", 3, meta, (), 32, 0, 0, 0, 0))
>>> config["model_type"], config["num_key_value_heads"], config["tie_word_embeddings"]
('llama', 32, True)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from paramcalc.errors import ConfigError
from paramcalc.gguf.reader import GGUFArray, GGUFError, GGUFFile
from paramcalc.layer import Layer

__all__ = ["ARCHITECTURES", "gguf_network", "hf_config"]


class _Meta:
    """Typed reads of ``<arch>.<key>`` from the metadata, with the file's name in errors."""

    def __init__(self, gguf: GGUFFile, arch: str) -> None:
        self.gguf = gguf
        self.arch = arch

    def get(self, key: str) -> Any:
        return self.gguf.metadata.get(f"{self.arch}.{key}")

    def size(self, key: str, default: int | None = None) -> int:
        value = self.get(key)
        if isinstance(value, GGUFArray) and value.values:  # per-layer: one value for all
            distinct = set(value.values)
            if len(distinct) != 1:
                raise GGUFError(
                    f"{self.gguf.path}: {self.arch}.{key} differs from layer to layer "
                    f"({sorted(distinct)[:4]}…); paramcalc builds one size for every layer"
                )
            value = value.values[0]
        if value is None:
            if default is None:
                raise GGUFError(f"{self.gguf.path}: the metadata has no {self.arch}.{key}")
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise GGUFError(
                f"{self.gguf.path}: {self.arch}.{key} must be a whole number >= 0; "
                f"it is {value!r:.40}"
            )
        return value

    def number(self, key: str) -> float | None:
        value = self.get(key)
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )

    def has(self, tensor: str) -> bool:
        return any(info.name == tensor for info in self.gguf.tensors)


def _vocab(meta: _Meta) -> int:
    size = meta.get("vocab_size")
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    tokens = meta.gguf.metadata.get("tokenizer.ggml.tokens")
    if isinstance(tokens, GGUFArray):
        return tokens.count
    for info in meta.gguf.tensors:
        if info.name == "token_embd.weight":
            return info.shape[0]
    raise GGUFError(
        f"{meta.gguf.path}: no vocabulary size: neither {meta.arch}.vocab_size, "
        "tokenizer.ggml.tokens nor token_embd.weight"
    )


def _common(meta: _Meta, model_type: str) -> dict[str, Any]:
    heads = meta.size("attention.head_count")
    hidden = meta.size("embedding_length")
    config: dict[str, Any] = {
        "model_type": model_type,
        "vocab_size": _vocab(meta),
        "hidden_size": hidden,
        "num_hidden_layers": meta.size("block_count"),
        "num_attention_heads": heads,
        "num_key_value_heads": meta.size("attention.head_count_kv", heads),
        "tie_word_embeddings": not meta.has("output.weight"),
    }
    if "feed_forward_length" in _keys(meta):
        config["intermediate_size"] = meta.size("feed_forward_length")
    head_dim = meta.get("attention.key_length")
    if head_dim is not None:
        config["head_dim"] = meta.size("attention.key_length")
    eps = meta.number("attention.layer_norm_rms_epsilon")
    if eps is not None:
        config["rms_norm_eps"] = float(f"{eps:.7g}")  # stored as float32
    return config


def _keys(meta: _Meta) -> set[str]:
    prefix = meta.arch + "."
    return {key[len(prefix) :] for key in meta.gguf.metadata if key.startswith(prefix)}


def _llama(meta: _Meta) -> dict[str, Any]:
    experts = meta.size("expert_count", 0)
    config = _common(meta, "mixtral" if experts else "llama")
    if experts:
        config["num_local_experts"] = experts
        config["num_experts_per_tok"] = meta.size("expert_used_count")
    else:
        config["attention_bias"] = meta.has("blk.0.attn_q.bias")
        config["mlp_bias"] = meta.has("blk.0.ffn_up.bias")
    return config


def _qwen3(meta: _Meta) -> dict[str, Any]:
    config = _common(meta, "qwen3")
    config["attention_bias"] = meta.has("blk.0.attn_q.bias")
    return config


def _qwen_moe(model_type: str) -> Callable[[_Meta], dict[str, Any]]:
    def read(meta: _Meta) -> dict[str, Any]:
        config = _common(meta, model_type)
        config["num_experts"] = meta.size("expert_count")
        config["num_experts_per_tok"] = meta.size("expert_used_count")
        config["moe_intermediate_size"] = meta.size("expert_feed_forward_length")
        config.setdefault("intermediate_size", config["moe_intermediate_size"])
        if model_type == "qwen2_moe":
            config["shared_expert_intermediate_size"] = meta.size(
                "expert_shared_feed_forward_length"
            )
        else:
            config["attention_bias"] = meta.has("blk.0.attn_q.bias")
        return config

    return read


def _windowed(model_type: str) -> Callable[[_Meta], dict[str, Any]]:
    def read(meta: _Meta) -> dict[str, Any]:
        config = _common(meta, model_type)
        if meta.get("attention.sliding_window"):  # Phi-3's converter writes 0 for none
            config["sliding_window"] = meta.size("attention.sliding_window")
        return config

    return read


def _rows(meta: _Meta, tensor: str) -> int | None:
    """The first (torch-order) size of ``tensor`` in the file, or None when it is absent."""
    for info in meta.gguf.tensors:
        if info.name == tensor:
            return info.shape[0]
    return None


def _feed_forward(meta: _Meta) -> int:
    """The MLP's width: the rows of ``blk.0.ffn_up`` (the converter writes Phi-2's as 4·hidden)."""
    return _rows(meta, "blk.0.ffn_up.weight") or meta.size("feed_forward_length")


def _gpt2_like(model_type: str) -> Callable[[_Meta], dict[str, Any]]:
    """GPT-2 and GPT-BigCode (``starcoder``): ``n_embd``-style keys and learned positions."""

    def read(meta: _Meta) -> dict[str, Any]:
        config: dict[str, Any] = {
            "model_type": model_type,
            "vocab_size": _vocab(meta),
            "n_embd": meta.size("embedding_length"),
            "n_layer": meta.size("block_count"),
            "n_head": meta.size("attention.head_count"),
            "n_positions": _rows(meta, "position_embd.weight") or meta.size("context_length"),
            "n_inner": _feed_forward(meta),
        }
        if model_type == "gpt_bigcode":
            config["multi_query"] = meta.size("attention.head_count_kv", 0) == 1
        return config

    return read


def _neox_like(model_type: str) -> Callable[[_Meta], dict[str, Any]]:
    """Phi-2 (``phi``) and GPT-NeoX: layer norms with biases, an untied head."""

    def read(meta: _Meta) -> dict[str, Any]:
        heads = meta.size("attention.head_count")
        config: dict[str, Any] = {
            "model_type": model_type,
            "vocab_size": _vocab(meta),
            "hidden_size": meta.size("embedding_length"),
            "num_hidden_layers": meta.size("block_count"),
            "num_attention_heads": heads,
            "intermediate_size": _feed_forward(meta),
            "tie_word_embeddings": not meta.has("output.weight"),
        }
        if model_type == "phi":
            config["num_key_value_heads"] = meta.size("attention.head_count_kv", heads)
        else:
            config["attention_bias"] = meta.has("blk.0.attn_qkv.bias")
        return config

    return read


def _falcon(meta: _Meta) -> dict[str, Any]:
    heads = meta.size("attention.head_count")
    kv_heads = meta.size("attention.head_count_kv", heads)
    new = meta.has("blk.0.attn_norm_2.weight")  # Falcon-40B's two layer norms
    return {
        "model_type": "falcon",
        "vocab_size": _vocab(meta),
        "hidden_size": meta.size("embedding_length"),
        "num_hidden_layers": meta.size("block_count"),
        "num_attention_heads": heads,
        "num_kv_heads": kv_heads,
        "new_decoder_architecture": new,
        "multi_query": kv_heads == 1 and not new,
        "bias": meta.has("blk.0.attn_qkv.bias"),
        "ffn_hidden_size": _feed_forward(meta),
    }


def _deepseek2(meta: _Meta) -> dict[str, Any]:
    config = _common(meta, "deepseek_v3")
    rope = meta.size("rope.dimension_count")
    key = meta.size("attention.key_length_mla", 0) or meta.size("attention.key_length")
    config.pop("head_dim", None)
    config.update(
        {
            "n_routed_experts": meta.size("expert_count"),
            "num_experts_per_tok": meta.size("expert_used_count"),
            "first_k_dense_replace": meta.size("leading_dense_block_count", 0),
            "moe_intermediate_size": meta.size("expert_feed_forward_length"),
            "n_shared_experts": meta.size("expert_shared_count", 0),
            "q_lora_rank": meta.size("attention.q_lora_rank", 0) or None,
            "kv_lora_rank": meta.size("attention.kv_lora_rank"),
            "qk_rope_head_dim": rope,
            "qk_nope_head_dim": key - rope,
            "v_head_dim": meta.size("attention.value_length_mla", 0)
            or meta.size("attention.value_length"),
        }
    )
    return config


def _gpt_oss(meta: _Meta) -> dict[str, Any]:
    config = _windowed("gpt_oss")(meta)
    config["num_local_experts"] = meta.size("expert_count")
    config["num_experts_per_tok"] = meta.size("expert_used_count")
    config["intermediate_size"] = meta.size("expert_feed_forward_length")
    return config


ARCHITECTURES: Mapping[str, Callable[[_Meta], dict[str, Any]]] = {
    "llama": _llama,
    "qwen2": _windowed("qwen2"),
    "qwen3": _qwen3,
    "qwen2moe": _qwen_moe("qwen2_moe"),
    "qwen3moe": _qwen_moe("qwen3_moe"),
    "gemma": _windowed("gemma"),
    "gemma2": _windowed("gemma2"),
    "gemma3": _windowed("gemma3_text"),
    "phi3": _windowed("phi3"),
    "olmo2": _windowed("olmo2"),
    "deepseek2": _deepseek2,
    "gpt-oss": _gpt_oss,
    "gpt2": _gpt2_like("gpt2"),
    "starcoder": _gpt2_like("gpt_bigcode"),
    "phi2": _neox_like("phi"),
    "gptneox": _neox_like("gpt_neox"),
    "falcon": _falcon,
}
"""GGUF ``general.architecture`` values paramcalc builds, each with its metadata reader."""


def hf_config(gguf: GGUFFile) -> dict[str, Any]:
    """The Hugging Face ``config.json`` dict the header's metadata describes (see the module)."""
    arch = gguf.metadata.get("general.architecture")
    if not isinstance(arch, str):
        raise GGUFError(f"{gguf.path}: the metadata has no general.architecture string")
    read = ARCHITECTURES.get(arch)
    if read is None:
        raise GGUFError(
            f"{gguf.path}: general.architecture {arch[:40]!r} is not one paramcalc builds; "
            f"it builds {', '.join(sorted(ARCHITECTURES))}"
        )
    config = read(_Meta(gguf, arch))
    if config["model_type"] == "qwen2" and "sliding_window" in config:
        config["use_sliding_window"] = False  # Qwen2's converter writes no switch: off, as HF
    return config


def _differences(gguf: GGUFFile, network: Layer) -> list[str]:
    """The tensors whose name or shape differ between the file and the built network."""
    from paramcalc.gguf.names import gguf_shapes

    expected = gguf_shapes(network)
    found = {info.name: info.shape for info in gguf.tensors}
    problems = []
    for name, shape in found.items():
        want = expected.get(name)
        if want is None:
            problems.append(f"{name} {list(shape)} (not in the network)")
        elif tuple(want) != tuple(shape):
            problems.append(f"{name} is {list(shape)}, the network's {list(want)}")
    problems.extend(f"{name} (missing from the file)" for name in expected if name not in found)
    return problems


def gguf_network(gguf: GGUFFile) -> tuple[Layer, tuple[str, ...]]:
    """The network the header describes, and warnings naming the tensors that differ from it."""
    from paramcalc.hf import from_hf_config

    config = hf_config(gguf)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        network = from_hf_config(config)
    notes = [str(item.message) for item in caught]
    try:
        problems = _differences(gguf, network)
    except ConfigError as problem:  # a family whose GGUF names paramcalc does not know
        notes.append(f"{gguf.path}: the tensors were not checked against the network: {problem}")
        problems = []
    if problems:
        shown = "; ".join(problems[:8]) + (
            f"; … {len(problems) - 8} more" if len(problems) > 8 else ""
        )
        notes.append(
            f"{gguf.path}: {len(problems)} tensor(s) differ from the {config['model_type']} "
            f"network built from the metadata: {shown}"
        )
    return network, tuple(notes)
