"""Reads ``content/`` into a ``Catalog``, collecting every problem with its file and line.

Layout:
    languages.yaml                       the languages, source language first
    fields.yaml                          the fields of action, in menu order
    services/<id>.yaml                   one responsible service per file
    entries/<field>/<slug>/<lang>.md     one entry per folder, one file per language
    entries/<slug>/<lang>.md             an entry outside the fields (the emergency card)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ValidationError

from bot.catalog.model import (
    LANG_RE,
    SLUG_RE,
    Catalog,
    Entry,
    EntrySource,
    EntryText,
    EntryTranslation,
    FieldOfAction,
    FieldSpec,
    Language,
    LanguageSpec,
    Service,
    TownSpec,
)
from bot.catalog.yamlsource import Located, YamlSyntaxError, load_located

try:  # PyStemmer knows which Snowball algorithms exist; without it nothing is stemmed.
    import Stemmer

    _STEMMERS: frozenset[str] = frozenset(Stemmer.algorithms())
except ImportError:  # pragma: no cover - PyStemmer is a dependency
    _STEMMERS = frozenset()

import re

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class ContentError(Exception):
    """Raised when ``content/`` cannot be loaded; lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


_FRIENDLY = {
    "missing": "this required key is missing",
    "extra_forbidden": "unknown key (check the spelling; see content/README.md)",
}


