"""The nio client: creating it, logging in (or restoring the login), and sending with retries.

nio returns error objects instead of raising, and by default retries rate limits and
network errors forever inside each call; here it is configured to hand both back, so the
adapter decides: ``M_LIMIT_EXCEEDED`` waits ``retry_after_ms``, network errors back off
exponentially, and every response is checked.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    ErrorResponse,
    JoinResponse,
    LocalProtocolError,
    LoginResponse,
    RoomLeaveResponse,
    RoomSendResponse,
    WhoamiResponse,
)

from bot.adapters.matrix_config import MatrixConfig
from bot.adapters.matrix_state import MatrixState, Session

log = logging.getLogger(__name__)

# Errors of the connection itself (refused, reset, timed out), as opposed to an answer.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, TimeoutError, OSError)
REQUEST_TIMEOUT_S = 30.0
RATE_LIMITED = "M_LIMIT_EXCEEDED"
# If the homeserver says M_LIMIT_EXCEEDED without retry_after_ms.
DEFAULT_RETRY_AFTER_MS = 2_000
MAX_RETRY_AFTER_S = 300.0
# Answers that mean "try again later" (5xx, or a body that is not a Matrix error) are
# retried this often before the message is given up.
MAX_TRANSIENT_RETRIES = 6
BAD_TOKEN_CODES = ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN")


class MatrixError(Exception):
    """The Matrix adapter cannot start or go on; the message is one clear sentence."""


class Interrupted(Exception):
    """Shutting down while an action was still being retried."""


class Backoff:
    """Exponential delays with a little jitter: 0.5 s, 1 s, 2 s, … up to ``maximum``."""

    def __init__(self, initial: float = 0.5, maximum: float = 30.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def delay(self) -> float:
        current = self._next
        self._next = min(self.maximum, current * 2)
        return current * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self._next = self.initial


async def sleep_or_stop(seconds: float, stop: asyncio.Event) -> bool:
    """Wait ``seconds`` without blocking the loop; True if ``stop`` was set meanwhile."""
    if stop.is_set():
        return True
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


def describe(error: BaseException) -> str:
    text = str(error).strip()
    return text or type(error).__name__


def retry_after_s(response: ErrorResponse) -> float:
    return min(MAX_RETRY_AFTER_S, (response.retry_after_ms or DEFAULT_RETRY_AFTER_MS) / 1000)


def is_transient(response: ErrorResponse) -> bool:
    """A 5xx, or an answer that is not a Matrix error at all (a proxy's error page)."""
    transport = getattr(response, "transport_response", None)
    status = getattr(transport, "status", None)
    return response.status_code is None or (status is not None and status >= 500)


def new_client(config: MatrixConfig, state: MatrixState) -> AsyncClient:
    client_config = AsyncClientConfig(
        max_limit_exceeded=0,  # hand M_LIMIT_EXCEEDED back instead of sleeping inside nio
        max_timeouts=0,  # raise network errors instead of retrying forever inside nio
        request_timeout=REQUEST_TIMEOUT_S,
        encryption_enabled=True,
        store_sync_tokens=False,  # the adapter saves the position itself, after handling
    )
    return AsyncClient(
        config.homeserver, config.user_id, store_path=str(state.store_path), config=client_config
    )


def _refused(config: MatrixConfig, response: ErrorResponse, what: str) -> MatrixError:
    if response.status_code is None:
        status = getattr(getattr(response, "transport_response", None), "status", "?")
        return MatrixError(
            f"{config.homeserver} does not answer like a Matrix homeserver (HTTP {status}); "
            "check MATRIX_HOMESERVER"
        )
    return MatrixError(
        f"the homeserver at {config.homeserver} refused {what} "
        f"({response.status_code}: {response.message})"
    )


async def _check_token(
    client: AsyncClient, config: MatrixConfig, token: str
) -> WhoamiResponse | ErrorResponse:
    client.access_token = token
    response = await client.whoami()
    if isinstance(response, ErrorResponse):
        client.access_token = ""
    return response


async def _log_in(client: AsyncClient, config: MatrixConfig, state: MatrixState) -> None:
    saved = state.load_session()
    if saved and (saved.homeserver, saved.user_id) != (config.homeserver, config.user_id):
        log.warning("the bot's Matrix account changed; starting without the old sync position")
        state.forget_sync_token()
        saved = None

    if config.access_token:
        who = await _check_token(client, config, config.access_token)
        if isinstance(who, ErrorResponse):
            raise _refused(config, who, "MATRIX_ACCESS_TOKEN")
        if who.user_id != config.user_id:
            raise MatrixError(
                f"MATRIX_ACCESS_TOKEN belongs to {who.user_id}, not to {config.user_id}; "
                "set MATRIX_USER_ID to match"
            )
        if not who.device_id:
            raise MatrixError(
                "the homeserver does not say which device MATRIX_ACCESS_TOKEN belongs to; "
                "use MATRIX_PASSWORD instead"
            )
        if saved and saved.device_id != who.device_id:
            log.warning(
                "MATRIX_ACCESS_TOKEN belongs to device %s, not %s as before: encrypted rooms "
                "will see a new device",
                who.device_id,
                saved.device_id,
            )
        # Loads (or creates) this device's encryption store.
        client.restore_login(config.user_id, who.device_id, config.access_token)
        state.save_session(Session(config.homeserver, config.user_id, who.device_id))
        return

    if saved and saved.access_token:
        who = await _check_token(client, config, saved.access_token)
        if isinstance(who, WhoamiResponse):
            client.restore_login(config.user_id, saved.device_id, saved.access_token)
            log.info("restored the Matrix login of %s (device %s)", config.user_id, saved.device_id)
            return
        if who.status_code not in BAD_TOKEN_CODES:
            raise _refused(config, who, "the stored login")
        log.info("the stored Matrix login has expired; logging in again on the same device")

    await password_login(client, config, state, saved.device_id if saved else None)


async def password_login(
    client: AsyncClient, config: MatrixConfig, state: MatrixState, device_id: str | None
) -> None:
    """Log in with MATRIX_PASSWORD, reusing ``device_id`` so encrypted rooms keep working."""
    if not config.password:
        raise MatrixError(
            "the homeserver no longer accepts the bot's access token; "
            "set a new MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD"
        )
    client.user = config.user_id
    client.device_id = device_id
    response = await client.login(config.password, device_name=config.device_name)
    if not isinstance(response, LoginResponse):
        raise _refused(config, response, f"the login of {config.user_id}")
    state.save_session(
        Session(config.homeserver, response.user_id, response.device_id, response.access_token)
    )
    log.info("logged in to Matrix as %s (device %s)", response.user_id, response.device_id)


async def log_in(client: AsyncClient, config: MatrixConfig, state: MatrixState) -> None:
    """Restore the stored login, or log in; raises MatrixError with one clear sentence."""
    try:
        await _log_in(client, config, state)
    except NETWORK_ERRORS as exc:
        raise MatrixError(
            f"cannot reach the Matrix homeserver at {config.homeserver} ({describe(exc)})"
        ) from None


class Sender:
    """Sends with retries: rate limits honoured, network errors backed off, refusals logged."""

    def __init__(
        self,
        client: AsyncClient,
        stop: asyncio.Event,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        self.client = client
        self.stop = stop
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.rate_limited = 0  # how often M_LIMIT_EXCEEDED was honoured, for the logs

    async def _wait(self, backoff: Backoff) -> None:
        if await sleep_or_stop(backoff.delay(), self.stop):
            raise Interrupted

    async def send(self, room_id: str, content: dict[str, Any], txn_id: str) -> bool:
        """Send one message; True if the homeserver took it, False if it refused it.

        The transaction id makes a repeated send (after a lost answer, or a restart
        within the homeserver's transaction memory) arrive only once. Raises
        Interrupted if shutting down while still retrying.
        """
        backoff = Backoff(self.backoff_initial, self.backoff_max)
        transient = 0
        while True:
            try:
                response = await self.client.room_send(
                    room_id,
                    "m.room.message",
                    content,
                    tx_id=txn_id,
                    # The trust policy: an information bot answers every device of the
                    # person asking, verified or not (see the README).
                    ignore_unverified_devices=True,
                )
            except NETWORK_ERRORS as exc:
                log.warning("sending to %s failed (%s); trying again", room_id, describe(exc))
                await self._wait(backoff)
                continue
            except (LocalProtocolError, EncryptionError) as exc:
                log.error("cannot send to %s: %s", room_id, describe(exc))
                return False
            if isinstance(response, RoomSendResponse):
                return True
            if response.status_code == RATE_LIMITED:
                self.rate_limited += 1
                wait = retry_after_s(response)
                log.warning(
                    "the homeserver limits the bot's messages (M_LIMIT_EXCEEDED); "
                    "sending to %s again in %.2f s",
                    room_id,
                    wait,
                )
                await asyncio.sleep(wait)  # honoured even while shutting down
                continue
            if is_transient(response) and transient < MAX_TRANSIENT_RETRIES:
                transient += 1
                log.warning("sending to %s failed (%s); trying again", room_id, response)
                await self._wait(backoff)
                continue
            log.error("the homeserver refused a message to %s: %s", room_id, response)
            return False

    async def join(self, room_id: str) -> bool:
        backoff = Backoff(self.backoff_initial, self.backoff_max)
        while True:
            try:
                response = await self.client.join(room_id)
            except NETWORK_ERRORS as exc:
                log.warning("joining %s failed (%s); trying again", room_id, describe(exc))
                await self._wait(backoff)
                continue
            if isinstance(response, JoinResponse):
                return True
            if response.status_code == RATE_LIMITED:
                await asyncio.sleep(retry_after_s(response))
                continue
            if is_transient(response):
                await self._wait(backoff)
                continue
            log.warning("could not join %s: %s", room_id, response)
            return False

    async def leave(self, room_id: str) -> bool:
        try:
            response = await self.client.room_leave(room_id)
        except NETWORK_ERRORS as exc:
            log.warning("leaving %s failed (%s)", room_id, describe(exc))
            return False
        if not isinstance(response, RoomLeaveResponse):
            log.warning("leaving %s failed: %s", room_id, response)
            return False
        return True
