"""Encoder models (BERT and its relatives) from their configs."""

from __future__ import annotations

from paramcalc.hf.config import HFConfig
from paramcalc.layer import Layer
from paramcalc.zoo.language import bert

__all__ = ["build_bert"]


def build_bert(config: HFConfig) -> Layer:
    """``BertModel`` (with its pooler)."""
    config.ignore(
        "hidden_act",
        "hidden_dropout_prob",
        "attention_probs_dropout_prob",
        "position_embedding_type",
        "classifier_dropout",
        "gradient_checkpointing",
    )
    return bert(
        vocab_size=config.size("vocab_size"),
        hidden_size=config.size("hidden_size"),
        num_hidden_layers=config.size("num_hidden_layers"),
        num_attention_heads=config.size("num_attention_heads"),
        intermediate_size=config.size("intermediate_size"),
        max_position_embeddings=config.size("max_position_embeddings", 512),
        type_vocab_size=config.size("type_vocab_size", 2),
        layer_norm_eps=config.option("layer_norm_eps", 1e-12),
        pad_token_id=config.size("pad_token_id", 0, minimum=0),
    )
