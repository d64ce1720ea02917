"""Settings read from the environment (prefix ``NAVIGATOR_``) and ``.env``; components get plain values."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from navigator.retrieval.options import SearchOptions


class ChunkingSettings(BaseModel):
    """How sections are cut into retrievable chunks (part of the index manifest)."""

    max_words: int = Field(160, ge=20, le=2000, description="Target chunk length in words")
    overlap_sentences: int = Field(1, ge=0, le=10, description="Sentences repeated at each chunk boundary")


_CHECKOUT = Path(__file__).resolve().parents[1]
_SHARE = "send-navigator"  # <prefix>/share/send-navigator: the wheel's data files (pyproject.toml, data-files)


def shipped_path(relative: str) -> Path:
    """A folder shipped with the navigator (``widget``, ``corpus/sources``), wherever it was installed.

    In a source checkout (and an editable install) it sits beside the package; a wheel puts it under
    ``<prefix>/share/send-navigator/``. The checkout's copy wins, so an edit there is what is served.
    """
    in_checkout = _CHECKOUT / relative
    if in_checkout.exists():
        return in_checkout
    return Path(sys.prefix) / "share" / _SHARE / relative


class RetrievalSettings(SearchOptions):
    """How retrieval ranks chunks: the searcher's options, and what the API and index build add to them."""

    model_config = ConfigDict(frozen=False)

    top_k: int = Field(8, ge=1, le=100, description="Chunks returned by default")
    expand_glossary: bool = Field(True, description="Add English SEND terms found via the glossary")
    translate_words: bool = Field(
        True,
        description="Questions in other languages also search the English words their own words stand for "
        "(data/word_translations.json); needs expand_glossary",
    )


class SafeguardingSettings(BaseModel):
    """How messages that tell of a child at risk are recognised (see navigator/answer/safety.py)."""

    meaning: bool = Field(
        True, description="Also compare the message's query vector with example disclosures (no extra model call)"
    )
    margin: float = Field(
        3.6,
        description="The meaning score a message needs to be flagged. The score adds how much nearer the message is "
        "to example disclosures than to ordinary examples and its distance from a boundary fitted on all examples "
        "(data/safeguarding_probe.json), each in spreads over ordinary messages; for multilingual-e5-small, chosen "
        "on the calibration half of evals/safeguarding",
    )
    guarded_margin: float = Field(
        3.8,
        description="The same when a negation or a staff policy cue is present (at least the margin: doubt never "
        "lowers the bar; chosen with it on the calibration half)",
    )
    pattern_floor: float = Field(
        0.9,
        description="A word-pattern hit is set aside when the meaning score is below this (\"grooming\" as hair "
        "care, a story about a homeless man); chosen on the calibration half as the strictest value that loses no "
        "disclosure there",
    )
    parts_offset: float = Field(
        2.6,
        description="Each sentence of a message, and what it says after its opening sentence, is also judged alone, "
        "its meaning score lowered by this much (\"Who do I ring at night? He is in a bad way.\" reads as its "
        "question as a whole); chosen with the margins on the calibration half; infinity judges the whole message only",
    )
    short_raise: float = Field(
        0.0,
        ge=0.0,
        description="How much higher the meaning score must be for a message of one word than for one of ten or "
        "more, in between in proportion (\"ok I'll ring them tomorrow\" has little meaning of its own; word patterns "
        "still count at any length). Off: on held-out messages 1.25 removed 8 of 42 false alarms and missed one more "
        "disclosure (docs/benchmarks.md, \"Short messages\")",
    )
    neighbours: int = Field(3, ge=1, le=20, description="Nearest examples averaged on each side")
    calibrated_for: str = Field(
        "intfloat/multilingual-e5-small",
        description="The embedding model the margins were chosen for; with another model the meaning check is off "
        "(patterns only) until `python -m evals.safeguarding.calibrate` chooses margins for it",
    )


class LLMSettings(BaseModel):
    """The optional language model that writes answers; "none" keeps the extractive composer only."""

    provider: Literal["none", "openai", "ollama"] = Field(
        "none",
        description='Which client talks to the model: "openai" (any OpenAI-compatible server), "ollama" or "none"',
    )
    base_url: str | None = Field(
        None, description="OpenAI-compatible base URL (e.g. http://127.0.0.1:8080/v1) or the Ollama URL"
    )
    model: str | None = Field(None, description="Model name the server knows the model by")
    api_key: SecretStr | None = Field(
        None, description="API key, if the server needs one (local servers usually do not)"
    )
    timeout_seconds: float = Field(
        20.0, ge=1, le=120, description="Seconds to wait for the model before the extractive answer is used"
    )
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature (0: the most literal answer)")
    max_tokens: int = Field(600, ge=16, le=8192, description="Longest reply the model may write, in tokens")

    @model_validator(mode="after")
    def _server_named(self) -> LLMSettings:
        if self.provider == "none":
            return self
        missing = [
            f"NAVIGATOR_LLM__{name.upper()}"
            for name in ("base_url", "model")
            if not (getattr(self, name) or "").strip()
        ]
        if missing:
            raise ValueError(
                f"NAVIGATOR_LLM__PROVIDER={self.provider} needs {' and '.join(missing)}; "
                "set them, or set NAVIGATOR_LLM__PROVIDER=none to answer without a language model"
            )
        if not (self.base_url or "").strip().startswith(("http://", "https://")):
            raise ValueError(f"NAVIGATOR_LLM__BASE_URL must start with http:// or https:// (got {self.base_url!r})")
        return self


