"""Run chat adapters on one event loop until SIGINT or SIGTERM: ``wegweiser run`` and
``wegweiser matrix``.

Each adapter module offers ``serve(app, stop, *, config=...)`` and a ``<Name>Config``
with ``from_env()``. A platform counts as configured when any of its environment
variables is set; then a missing or malformed one is an error, not a silent skip.
Adapters are imported only when configured, so ``run`` works with just one of them.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bot.app import App
from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Platform:
    name: str
    module: str
    config_class: str
    env_prefix: str
    # Exceptions (names in the module) whose message is one clear sentence to print,
    # and those whose reason the adapter has logged already.
    clear_errors: tuple[str, ...] = ()
    logged_errors: tuple[str, ...] = ()
    # Variables that other commands read (e.g. for 'wegweiser links'), not the bot itself.
    not_for_running: tuple[str, ...] = ()

    def configured(self, env: Mapping[str, str]) -> bool:
        return any(
            k.startswith(self.env_prefix) and k not in self.not_for_running and v.strip()
            for k, v in env.items()
        )


PLATFORMS = (
    Platform(
        "telegram",
        "bot.adapters.telegram",
        "TelegramConfig",
        "TELEGRAM_",
        logged_errors=("TelegramStop",),
        not_for_running=("TELEGRAM_BOT_USERNAME",),
    ),
    Platform(
        "matrix",
        "bot.adapters.matrix",
        "MatrixConfig",
        "MATRIX_",
        clear_errors=("MatrixError",),
    ),
)
NOTHING_CONFIGURED = (
    "no chat platform is configured; set TELEGRAM_BOT_TOKEN for Telegram, or "
    "MATRIX_HOMESERVER, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD for Matrix"
)


@dataclass
class Adapter:
    platform: Platform
    module: ModuleType
    config: Any

    def error_kind(self, error: BaseException) -> str:
        """'clear', 'logged' or 'unexpected'."""
        if isinstance(error, ConfigError):
            return "clear"
        for kind, names in (
            ("clear", self.platform.clear_errors),
            ("logged", self.platform.logged_errors),
        ):
            for name in names:
                cls = getattr(self.module, name, None)
                if isinstance(cls, type) and isinstance(error, cls):
                    return kind
        return "unexpected"


def load_adapter(platform: Platform) -> Adapter:
    """Import the adapter and read its configuration (raising ConfigError)."""
    try:
        module = importlib.import_module(platform.module)
    except ImportError as exc:
        raise ConfigError(f"the {platform.name} adapter cannot be loaded ({exc})") from None
    config = getattr(module, platform.config_class).from_env()
    return Adapter(platform, module, config)


def _report(adapter: Adapter, error: BaseException) -> None:
    name = adapter.platform.name
    kind = adapter.error_kind(error)
    if kind == "clear":
        print(f"wegweiser: {name}: {error}", file=sys.stderr)
    elif kind == "unexpected":
        log.debug("%s stopped", name, exc_info=error)
        reason = str(error).strip() or type(error).__name__
        print(f"wegweiser: {name} stopped unexpectedly: {reason}", file=sys.stderr)


async def run_platforms(
    settings: Settings,
    names: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Serve the named platforms (all configured ones if None) until SIGINT or SIGTERM.

    Returns the exit code: 0 after a clean stop, 1 if an adapter could not start or
    stopped on an error (one sentence on standard error, no traceback).
    """
    env = os.environ if env is None else env
    if names is None:
        platforms = [p for p in PLATFORMS if p.configured(env)]
        if not platforms:
            print(f"wegweiser run: {NOTHING_CONFIGURED}", file=sys.stderr)
            return 1
    else:
        platforms = [p for p in PLATFORMS if p.name in names]
    adapters = [load_adapter(p) for p in platforms]  # settings errors before any start

    app = await App.open(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.create_task(app.library.watch(settings.reload_seconds or 10))
    tasks = {
        asyncio.create_task(a.module.serve(app, stop, config=a.config), name=a.platform.name): a
        for a in adapters
    }
    failed = False
    try:
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = None if task.cancelled() else task.exception()
                if error is not None:
                    _report(tasks[task], error)
                    failed = True
                    stop.set()  # one platform failing stops the others cleanly
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        watcher.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await app.close()
    return 1 if failed else 0
