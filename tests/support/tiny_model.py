"""A tiny, randomly initialised sentence-transformers folder: exporting and checking it takes a second."""

from __future__ import annotations

import json
from pathlib import Path

WORDS = "the a child school plan support parent council needs ehc send help what is my son daughter".split()


def write_tiny_model(
    folder: Path, *, seed: int = 0, pooling: str = "mean", prompts: bool = True, lower_case: bool = False
) -> Path:
    """A 2-layer BERT with a word-level tokenizer, prompts and the given pooling (``mean``, ``cls`` or ``max``)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "query", "passage", ":", *WORDS])}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=0,
                        initializer_range=1.0)  # large weights: texts get clearly different vectors
    BertModel(config).save_pretrained(folder)
    files = {
        "tokenizer_config.json": {"tokenizer_class": "PreTrainedTokenizerFast", "pad_token": "[PAD]",
                                  "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                                  "model_max_length": 64},
        "sentence_bert_config.json": {"max_seq_length": 64, "do_lower_case": lower_case},
        "config_sentence_transformers.json": {"prompts": {"query": "query: ", "passage": "passage: "} if prompts
                                              else {}},
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {"word_embedding_dimension": 32, "pooling_mode_mean_tokens": pooling == "mean",
                                  "pooling_mode_cls_token": pooling == "cls",
                                  "pooling_mode_max_tokens": pooling == "max"},
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(data), encoding="utf-8")
    (folder / "2_Normalize").mkdir(exist_ok=True)
    return folder
