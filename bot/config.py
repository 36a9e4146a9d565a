"""Settings from environment variables (the documentation's configuration reference is generated from them)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.text.addresses import LIST_URL_SCHEMES, list_url, mailbox, mailboxes, web_url_error

DKIM = ("dkim_selector", "dkim_domain", "dkim_key_file")
EDITION_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
DNS_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9])?)*")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SLACK_SETTINGS = ("slack_bot_token", "slack_app_token", "slack_signing_secret")
DEFAULT_EMBEDDINGS = "all-MiniLM-L6-v2-int8"  # ONNX Runtime, int8 arithmetic (PyTorch: sentence-transformers:...)
FLOAT_EMBEDDINGS = "all-MiniLM-L6-v2-fp32"  # the same model on ONNX Runtime, float32 arithmetic
EVENT_MAX_BYTES = 256 * 1024  # an event.yaml is a few KB; 10 MB of deadlines took minutes to plan
PACKAGE = Path(__file__).resolve().parent


def templates_dir(package: Path) -> Path:
    """The templates a wheel ships in the package (setup.py), else prompts/ beside it in a checkout."""
    packaged = package / "prompts"
    return packaged if packaged.is_dir() else package.parent / "prompts"


class Settings(BaseSettings):
    """Every knob of the bot; one environment variable each, same name upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_data_dir: Path = Field(Path("data"), description="the index (Chroma and its read copy), the SQLite "
                               "database, mail written to a folder, crawled sites, kept vectors")
    knowledge_dir: Path = Field(Path("knowledge"), description="the pages: one folder per edition, a Jekyll site's "
                                 "checkout, or a built site")
    edition_ids: str = Field("", description="FOLDER=ID pairs, comma-separated: the edition read from FOLDER is "
                             "called ID (two sites that give one id)")
    site_base_url: str | None = Field(None, description="base of the pages' public URLs when the site does not say")
    knowledge_url: str = Field("", description="published sites (http/https URLs, comma-separated), crawled at "
                               "every ingest into BOT_DATA_DIR/sites")
    crawl_contact: str | None = Field(None, description="contact the crawler names in its User-Agent (default: "
                                      "MAIL_FROM's address)")
    crawl_max_pages: int = Field(500, gt=0, description="pages one crawl of a site reads at most")
    knowledge_render: str = Field("", pattern="^(chromium)?$", description="chromium: run the scripts of crawled "
                                  "pages that scripts build, in headless Chromium (opt-in)")
    crawl_rate: float = Field(100.0, gt=0, le=1000, description="requests per second to a crawled site, at most "
                              "(one at a time)")
    max_page_bytes: int = Field(2_000_000, gt=0, description="a larger page file is refused (bytes of source)")
    page_cpu_seconds: int = Field(20, gt=0, le=3600, description="CPU time one page may take to read; "
                                  "a page over it is reported and skipped")
    page_memory_mb: int = Field(1024, ge=64, le=65536, description="memory one page may take to read")
    chroma_host: str | None = Field(None, description="Chroma server host; embedded store when unset")
    chroma_port: int = Field(8000, description="Chroma server port")
    chroma_collection: str = Field("workshop-knowledge", description="collection holding the passages")
    embeddings: str = Field(DEFAULT_EMBEDDINGS, description="embedding model, or provider:model")
    llm_model: str | None = Field(None, description="init_chat_model string; extractive answers when unset")
    max_question_chars: int = Field(4000, description="longer questions are refused")
    answer_max_chars: int = Field(600, description="length budget of extractive answers")
    log_level: str = Field("WARNING", description="DEBUG, INFO, WARNING or ERROR: what the log keeps")
    log_format: str = Field("text", pattern="^(text|json)$", description="text, or json: one object a line")
    prompts_dir: Path = Field(default_factory=lambda: templates_dir(PACKAGE), description="Jinja2 templates")

    database_url: SecretStr | None = Field(None, description="SQLAlchemy URL; SQLite in BOT_DATA_DIR when unset")

    slack_bot_token: SecretStr | None = Field(None, description="xoxb-…: Slack is used when set")
    slack_app_token: SecretStr | None = Field(None, description="xapp-…: Socket Mode when set")
    slack_signing_secret: SecretStr | None = Field(None, description="HTTP mode: verifies Slack's requests")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL")
    host: str = Field("0.0.0.0", description="interface to listen on: HTTP mode, /healthz, /readyz, /metrics")
    port: int = Field(3000, description="port of HTTP mode and of /healthz, /readyz, /metrics (console: if set)")
    organizers_channel: str | None = Field(None, description="channel id where escalations go")
    email_answers: str = Field("draft", pattern="^(draft|auto)$",
                               description="questions by email: draft (organizers approve each reply) or auto")
    organizer_user_ids: str = Field("", description="comma-separated Slack user ids of organizers")
    organizer_group: str | None = Field(None, description="Slack user group id whose members are organizers")
    placeholder_after: float = Field(1.0, description="seconds before a slow answer shows that it "
                                     "is coming: a task line in its stream, or a placeholder")
    slack_workers: int = Field(8, description="threads handling Slack requests after ack")
    answer_workers: int = Field(8, gt=0, description="threads computing answers in the serving process")
    answer_processes: int = Field(0, ge=0, description="worker processes computing Slack answers (0: threads)")
    slack_max_body: int = Field(1_048_576, gt=0, description="HTTP mode: larger request bodies get 413")

    announcements_channel: str | None = Field(None, description="channel for reminders and announcements")
    session_lead_minutes: int = Field(10, description="reminder this many minutes before each session")
    program_post_time: str = Field("08:00", description="local time of the programme post on the workshop day")
    reminder_grace: int = Field(3600, description="seconds a reminder missed while down is still worth sending")
    reload_interval: float = Field(30.0, description="seconds between checks for changed "
                                   "pages and event.yaml files, and re-crawls of sites given by URL")
    leader_lease: float = Field(15.0, gt=0, description="seconds the replica running the reminders holds its lease")
    event_max_bytes: int = Field(EVENT_MAX_BYTES, gt=0, description="a larger event.yaml is refused")

    smtp_host: str | None = Field(None, description="SMTP server; without it mail is written to files")
    smtp_port: int | None = Field(None, description="SMTP port (default 587 for starttls, 465 for ssl, 25 for none)")
    smtp_username: str | None = Field(None, description="SMTP login")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_security: str = Field("starttls", pattern="^(starttls|ssl|none)$", description="starttls, ssl or none")
    smtp_deadline: float = Field(60.0, gt=0, description="seconds one email may take in all; then retried")
    mail_from: str | None = Field(None, description="From: `Name <addr>` or `addr`; needed to send to the list")
    mailing_list: str = Field("", description="list address(es): `Name <addr>` or `addr`, commas between")
    mail_reply_to: str | None = Field(None, description="Reply-To (default: the edition's contact)")
    list_unsubscribe_url: str | None = Field(None, description="https unsubscribe URL (adds one-click unsubscribe)")
    list_help_url: str | None = Field(None, description="List-Help: an https, http or mailto URL")
    list_archive_url: str | None = Field(None, description="List-Archive: an https, http or mailto URL")
    dkim_selector: str | None = Field(None, description="DKIM selector (s=); with DKIM_DOMAIN and DKIM_KEY_FILE")
    dkim_domain: str | None = Field(None, description="DKIM signing domain (d=)")
    dkim_key_file: Path | None = Field(None, description="PEM file of the RSA private key that signs the mail")
    inbound_protocol: str = Field("lmtp", pattern="^(lmtp|smtp)$", description="questions by email: lmtp or smtp")
    inbound_host: str = Field("127.0.0.1", description="interface the mail listener binds (the MTA's side)")
    inbound_port: int | None = Field(None, ge=0, lt=65536,
                                      description="mail listener port (0: any free one); no listener when unset")
    inbound_max_bytes: int = Field(10_485_760, gt=0, description="larger mail is refused with 552")
    inbound_replies_per_day: int = Field(5, ge=0, description="mails from one sender answered in 24 hours")
    inbound_replies_per_domain: int = Field(50, ge=0, description="mails from one domain answered in 24 hours")
    mail_authserv_ids: str = Field("", description="the receiving mail servers whose Authentication-Results "
                                   "are trusted (comma-separated authserv-ids); EMAIL_ANSWERS=auto replies only "
                                   "to senders they authenticated")
    imap_host: str | None = Field(None, description="questions by email from a mailbox instead: polled when set")
    imap_port: int = Field(993, gt=0, lt=65536, description="IMAP port")
    imap_security: str = Field("ssl", pattern="^(ssl|starttls|none)$",
                               description="ssl (IMAPS), starttls, or none (a server on localhost only)")
    imap_user: str | None = Field(None, description="IMAP login; with IMAP_HOST")
    imap_password: SecretStr | None = Field(None, description="IMAP password; with IMAP_HOST")
    imap_folder: str = Field("INBOX", description="the folder whose unseen mail is read")
    imap_poll_seconds: float = Field(60.0, gt=0, description="how often the folder is read")
    digest_cron: str = Field("0 9 * * MON", description="when digests go out (crontab, UTC)")
    digest_review: bool = Field(True, description="an hour before a digest, organizers may exclude its questions")

    @field_validator("mail_from", "mail_reply_to", "inbound_port", "imap_host", "imap_user", "imap_password",
                     *LIST_URL_SCHEMES, *DKIM, mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value  # `MAIL_REPLY_TO=` in a .env file

    @field_validator("mail_from", "mail_reply_to")
    @classmethod
    def _one_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            mailbox(str(info.field_name).upper(), value)
        return value

    @field_validator("mailing_list")
    @classmethod
    def _addresses(cls, value: str) -> str:
        mailboxes("MAILING_LIST", value)
        return value

    @field_validator(*LIST_URL_SCHEMES)
    @classmethod
    def _list_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        name = str(info.field_name)
        return None if value is None else list_url(name.upper(), value, LIST_URL_SCHEMES[name])

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL={value!r}: not a level ({', '.join(LOG_LEVELS)})")
        return value.upper()

    @field_validator("digest_cron")
    @classmethod
    def _crontab(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger  # only here: the scheduler is not needed to read settings

        try:
            CronTrigger.from_crontab(value)
        except ValueError as error:
            raise ValueError(f"DIGEST_CRON={value!r}: not a crontab line of five fields, minute hour day month "
                             f"weekday, like '0 9 * * MON' ({error})") from None
        return value

    @field_validator("embeddings")
    @classmethod
    def _model(cls, value: str) -> str:
        if value not in (DEFAULT_EMBEDDINGS, FLOAT_EMBEDDINGS) and not re.fullmatch(r"[\w.-]+:\S+", value):
            raise ValueError(f"EMBEDDINGS={value!r}: not a model name: {DEFAULT_EMBEDDINGS} (the default), "
                             f"{FLOAT_EMBEDDINGS}, "
                             "sentence-transformers:MODEL, or a LangChain provider:model "
                             "(openai:text-embedding-3-small)")
        return value

    @field_validator("edition_ids")
    @classmethod
    def _renames(cls, value: str) -> str:
        for pair in filter(None, (part.strip() for part in value.split(","))):
            folder, _, edition = pair.partition("=")
            if not folder.strip() or not EDITION_ID.fullmatch(edition.strip()):
                raise ValueError(f"EDITION_IDS: {pair!r} is not FOLDER=ID (an id of lower-case letters, digits, "
                                 "'.', '-' or '_', like neurips2023-archive)")
        return value

    @field_validator("site_base_url", mode="before")
    @classmethod
    def _web_url(cls, value: object) -> object:
        if value in ("", None):
            return None
        if isinstance(value, str) and (problem := web_url_error(value)):
            raise ValueError(f"SITE_BASE_URL: {problem}")
        return value

    @field_validator("dkim_selector", "dkim_domain")
    @classmethod
    def _dns_name(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not DNS_NAME.fullmatch(value):
            raise ValueError(f"{str(info.field_name).upper()}={value!r}: not a DNS name")
        return value

    @model_validator(mode="after")
    def _dkim_all_or_none(self) -> Settings:
        missing = [name.upper() for name in DKIM if getattr(self, name) is None]
        if 0 < len(missing) < len(DKIM):
            raise ValueError(f"{' and '.join(missing)} not set: DKIM signing needs DKIM_SELECTOR, DKIM_DOMAIN "
                             "and DKIM_KEY_FILE together")
        if self.dkim_key_file is not None and not self.dkim_key_file.is_file():
            raise ValueError(f"DKIM_KEY_FILE={str(self.dkim_key_file)!r}: no such file")
        return self

    @model_validator(mode="after")
    def _imap_login(self) -> Settings:
        if self.imap_host and not (self.imap_user and self.imap_password):
            raise ValueError("IMAP_HOST is set: IMAP_USER and IMAP_PASSWORD are needed to log in")
        return self

    @property
    def list_address(self) -> str | None:
        """The (first) list's bare address, e.g. for the unsubscribe line of a digest."""
        found = mailboxes("MAILING_LIST", self.mailing_list)
        return found[0].addr_spec if found else None

    @property
    def renamed_editions(self) -> dict[Path, str]:
        """EDITION_IDS as resolved folder → id: a folder is named as on the command line (relative to the
        working directory) or absolutely."""
        pairs = (part.partition("=") for part in self.edition_ids.split(",") if part.strip())
        return {Path(folder.strip()).expanduser().resolve(): edition.strip() for folder, _, edition in pairs}

    @property
    def trusted_authserv_ids(self) -> set[str]:
        return {part.strip().lower() for part in self.mail_authserv_ids.split(",") if part.strip()}

    @property
    def organizer_ids(self) -> set[str]:
        return {u.strip() for u in self.organizer_user_ids.split(",") if u.strip()}

    @property
    def slack_mode(self) -> str:
        """socket, http or console, from the credentials present."""
        if self.slack_bot_token and self.slack_app_token:
            return "socket"
        if self.slack_bot_token and self.slack_signing_secret:
            return "http"
        return "console"

    @property
    def knowledge_urls(self) -> list[str]:
        return [url.strip() for url in self.knowledge_url.split(",") if url.strip()]

    @property
    def sites_dir(self) -> Path:
        """Where crawled sites are written, one folder each."""
        return self.bot_data_dir / "sites"

    @property
    def chroma_dir(self) -> Path:
        return self.bot_data_dir / "chroma"

    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)


class SettingError(ValueError):
    """A setting that passed its syntax check but does not work (a model that cannot be loaded): the
    message names the variable, its value and what went wrong, on one line."""


def invalid_settings(error: ValidationError) -> str:
    """What is wrong with the environment, in one line: each variable named, with its value."""
    problems = []
    for problem in error.errors(include_url=False):
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] != "value_error" and problem["loc"]:  # pydantic's own: name the variable here
            message = f"{str(problem['loc'][0]).upper()}={problem['input']!r}: {message}"
        problems.append(message)
    return "; ".join(problems)
