"""A real Synapse homeserver, run as a child process, for Matrix integration tests.

``SynapseServer`` writes a self-contained homeserver config (SQLite, one plain HTTP
client listener on 127.0.0.1, no federation, relaxed rate limits) into a directory,
starts ``python -m synapse.app.homeserver`` and registers users through the
shared-secret admin API.

The process is driven with :class:`subprocess.Popen` rather than an asyncio
subprocess transport on purpose: nothing in this class is bound to an event loop,
so a server started in one loop (or synchronously, from a plain fixture) can be
used, restarted and stopped from any other loop. Every async method only awaits
``asyncio.sleep`` and short-lived aiohttp sessions.

Each ``start*``/``stop*`` comes as an async method and a blocking ``*_sync`` twin
for synchronous pytest fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from nio import AsyncClient, AsyncClientConfig

RELAXED_RATE = (10_000.0, 100_000)
"""(per_second, burst_count) used for every rate limiter unless told otherwise."""

# Rate limiter keys known to Synapse 1.163 (synapse/config/ratelimiting.py).
# Dotted names are nested mappings. ``rc_message`` is handled separately.
_RATE_LIMIT_KEYS = (
    "rc_registration",
    "rc_registration_token_validity",
    "rc_login.address",
    "rc_login.account",
    "rc_login.failed_attempts",
    "rc_admin_redaction",
    "rc_joins.local",
    "rc_joins.remote",
    "rc_joins_per_room",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_invites.per_room",
    "rc_invites.per_user",
    "rc_invites.per_issuer",
    "rc_third_party_invite",
    "rc_media_create",
    "rc_presence.per_user",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
)

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
_POLL_INTERVAL = 0.05


class SynapseError(RuntimeError):
    """Synapse failed to start, or an admin API call failed."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _rate(per_second: float, burst: int) -> dict[str, Any]:
    return {"per_second": per_second, "burst_count": burst}


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class SynapseServer:
    """One Synapse homeserver living in ``directory``.

    ``message_rate`` is the ``rc_message`` limiter as ``(per_second, burst_count)``;
    it defaults to the relaxed values used for every other limiter, pass something
    like ``(0.5, 3)`` to provoke ``M_LIMIT_EXCEEDED`` in a rate-limit test.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        server_name: str = "localhost",
        port: int | None = None,
        message_rate: tuple[float, int] = RELAXED_RATE,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._server_name = server_name
        self.port = port or free_port()
        self.message_rate = message_rate
        self.shared_secret = secrets.token_urlsafe(32)
        self.config_path = self.directory / "homeserver.yaml"
        self.log_path = self.directory / "homeserver.log"
        self.console_path = self.directory / "console.log"
        self.start_seconds: float | None = None
        """Wall time the last start took until ``/versions`` answered."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._console: Any = None
        self._write_config()

    # -- public properties -------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server_name(self) -> str:
        return self._server_name

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self._server_name}"

    def rss_bytes(self) -> int | None:
        """Resident set size of the Synapse process (Linux only), or None."""
        if not self.running:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    # -- config ------------------------------------------------------------

    def _write_config(self) -> None:
        d = self.directory
        signing_key = d / "signing.key"
        if not signing_key.exists():
            from signedjson.key import generate_signing_key, write_signing_keys

            key = generate_signing_key("a_" + secrets.token_hex(2))
            with signing_key.open("w") as fh:
                write_signing_keys(fh, [key])

        log_config = d / "log.config.yaml"
        log_config.write_text(
            yaml.safe_dump(
                {
                    "version": 1,
                    "formatters": {
                        "precise": {
                            "format": "%(asctime)s - %(name)s - %(lineno)d - "
                            "%(levelname)s - %(request)s - %(message)s"
                        }
                    },
                    "filters": {"context": {"()": "synapse.logging.context.LoggingContextFilter"}},
                    "handlers": {
                        "file": {
                            "class": "logging.FileHandler",
                            "formatter": "precise",
                            "filters": ["context"],
                            "filename": str(self.log_path),
                            "encoding": "utf8",
                        }
                    },
                    "root": {"level": "WARNING", "handlers": ["file"]},
                    "disable_existing_loggers": False,
                }
            )
        )

        config: dict[str, Any] = {
            "server_name": self._server_name,
            "pid_file": str(d / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(d / "homeserver.db")},
            },
            "log_config": str(log_config),
            "media_store_path": str(d / "media_store"),
            "signing_key_path": str(signing_key),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_urlsafe(32),
            "form_secret": secrets.token_urlsafe(32),
            "enable_registration": False,
            "report_stats": False,
            "enable_metrics": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "rc_message": _rate(*self.message_rate),
            "rc_federation": {
                "window_size": 1000,
                "sleep_limit": 10_000,
                "sleep_delay": 1,
                "reject_limit": 10_000,
                "concurrent": 100,
            },
        }
        for key in _RATE_LIMIT_KEYS:
            node = config
            *parents, leaf = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = _rate(*RELAXED_RATE)

        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    # -- process control ---------------------------------------------------

    def _spawn(self) -> None:
        if self.running:
            raise SynapseError("Synapse is already running")
        self._console = self.console_path.open("ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
        )
        self._t0 = time.monotonic()

    def _check_ready(self) -> bool:
        """One readiness probe; raises if the process died."""
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise SynapseError(
                f"Synapse exited with code {self._proc.returncode} during start-up\n" + self._logs()
            )
        try:
            with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1) as r:
                ok = r.status == 200
        except (urllib.error.URLError, OSError):
            return False
        if ok:
            self.start_seconds = time.monotonic() - self._t0
        return ok

    def _start_failed(self) -> SynapseError:
        self._kill_now()
        return SynapseError(
            f"Synapse did not answer on {self.url} within {START_TIMEOUT:.0f} s\n" + self._logs()
        )

    def _logs(self) -> str:
        return (
            f"--- console ---\n{_tail(self.console_path)}\n"
            f"--- homeserver.log ---\n{_tail(self.log_path)}"
        )

    async def start(self, timeout: float = START_TIMEOUT) -> None:
        """Launch Synapse and wait until ``/_matrix/client/versions`` answers."""
        self._spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # The probe is a blocking call of at most ~1 s against loopback; run it
            # off the loop so other tasks keep going while Synapse boots.
            if await asyncio.to_thread(self._check_ready):
                return
            await asyncio.sleep(_POLL_INTERVAL)
        raise self._start_failed()

    def start_sync(self, timeout: float = START_TIMEOUT) -> None:
        self._spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._check_ready():
                return
            time.sleep(_POLL_INTERVAL)
        raise self._start_failed()

    def _signal_stop(self) -> bool:
        """Send SIGTERM; returns False when there is nothing to stop."""
        if self._proc is None:
            return False
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGTERM)
        return True

    def _kill_now(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
            self._proc.wait()
        self._reap()

    def _reap(self) -> None:
        self._proc = None
        if self._console is not None:
            self._console.close()
            self._console = None

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL."""
        if not self._signal_stop():
            return
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while self._proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(_POLL_INTERVAL)
        self._kill_now()

    def stop_sync(self, timeout: float = STOP_TIMEOUT) -> None:
        if not self._signal_stop():
            return
        assert self._proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout)
        self._kill_now()

    async def restart(self) -> None:
        """Stop and start again on the same port, database and signing key."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> SynapseServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- client-server / admin API helpers ---------------------------------

    async def _request(
        self, method: str, path: str, *, json: Any = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.url + path, json=json, headers=headers) as resp,
        ):
            body = await resp.json(content_type=None)
            if resp.status != 200:
                raise SynapseError(f"{method} {path} -> {resp.status}: {body}")
            return body

    async def register(
        self, localpart: str, password: str, admin: bool = False
    ) -> tuple[str, str, str]:
        """Create a user via the shared-secret admin API.

        Returns ``(user_id, access_token, device_id)``.
        """
        path = "/_synapse/admin/v1/register"
        nonce = (await self._request("GET", path))["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(
            b"\x00".join(
                [
                    nonce.encode(),
                    localpart.encode(),
                    password.encode(),
                    b"admin" if admin else b"notadmin",
                ]
            )
        )
        body = await self._request(
            "POST",
            path,
            json={
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return body["user_id"], body["access_token"], body["device_id"]

    async def login(
        self, localpart: str, password: str, device_id: str | None = None
    ) -> tuple[str, str, str]:
        """Password login; returns ``(user_id, access_token, device_id)``."""
        payload: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": localpart},
            "password": password,
        }
        if device_id:
            payload["device_id"] = device_id
        body = await self._request("POST", "/_matrix/client/v3/login", json=payload)
        return body["user_id"], body["access_token"], body["device_id"]

    async def nio_client(
        self,
        localpart: str,
        password: str,
        store_dir: Path,
        *,
        encrypted: bool = False,
        **config: Any,
    ) -> AsyncClient:
        """Register ``localpart`` and return a nio client logged in as it.

        With ``encrypted=True`` the client has an olm store in ``store_dir`` and has
        already uploaded its device and one-time keys. ``config`` goes to
        ``AsyncClientConfig``.
        """
        user_id, token, device_id = await self.register(localpart, password)
        store_dir.mkdir(parents=True, exist_ok=True)
        client = AsyncClient(
            self.url,
            user_id,
            device_id=device_id,
            store_path=str(store_dir),
            config=AsyncClientConfig(encryption_enabled=encrypted, **config),
        )
        # restore_login also loads (creates) the olm account from store_path.
        client.restore_login(user_id, device_id, token)
        if encrypted and client.should_upload_keys:
            await client.keys_upload()
        return client

    async def whoami(self, access_token: str) -> dict[str, Any]:
        """``/account/whoami`` for a token; raises SynapseError if it is not valid."""
        return await self._request("GET", "/_matrix/client/v3/account/whoami", token=access_token)


# -- pytest fixtures ----------------------------------------------------------
#
# Plain synchronous fixtures: the server process is not tied to any event loop,
# so tests may use it from pytest-asyncio's default function-scoped loop.
# ``tests/matrix/conftest.py`` re-exports them; another conftest can do the same
# by importing ``synapse`` and ``synapse_factory`` from this module (list them in
# ``__all__`` so linters keep the import).


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """One shared homeserver for the whole test session (relaxed rate limits)."""
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    server.start_sync()
    try:
        yield server
    finally:
        server.stop_sync()


@pytest.fixture
def synapse_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Build extra, private homeservers: ``server = synapse_factory(message_rate=(1, 2))``.

    The returned server is not started yet (``await server.start()``); every
    server made here is stopped when the test ends.
    """
    made: list[SynapseServer] = []

    def make(**kwargs: Any) -> SynapseServer:
        server = SynapseServer(tmp_path_factory.mktemp("synapse"), **kwargs)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop_sync()
