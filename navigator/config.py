"""Settings read from the environment (prefix ``NAVIGATOR_``) and ``.env``; components get plain values."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChunkingSettings(BaseModel):
    """How sections are cut into retrievable chunks (part of the index manifest)."""

    max_words: int = Field(160, ge=20, le=2000, description="Target chunk length in words")
    overlap_sentences: int = Field(1, ge=0, le=10, description="Sentences repeated at each chunk boundary")


class RetrievalSettings(BaseModel):
    """How retrieval ranks chunks."""

    top_k: int = Field(8, ge=1, le=100, description="Chunks returned by default")
    candidates: int = Field(50, ge=5, le=1000, description="Candidates each retriever passes to fusion")
    rrf_k: int = Field(5, ge=1, description="Reciprocal-rank-fusion constant (small: first places count most)")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion")
    sentence_weight: float = Field(1.0, ge=0, description="Weight of the best-sentence ranking in fusion")
    expand_glossary: bool = Field(True, description="Add English SEND terms found via the glossary")


class Settings(BaseSettings):
    """Everything configurable, with defaults that run on a laptop."""

    model_config = SettingsConfigDict(
        env_prefix="NAVIGATOR_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    corpus_dir: Path = Field(Path("corpus"), description="Built corpus (documents.jsonl)")
    sources_dir: Path = Field(Path("corpus/sources"), description="Shipped source documents + manifest.json")
    index_dir: Path = Field(Path("var/index"), description="Built FAISS + BM25 index")
    model_cache_dir: Path = Field(Path("var/models"), description="Where `navigator models install` writes")
    embedding_model: str = Field(
        "intfloat/multilingual-e5-small",
        description="Sentence-transformers model name or path; the default is provisioned offline",
    )
    embedding_batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedding batch")
    max_query_chars: int = Field(1000, ge=10, le=20000, description="Longest accepted query")
    host: str = Field("127.0.0.1", description="Address `navigator serve` binds to")
    port: int = Field(8000, ge=1, le=65535, description="Port `navigator serve` listens on")
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)

    @field_validator("embedding_model")
    @classmethod
    def _model_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("embedding_model must name a model or a path")
        return value.strip()

    @model_validator(mode="after")
    def _candidates_cover_top_k(self) -> Settings:
        if self.retrieval.candidates < self.retrieval.top_k:
            raise ValueError("retrieval.candidates must be at least retrieval.top_k")
        return self

    @property
    def documents_path(self) -> Path:
        """The corpus JSONL file."""
        return self.corpus_dir / "documents.jsonl"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once."""
    return Settings()
