"""How the searcher ranks: fusion weights, candidate counts and late interaction, defined once.

The settings (``RetrievalSettings``) extend this model, so a value has one name, one default and one check
whether it comes from the environment or from a test; importing it loads nothing of the search stack.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SearchOptions(BaseModel):
    """Fusion weights and limits of one searcher."""

    model_config = ConfigDict(frozen=True)

    candidates: int = Field(50, ge=5, le=1000, description="Candidates each retriever passes to fusion")
    rrf_k: int = Field(5, ge=1, description="Reciprocal-rank-fusion constant (small: first places count most)")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion")
    sentence_weight: float = Field(1.0, ge=0, description="Weight of the best-sentence ranking in fusion")
    english_dense_weight: float = Field(
        1.0, ge=0, description="Weight of the English companion's chunk ranking (English questions only)"
    )
    english_sentence_weight: float = Field(
        1.0, ge=0, description="Weight of the English companion's best-sentence ranking (English questions only)"
    )
    translated_weight: float = Field(
        0.5,
        ge=0,
        description="Weight of the English companion's chunk and sentence rankings of the English words a question "
        "in another language stands for (word by word); chosen on the calibration half of evals/answerability",
    )
    late_interaction: bool = Field(
        True,
        description="Store the chunks' token states at index build and rerank the fused top passages by "
        "token-level matching (needs the ONNX backend)",
    )
    late_depth: int = Field(30, ge=1, le=200, description="Fused passages that late interaction ranks again")
    late_weight: float = Field(1.0, ge=0, description="Weight of the token-level ranking when fused with theirs")
