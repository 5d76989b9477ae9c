"""One Settings object, read once at start (variables prefixed CONCIERGE_, or a .env file)."""

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from retrieval.candidates import Weights
from retrieval.diversity import DIVERSITY
from retrieval.embed import native_bfloat16

PROJECT_ROOT = Path(__file__).resolve().parent.parent
Precision = Literal["auto", "int8", "bfloat16", "float32"]  # a local chat model's weights


def resolved_precision(precision: Precision) -> Precision:
    """ "auto" is int8 where the CPU computes bfloat16 natively, else float32."""
    if precision == "auto":
        return "int8" if native_bfloat16() else "float32"
    return precision


def parse_client_keys(text: str) -> dict[str, int]:
    """ "key:per_minute, ..." -> {key: per_minute}."""
    limits = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        key, _, limit = pair.rpartition(":")
        if not key or not limit.isdigit() or int(limit) < 1:
            raise ValueError("CONCIERGE_CLIENT_KEYS: each entry is key:per_minute, e.g. s3cret:600")
        limits[key] = int(limit)
    return limits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONCIERGE_", env_file=".env", extra="ignore")

    # Where Chroma (embedded), the model cache and logs live.
    data_dir: Path = Path(".concierge")
    # Converted model weights; defaults to <data_dir>/models. Tests share one across data dirs.
    model_cache_dir: Path | None = None

    host: str = "127.0.0.1"  # loopback unless told otherwise
    port: int = 7860

    # Sessions, the feedback log and handoffs: a SQLAlchemy URL. Unset: a SQLite file in the data
    # directory. Several app processes share a PostgreSQL one (postgresql://user:pw@host/db).
    database_url: str | None = Field(default=None, repr=False)

    # A Chroma server replaces the embedded store when the host is set.
    chroma_host: str | None = None
    chroma_port: int = 8000
    # How often each process looks for catalogs re-ingested by another (0: never; a re-ingest
    # by this process's own admin endpoint shows at once).
    catalog_poll_seconds: float = Field(default=10.0, ge=0.0)

    # The chat model: "local" runs a Hugging Face model in-process (the packaged SmolLM2-135M
    # unless llm_model names another local path); "openai" talks to any OpenAI-compatible server.
    llm_provider: Literal["local", "openai"] | None = None  # None: "openai" if llm_base_url is set
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: str | None = Field(default=None, repr=False)
    llm_max_new_tokens: int = 48
    llm_temperature: float = 0.0  # greedy by default: reproducible and no worse at this size
    # How a local model's weights are held on the CPU. "int8": its linear layers' weights in
    # int8, computing in bfloat16 (bot/int8.py); the packaged model decodes about 2.5x faster
    # than in float32 here, and writes nearly the same (BENCHMARKS.md, explanations). "auto":
    # int8 where the CPU computes bfloat16 natively (AVX512-BF16, AMX), else float32.
    llm_precision: Precision = "auto"
    # How many of the top items get an LLM-drafted explanation (one batched call; the others,
    # and every sentence that fails the verifier, get template sentences), and its length.
    # Unset: with the packaged model, the top item's when it runs in int8 (a recommend turn then
    # takes about 1.5 s; three drafts, over 3 s: BENCHMARKS.md, explanations), none in float32;
    # 3 with any other model.
    explain_drafts: int | None = Field(default=None, ge=0, le=10)
    explain_max_tokens: int = Field(default=48, ge=8, le=256)

    api_key: str | None = Field(default=None, repr=False)  # protects admin endpoints
    # Origins (scheme://host[:port]) allowed to call the API from a browser (CORS) and to embed
    # the widget in a frame; comma-separated. Empty: this server's own pages only.
    allowed_origins: str = ""
    # Learning from the app's own log (bot/web/learning.py): the priors are learned again once
    # learn_every_events new events were logged, or learn_every_seconds after the last time if
    # any were (0 seconds: only by `concierge learn` or the admin API). An event half-life days
    # old counts half; one client address adds at most learn_client_cap (a like is 2) to an
    # item; learned priors count in proportion until learn_full_after sessions are in the log.
    # retention_days: events, sessions and handoffs older are deleted (unset: kept).
    learn_every_seconds: float = Field(default=300.0, ge=0.0)
    learn_every_events: int = Field(default=200, ge=1)
    learn_half_life_days: float = Field(default=30.0, gt=0.0)
    learn_client_cap: float = Field(default=2.0, ge=0.0)
    learn_full_after: int = Field(default=100, ge=0)  # sessions before learned priors count whole
    retention_days: float | None = Field(default=None, gt=0.0)

    # Where handoffs to a person go: always the database (<data_dir>/handoffs.jsonl while it
    # cannot be written), and this URL when set.
    handoff_webhook: str | None = None
    # Load limits: chat turns computed at once, turns waiting for one (more get 429 "busy"),
    # chat requests per client per minute, and the largest request body accepted.
    max_concurrent_turns: int = Field(default=2, ge=1)
    max_queued_turns: int = Field(default=16, ge=0)
    rate_limit_per_minute: int = Field(default=60, ge=1)
    # Clients with their own limit, "key:per_minute" pairs separated by commas: a request with
    # the header X-Client-Key: key counts against that key's limit instead of its address's (a
    # shop's backend chatting for many shoppers from one address).
    client_keys: str = Field(default="", repr=False)
    max_request_bytes: int = Field(default=256_000, ge=1_000)
    max_ingest_bytes: int = Field(default=200_000_000, ge=1_000)  # admin uploads

    default_catalog: str = "phones"
    demo_catalog_path: Path = PROJECT_ROOT / "data" / "bestbuy_phones.json"
    demo_mapping_path: Path = PROJECT_ROOT / "data" / "mappings" / "bestbuy_phones.yaml"
    demo_policies_path: Path = PROJECT_ROOT / "data" / "policies" / "phones"
    max_questions: int = 2  # questions before recommending anyway
    k: int = 5  # items shown per recommendation
    max_message_chars: int = 2000  # longer chat messages are truncated, with a note
    # The attention rerank keeps items whose weight w (best item = 1) is above theta; the
    # temperature sets how fast w falls with score. Defaults chosen on ReDial dev: BENCHMARKS.md.
    theta: float = Field(default=Weights.theta, ge=0.0, le=1.0)
    # Variety among the shown items for vague requests (0 keeps the ranking's order; exact
    # requests, a brand or a liked item, never get it): retrieval/diversity.py.
    diversity: float = Field(default=DIVERSITY, ge=0.0, le=1.0)
    temperature: float = Field(default=Weights.temperature, gt=0.0)
    # How the kind of thing is read when no word of a request names it (bot/understanding/
    # meaning.py): "words" (not at all: the default, since the held-out situations measured
    # lower with the others, BENCHMARKS.md), "embedder", or "chat" (and a loaded local chat
    # model's likelihoods).
    kinds_by: Literal["words", "embedder", "chat"] = "words"
    # Whether the LLM also reads each message into the need, by structured output with the
    # catalog's types and values as the choices (bot/understanding/llm_reading.py). None: yes
    # when the LLM is an OpenAI-compatible server (the packaged model cannot follow a schema).
    llm_reads_need: bool | None = None
    llm_read_timeout_s: float = Field(default=3.0, gt=0.0)  # then the offline reading alone

    @property
    def models_dir(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    @field_validator("client_keys")
    @classmethod
    def _check_client_keys(cls, text: str) -> str:
        parse_client_keys(text)  # a malformed entry fails the start, with the expected form
        return text

    @property
    def client_limits(self) -> dict[str, int]:
        return parse_client_keys(self.client_keys)

    @property
    def resolved_explain_drafts(self) -> int:
        if self.explain_drafts is not None:
            return self.explain_drafts
        packaged = self.resolved_llm_provider == "local" and not self.llm_model
        if not packaged:
            return 3
        return 1 if resolved_precision(self.llm_precision) == "int8" else 0

    @property
    def resolved_llm_reads_need(self) -> bool:
        if self.llm_reads_need is not None:
            return self.llm_reads_need
        return self.resolved_llm_provider == "openai"

    @property
    def resolved_llm_provider(self) -> str:
        if self.llm_provider:
            return self.llm_provider
        return "openai" if self.llm_base_url else "local"
