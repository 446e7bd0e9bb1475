"""Configuration from environment variables, checked once at start-up.

Every setting has a safe default, so ``wegweiser console`` runs with none set.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _default_dir(name: str) -> Path:
    # The working directory wins, so another town runs its own content by starting there.
    here = Path.cwd() / name
    return here if here.is_dir() else PROJECT_DIR / name


def _default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wegweiser"


def env_int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    """A whole-number setting; a clear ConfigError for anything else."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not '{raw}'") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be 'true' or 'false', not '{raw}'")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    content_dir: Path
    locales_dir: Path
    database_url: str
    secret_env: str | None
    keep_unanswered: bool
    unanswered_days: int
    catchup_minutes: int
    reload_seconds: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("WEGWEISER_DATA_DIR") or _default_data_dir(env)).expanduser()
        database_url = env.get("WEGWEISER_DATABASE_URL", "").strip()
        if not database_url:
            database_url = f"sqlite+aiosqlite:///{data_dir / 'wegweiser.db'}"
        elif "://" not in database_url:
            raise ConfigError(
                "WEGWEISER_DATABASE_URL must be an SQLAlchemy URL such as "
                "'postgresql+asyncpg://user:password@host/db'"
            )
        return cls(
            data_dir=data_dir,
            content_dir=Path(env.get("WEGWEISER_CONTENT_DIR") or _default_dir("content")),
            locales_dir=Path(env.get("WEGWEISER_LOCALES_DIR") or _default_dir("locales")),
            database_url=database_url,
            secret_env=env.get("WEGWEISER_SECRET") or None,
            keep_unanswered=_bool(env, "WEGWEISER_KEEP_UNANSWERED", True),
            unanswered_days=env_int(env, "WEGWEISER_UNANSWERED_DAYS", 90, minimum=1),
            catchup_minutes=env_int(env, "WEGWEISER_CATCHUP_MINUTES", 15),
            reload_seconds=env_int(env, "WEGWEISER_RELOAD_SECONDS", 10),
        )

    def prepare_data_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the data directory {self.data_dir} ({exc.strerror}); "
                "set WEGWEISER_DATA_DIR to a writable folder"
            ) from None

    def secret(self) -> bytes:
        """The key for hashing user ids: WEGWEISER_SECRET, else a random one kept on disk."""
        if self.secret_env:
            return self.secret_env.encode()
        self.prepare_data_dir()
        path = self.data_dir / "secret"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip().encode()