def _describe(error: Any) -> str:
    loc = ".".join(str(part) for part in error["loc"])
    message = _FRIENDLY.get(error["type"], error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if error["type"] == "missing":
        return f"'{loc}': {message}"
    return f"'{loc}': {message}" if loc else message


class _Reader:
    """Collects problems while reading; each read returns None where a file is unusable."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        # Services whose file exists but is broken: entries naming them get no second error.
        self.broken_services: set[str] = set()

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def problem(self, path: Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message))

    def read_text(self, path: Path) -> str | None:
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.problem(path, None, f"not UTF-8 text (byte {exc.start}); save it as UTF-8")
        except OSError as exc:
            self.problem(path, None, f"cannot be read: {exc.strerror}")
        return None

    def yaml(self, path: Path, text: str, line_offset: int = 0) -> Located | None:
        try:
            return load_located(text, line_offset=line_offset)
        except YamlSyntaxError as exc:
            self.problem(path, exc.line, str(exc))
            return None

    def yaml_file(self, path: Path, missing: str | None = None) -> Located | None:
        """Read and parse ``path``; with ``missing``, its absence is a problem saying so."""
        if missing is not None and not path.exists():
            self.problem(path, None, f"missing: {missing}")
            return None
        text = self.read_text(path)
        return self.yaml(path, text) if text is not None else None

    def validate(self, model: type[M], located: Located, path: Path, base: tuple = ()) -> M | None:
        data = located.data
        for key in base:
            data = data[key]
        if not isinstance(data, dict):
            self.problem(path, located.line_of(base), "expected a list of 'key: value' lines")
            return None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = (*base, *error["loc"])
                # A missing key has no line of its own: point at its parent.
                line = located.line_of(loc if error["type"] != "missing" else loc[:-1])
                self.problem(path, line, _describe({**error, "loc": error["loc"]}))
            return None


def _language(spec: LanguageSpec, reader: _Reader, path: Path, line: int) -> Language | None:
    locale_code = spec.locale or spec.code
    try:
        locale = Locale.parse(locale_code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        reader.problem(path, line, f"'{locale_code}' is not a locale Babel knows; set 'locale:'")
        return None
    stemmer = spec.stemmer or (locale.english_name or "").split(" (")[0].lower()
    if stemmer not in _STEMMERS:
        if spec.stemmer:
            reader.problem(path, line, f"no Snowball stemmer called '{spec.stemmer}'")
        stemmer = None
    name = spec.name or locale.get_display_name(locale) or spec.code
    return Language(
        code=spec.code,
        locale=str(locale),
        name=name[:1].upper() + name[1:],
        rtl=locale.character_order == "right-to-left",
        fallback=spec.fallback,
        stemmer=stemmer,
    )


def _load_town(reader: _Reader, root: Path) -> str:
    path = root / "town.yaml"
    located = reader.yaml_file(path, "the town's name is required ('name: …')")
    spec = reader.validate(TownSpec, located, path) if located else None
    return spec.name if spec else ""


def _load_languages(reader: _Reader, root: Path) -> list[Language]:
    path = root / "languages.yaml"
    located = reader.yaml_file(path, "the list of languages is required")
    if located is None:
        return []
    if not isinstance(located.data, list) or not located.data:
        reader.problem(path, 1, "expected a list of languages, each starting with '- code: …'")
        return []
    languages: list[Language] = []
    for index, _ in enumerate(located.data):
        spec = reader.validate(LanguageSpec, located, path, (index,))
        if spec is None:
            continue
        line = located.line_of((index,))
        if any(lang.code == spec.code for lang in languages):
            reader.problem(path, line, f"language '{spec.code}' is listed twice")
            continue
        language = _language(spec, reader, path, line)
        if language:
            languages.append(language)
    codes = {lang.code for lang in languages}
    for index, lang in enumerate(languages):
        if lang.fallback and lang.fallback not in codes:
            line = located.line_of((index, "fallback"))
            reader.problem(path, line, f"fallback '{lang.fallback}' is not a listed language")
    return languages


def _check_languages(
    reader: _Reader, path: Path, located: Located, where: tuple, codes: set[str], texts: Any
) -> None:
    for code in texts or ():
        if code not in codes:
            line = located.line_of((*where, code))
            reader.problem(path, line, f"'{code}' is not a language in languages.yaml")


def _load_fields(reader: _Reader, root: Path, codes: set[str], source: str) -> list[FieldOfAction]:
    path = root / "fields.yaml"
    located = reader.yaml_file(path, "the fields of action are required")
    if located is None:
        return []
    if not isinstance(located.data, dict) or not located.data:
        reader.problem(path, 1, "expected one block per field, starting with '<id>:'")
        return []
    fields: list[FieldOfAction] = []
    for field_id in located.data:
        key = str(field_id)
        if not re.fullmatch(SLUG_RE, key):
            reader.problem(path, located.line_of((key,)), f"'{key}' is not a valid id")
            continue
        spec = reader.validate(FieldSpec, located, path, (key,))
        if spec is None:
            continue
        _check_languages(reader, path, located, (key, "name"), codes, spec.name)
        if source not in spec.name:
            line = located.line_of((key, "name"))
            reader.problem(path, line, f"the name in '{source}' (the source language) is missing")
        fields.append(FieldOfAction(key, spec.icon, dict(spec.name), tuple(spec.unreviewed)))
    return fields


def _load_services(reader: _Reader, root: Path, codes: set[str]) -> dict[str, Service]:
    services: dict[str, Service] = {}
    for path in sorted((root / "services").glob("*.y*ml")):
        reader.broken_services.add(path.stem)
        located = reader.yaml_file(path)
        if located is None:
            continue
        if isinstance(located.data, dict) and "id" not in located.data:
            located = Located({"id": path.stem, **located.data}, located.lines, located.first_line)
        service = reader.validate(Service, located, path)
        if service is None:
            continue
        if service.id != path.stem:
            line = located.line_of(("id",))
            reader.problem(
                path, line, f"id '{service.id}' differs from the file name '{path.stem}'"
            )
            continue
        _check_languages(reader, path, located, ("description",), codes, service.description)
        services[service.id] = service
        reader.broken_services.discard(service.id)
    return services


def _split_front_matter(reader: _Reader, path: Path, text: str) -> tuple[Located, str] | None:
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        reader.problem(path, 1, "must start with a line '---', then the front matter, then '---'")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        reader.problem(path, 1, "the front matter is not closed by a second line '---'")
        return None
    located = reader.yaml(path, "\n".join(lines[1:end]), line_offset=1)
    if located is None:
        return None
    if not isinstance(located.data, dict):
        reader.problem(path, 2, "the front matter must be 'key: value' lines")
        return None
    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        reader.problem(path, end + 2, "the answer text after the front matter is empty")
        return None
    return located, body


def _read_entry_file(
    reader: _Reader, path: Path, is_source: bool
) -> tuple[EntrySource | EntryTranslation, Located, str] | None:
    text = reader.read_text(path)
    parts = _split_front_matter(reader, path, text) if text is not None else None
    if parts is None:
        return None
    located, body = parts
    model = EntrySource if is_source else EntryTranslation
    if not is_source:
        for key in (
            "services",
            "sources",
            "checked",
            "verified",
            "emergency",
            "when_unsure",
            "order",
        ):
            if key in located.data:
                reader.problem(
                    path,
                    located.line_of((key,)),
                    f"'{key}' belongs only in the source-language file",
                )
        located = Located(
            {
                k: v
                for k, v in located.data.items()
                if k not in EntrySource.model_fields or k in EntryTranslation.model_fields
            },
            located.lines,
            located.first_line,
        )
    meta = reader.validate(model, located, path)
    return (meta, located, body) if meta is not None else None


def _load_entry(
    reader: _Reader,
    folder: Path,
    field_id: str | None,
    codes: list[str],
    services: dict[str, Service],
) -> Entry | None:
    source = codes[0]
    source_path = folder / f"{source}.md"
    if not source_path.exists():
        reader.problem(source_path, None, f"missing: every entry needs its '{source}.md'")
        return None
    read = _read_entry_file(reader, source_path, is_source=True)
    if read is None:
        return None
    meta, located, body = read
    assert isinstance(meta, EntrySource)
    for index, service_id in enumerate(meta.services):
        if service_id not in services and service_id not in reader.broken_services:
            line = located.line_of(("services", index))
            reader.problem(
                source_path, line, f"unknown service '{service_id}' (no services/{service_id}.yaml)"
            )
    texts = {source: EntryText(source, meta.title, meta.questions, body, reader.rel(source_path))}
    for path in sorted(folder.glob("*.md")):
        code = path.stem
        if code == source:
            continue
        if code not in codes:
            reader.problem(path, None, f"'{code}' is not a language in languages.yaml")
            continue
        read = _read_entry_file(reader, path, is_source=False)
        if read is None:
            continue
        tmeta, _, tbody = read
        assert isinstance(tmeta, EntryTranslation)
        texts[code] = EntryText(
            code,
            tmeta.title,
            tmeta.questions,
            tbody,
            reader.rel(path),
            tmeta.source_hash,
            tmeta.machine_translated,
            tmeta.reviewed,
        )
    return Entry(folder.name, field_id, meta, texts, source)


def _load_entries(
    reader: _Reader,
    root: Path,
    fields: list[FieldOfAction],
    codes: list[str],
    services: dict[str, Service],
) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    field_ids = {f.id for f in fields}
    base = root / "entries"
    if not base.is_dir():
        reader.problem(base, None, "missing: the folder of entries is required")
        return entries

    def add(folder: Path, field_id: str | None) -> None:
        if not re.fullmatch(SLUG_RE, folder.name):
            reader.problem(
                folder, None, "folder names are slugs: lower-case letters, digits and '-'"
            )
            return
        if folder.name in entries:
            other = entries[folder.name].source.path
            reader.problem(folder, None, f"duplicate slug '{folder.name}' (also {other})")
            return
        entry = _load_entry(reader, folder, field_id, codes, services)
        if entry:
            entries[entry.slug] = entry

    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if any(folder.glob("*.md")):
            add(folder, None)
        elif folder.name in field_ids:
            for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
                add(sub, folder.name)
        else:
            reader.problem(folder, None, f"'{folder.name}' is not a field in fields.yaml")
    emergencies = [e for e in entries.values() if e.meta.emergency]
    if len(emergencies) > 1:
        names = ", ".join(e.slug for e in emergencies)
        reader.problem(base, None, f"only one entry may be the emergency card, not: {names}")
    return entries


def load_catalog(directory: str | Path) -> Catalog:
    """Load and validate ``directory``; raise ``ContentError`` listing every problem."""
    root = Path(directory).resolve()
    reader = _Reader(root)
    if not root.is_dir():
        raise ContentError([Problem(str(directory), None, "content directory not found")])
    town = _load_town(reader, root)
    languages = _load_languages(reader, root)
    codes = [lang.code for lang in languages]
    source = codes[0] if codes else "de"
    fields = _load_fields(reader, root, set(codes), source)
    services = _load_services(reader, root, set(codes))
    entries = _load_entries(reader, root, fields, codes or [source], services)
    if reader.problems:
        raise ContentError(sorted(reader.problems, key=lambda p: (p.file, p.line or 0)))
    for entry in entries.values():
        if entry.meta.checked > dt.date.today():
            reader.warnings.append(f"{entry.source.path}: 'checked' lies in the future")
    return Catalog(
        languages=tuple(languages),
        fields=tuple(fields),
        entries=entries,
        services=services,
        town=town,
        directory=str(root),
        warnings=tuple(reader.warnings),
    )


__all__ = ["LANG_RE", "ContentError", "Problem", "load_catalog"]
