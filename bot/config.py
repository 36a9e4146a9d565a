"""Settings from environment variables (documented in the README's table)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDINGS = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Every knob of the bot; one environment variable each, same name upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_data_dir: Path = Field(Path("data"), description="Chroma store, SQLite database, mail outbox")
    knowledge_dir: Path = Field(Path("knowledge"), description="one folder per edition")
    site_base_url: str = Field("https://mlforsystems.org", description="base of the pages' public URLs")
    chroma_host: str | None = Field(None, description="Chroma server host; embedded store when unset")
    chroma_port: int = Field(8000, description="Chroma server port")
    chroma_collection: str = Field("workshop-knowledge", description="collection holding the passages")
    embeddings: str = Field(DEFAULT_EMBEDDINGS, description="embedding model, or provider:model")
    llm_model: str | None = Field(None, description="init_chat_model string; extractive answers when unset")
    max_question_chars: int = Field(4000, description="longer questions are refused")
    answer_max_chars: int = Field(600, description="length budget of extractive answers")
    log_level: str = Field("WARNING", description="logging level")
    prompts_dir: Path = Field(Path(__file__).resolve().parent.parent / "prompts", description="Jinja2 templates")

    @property
    def chroma_dir(self) -> Path:
        return self.bot_data_dir / "chroma"

    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)