class Settings(BaseSettings):
    """Everything configurable, with defaults that run on a laptop."""

    model_config = SettingsConfigDict(
        env_prefix="NAVIGATOR_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    corpus_dir: Path = Field(Path("corpus"), description="Built corpus (documents.jsonl)")
    sources_dir: Path = Field(
        default_factory=lambda: shipped_path("corpus/sources"),
        description="Shipped source documents + manifest.json (default: the copy shipped with the navigator)",
    )
    index_dir: Path = Field(Path("var/index"), description="Built FAISS + BM25 index")
    model_cache_dir: Path = Field(Path("var/models"), description="Where `navigator models install` writes")
    embedding_model: str = Field(
        "intfloat/multilingual-e5-small",
        description="Sentence-transformers model name or path; the default is provisioned offline",
    )
    english_model: str = Field(
        "sentence-transformers/all-mpnet-base-v2",
        description="A second, English-only model whose rankings are fused in for English questions (the default "
        "is provisioned offline); empty to use the main model alone",
    )
    embedding_backend: Literal["auto", "onnx", "torch"] = Field(
        "auto",
        description="What runs the embedding models: onnx (ONNX Runtime, about 3x faster per query on CPU; "
        "`navigator models install` exports each provisioned model), torch (sentence-transformers through "
        "langchain-huggingface), or auto (onnx where a checked export exists, else torch)",
    )
    embedding_batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedding batch")
    max_query_chars: int = Field(1000, ge=10, le=20000, description="Longest accepted query")
    host: str = Field("127.0.0.1", description="Address `navigator serve` binds to")
    port: int = Field(8000, ge=1, le=65535, description="Port `navigator serve` listens on")
    database_path: Path = Field(Path("var/navigator.sqlite3"), description="Conversation history and feedback (SQLite)")
    database_busy_timeout: float = Field(
        5.0,
        gt=0,
        le=60,
        description="Seconds to wait for another process's lock on the database before answering 503 (a chat "
        "reply is still sent, unstored)",
    )
    retention_days: int = Field(
        30, ge=1, le=3650, description="Days a conversation and its feedback are kept after its last activity"
    )
    history_turns: int = Field(
        2, ge=0, le=10, description="Earlier questions of a conversation used to understand a follow-up"
    )
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token for POST /api/admin/reload (at least 16 characters); unset disables the route",
    )
    safeguarding: SafeguardingSettings = Field(
        default_factory=SafeguardingSettings, description="Recognising messages about a child at risk"
    )
    answer_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Answer only when the answerability model's probability is at least this, in every language; "
        "unset: the thresholds fitted with the model (data/answerability_model.json: one for English questions, "
        "one for the other languages). 0 answers whatever was found (tests, other models)",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins of council pages allowed to embed the widget",
    )
    rate_limit_per_minute: int = Field(
        30, ge=0, le=100_000, description="POST /api/* requests a minute per client address; 0 disables the limit"
    )
    rate_limit_burst: int = Field(
        10, ge=1, le=100_000, description="Requests a client address may send at once before the rate applies"
    )
    trust_forwarded_for: bool = Field(
        False,
        description="Key the rate limit by the last X-Forwarded-For entry (set only behind one trusted proxy "
        "that appends it; otherwise clients could pick their own key)",
    )
    max_request_bytes: int = Field(
        16384, ge=1024, le=10_000_000, description="Largest request body accepted (larger ones get 413 unread)"
    )
    worker_threads: int = Field(
        8,
        ge=1,
        le=200,
        description="Threads that answer requests at once; more requests wait their turn. The model already uses "
        "every core for one query, so more threads than a few only add memory (each keeps its own working set)",
    )
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)

    @field_validator("embedding_model")
    @classmethod
    def _model_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("embedding_model must name a model or a path")
        return value.strip()

    @field_validator("admin_token")
    @classmethod
    def _admin_token_strong(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None  # NAVIGATOR_ADMIN_TOKEN= (empty) leaves the admin route disabled
        if len(value.get_secret_value().strip()) < 16:
            raise ValueError(
                "admin_token must be at least 16 characters; make one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return SecretStr(value.get_secret_value().strip())

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
