"""print(model) of live transformers 5.23 models reads back to torch's total.

The models are built on the meta device from each family's default config cut
to two layers, as ``tests/fixtures/make_printed_corpus.py`` builds the corpus;
the corpus test covers 554 models without torch, this checks a sample live.
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import pytest

from paramcalc.printed import read_printed

CASES = [
    ("gpt2", "GPT2LMHeadModel", {}),
    ("llama", "LlamaForCausalLM", {}),
    ("qwen3", "Qwen3ForCausalLM", {}),
    ("gemma2", "Gemma2ForCausalLM", {}),
    ("mixtral", "MixtralForCausalLM", {"experts": 8, "expert_width": 14336}),
    ("t5", "T5ForConditionalGeneration", {}),
    ("bart", "BartForConditionalGeneration", {}),
    ("bert", "BertForMaskedLM", {}),
    ("roberta", "RobertaForMaskedLM", {}),
    ("whisper", "WhisperForConditionalGeneration", {}),
    ("vit", "ViTForImageClassification", {"image_size": 224}),
    ("clip", "CLIPModel", {"image_size": 224}),
    ("swin", "SwinForImageClassification", {}),
    ("convnext", "ConvNextForImageClassification", {}),
    ("wav2vec2", "Wav2Vec2ForCTC", {}),
    ("mamba", "MambaForCausalLM", {}),
    # issue 23: heads and tables print(model) does not show
    ("albert", "AlbertForPreTraining", {}),
    ("deberta-v2", "DebertaV2ForMaskedLM", {}),
    ("electra", "ElectraForPreTraining", {}),
    ("mobilebert", "MobileBertForPreTraining", {}),
    ("segformer", "SegformerForSemanticSegmentation", {}),
    ("levit", "LevitForImageClassification", {"image_size": 224}),
]


def _build(torch: ModuleType, transformers: ModuleType, model_type: str, name: str) -> Any:
    config = transformers.AutoConfig.for_model(model_type)
    for sub in (
        config,
        getattr(config, "text_config", None),
        getattr(config, "vision_config", None),
    ):
        for key in (
            "num_hidden_layers",
            "num_layers",
            "n_layer",
            "encoder_layers",
            "decoder_layers",
        ):
            value = getattr(sub, key, None)
            if isinstance(value, int) and value > 2:
                setattr(sub, key, 2)
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        return getattr(transformers, name)(config)


@pytest.mark.parametrize(("model_type", "name", "options"), CASES, ids=[c[1] for c in CASES])
def test_printed_total_is_torchs(
    torch: ModuleType, transformers: ModuleType, model_type: str, name: str, options: Any
) -> None:
    """The total read from print(model) is torch's ``sum(p.numel() for p in parameters())``."""
    model = _build(torch, transformers, model_type, name)
    network, _ = read_printed(str(model), **options)
    assert network.params() == sum(p.numel() for p in model.parameters())


_UNKNOWN = ("not ones paramcalc knows", "not a layer paramcalc knows")


@pytest.mark.parametrize(
    ("model_type", "name"),
    [
        ("bert", "BertForMaskedLM"),
        ("roberta", "RobertaForMaskedLM"),
        ("albert", "AlbertForMaskedLM"),
    ],
)
@pytest.mark.parametrize("tie", [True, False], ids=["tied", "untied"])
def test_masked_lm_heads_hold_their_bias(
    torch: ModuleType, transformers: ModuleType, model_type: str, name: str, tie: bool
) -> None:
    """The head's own ``bias`` is torch's, tied to ``decoder.bias`` only with the weight's tie."""
    config = transformers.AutoConfig.for_model(model_type, num_hidden_layers=1)
    config.tie_word_embeddings = tie
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        model = getattr(transformers, name)(config)
    network, notes = read_printed(str(model), tied=tie)
    theirs = {key: tuple(value.shape) for key, value in model.named_parameters()}
    assert dict(network.named_parameters()) == theirs
    assert not [note for note in notes if any(words in note for words in _UNKNOWN)]
