"""Matrix settings from the environment, checked once at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.config import ConfigError

ENV_PREFIX = "MATRIX_"
DEVICE_NAME = "Wegweiser"
_USER_ID = re.compile(r"^@[^:\s]+:[^\s/]+$")
_SERVER_NAME = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")


def matrix_configured(env: Mapping[str, str] | None = None) -> bool:
    """True if any MATRIX_* variable is set, so a missing one is an error, not a choice."""
    env = os.environ if env is None else env
    return any(key.startswith(ENV_PREFIX) and value.strip() for key, value in env.items())


def server_of(user_id: str) -> str:
    """The homeserver name of a Matrix user id: ``@anna:example.org`` → ``example.org``."""
    return user_id.partition(":")[2]


@dataclass(frozen=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    access_token: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    # Homeservers whose users may invite the bot; empty means everyone.
    allowed_servers: frozenset[str] = frozenset()
    device_name: str = DEVICE_NAME

    def may_invite(self, inviter: str) -> bool:
        return not self.allowed_servers or server_of(inviter) in self.allowed_servers

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MatrixConfig:
        env = os.environ if env is None else env
        homeserver = env.get("MATRIX_HOMESERVER", "").strip().rstrip("/")
        if not homeserver:
            raise ConfigError(
                "MATRIX_HOMESERVER is not set; set it to the homeserver's address, "
                "e.g. https://matrix.example.org"
            )
        parts = urlsplit(homeserver)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"MATRIX_HOMESERVER must be an http(s) address such as "
                f"https://matrix.example.org, not '{homeserver}'"
            )
        user_id = env.get("MATRIX_USER_ID", "").strip()
        if not user_id:
            raise ConfigError(
                "MATRIX_USER_ID is not set; set it to the bot's full Matrix id, "
                "e.g. @wegweiser:example.org"
            )
        if not _USER_ID.match(user_id):
            raise ConfigError(
                f"MATRIX_USER_ID must be a full Matrix id such as @wegweiser:example.org, "
                f"not '{user_id}'"
            )
        token = env.get("MATRIX_ACCESS_TOKEN", "").strip() or None
        password = env.get("MATRIX_PASSWORD", "") or None
        if token is None and password is None:
            raise ConfigError(
                "set MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD so the bot can log in to Matrix"
            )
        servers = [s for s in re.split(r"[\s,]+", env.get("MATRIX_ALLOWED_SERVERS", "")) if s]
        for server in servers:
            if not _SERVER_NAME.match(server):
                raise ConfigError(
                    "MATRIX_ALLOWED_SERVERS must list homeserver names separated by commas, "
                    f"e.g. 'example.org, matrix.org', and '{server}' is not one"
                )
        return cls(homeserver, user_id, token, password, frozenset(servers))
