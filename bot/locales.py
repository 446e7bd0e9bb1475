"""Maintenance of the UI catalogs: extract strings from the code, merge, and check.

``locales/messages.pot`` is the template; each language has
``locales/<code>/LC_MESSAGES/messages.po``. A language is added by adding its file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from bot.catalog.model import Language
from bot.i18n import DOMAIN, KEYWORDS, po_path, read_catalog

PACKAGE_DIR = Path(__file__).resolve().parent
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


@dataclass(frozen=True)
class CatalogProblem:
    file: str
    line: int | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


def extract_template() -> PoCatalog:
    """All ``tr(lang, "…")`` strings in the code, as a gettext template."""
    template = PoCatalog(project="Wegweiser", domain=DOMAIN, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE_DIR),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
    ):
        template.add(message, None, [(f"bot/{filename}", lineno)], auto_comments=comments,
                     context=context)  # fmt: skip
    return template


def write_catalog(catalog: PoCatalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=False, omit_header=False)


def update(locales_dir: Path, languages: list[Language]) -> list[Path]:
    """Refresh the template and merge it into every language's catalog, creating missing ones."""
    template = extract_template()
    write_catalog(template, locales_dir / f"{DOMAIN}.pot")
    written = []
    for lang in languages:
        path = po_path(locales_dir, lang.code)
        if path.exists():
            catalog = read_catalog(path, lang.locale)
        else:
            catalog = PoCatalog(locale=lang.locale, domain=DOMAIN, project="Wegweiser")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write_catalog(catalog, path)
        written.append(path)
    return written


def check(locales_dir: Path, languages: list[Language], root: Path) -> list[CatalogProblem]:
    """Every language has a catalog with every UI string translated and placeholders intact."""
    template = extract_template()
    wanted = {str(m.id) for m in template if m.id}
    problems: list[CatalogProblem] = []
    for lang in languages:
        path = po_path(locales_dir, lang.code)
        try:
            rel = str(path.relative_to(root))
        except ValueError:
            rel = str(path)
        if not path.exists():
            problems.append(CatalogProblem(rel, None, "missing: run 'wegweiser locales update'"))
            continue
        try:
            catalog = read_catalog(path, lang.locale)
        except Exception as exc:
            problems.append(CatalogProblem(rel, None, f"cannot be read: {exc}"))
            continue
        found = set()
        for message in catalog:
            if not message.id:
                continue
            msgid = str(message.id)
            found.add(msgid)
            text = message.string if isinstance(message.string, str) else None
            if msgid not in wanted:
                continue
            if not text:
                problems.append(CatalogProblem(rel, message.lineno, f"not translated: {msgid!r}"))
            elif message.fuzzy:
                problems.append(CatalogProblem(rel, message.lineno, f"marked fuzzy: {msgid!r}"))
            elif set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(msgid)):
                problems.append(
                    CatalogProblem(rel, message.lineno, f"placeholders differ from {msgid!r}")
                )
        for msgid in sorted(wanted - found):
            problems.append(CatalogProblem(rel, None, f"lacks the message {msgid!r}"))
    return problems
