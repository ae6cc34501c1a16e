"""Run settings: ``[tool.releasegate]`` in pyproject.toml, overridden by command-line options.

:class:`Settings` is the one declaration of every key: each field's type, default, description
and constraints. From it are derived, at run time, the JSON schema that validates the table and
the command line (:func:`settings_schema`), the pytest plugin's options (one per key:
``max_new_tokens`` becomes ``--max-new-tokens``, help text from the description), and the
``openai`` backend's :class:`EndpointSpec`, whose keys :class:`Settings` extends. So a key can
never be settable in one place and not the other.

The schema is built when first needed rather than kept as a file: nothing outside the engine reads
it, building it costs about a millisecond, and a generated file would need a step to regenerate it
and could go stale.
"""

from __future__ import annotations

import os
import tomllib
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from .core.devices import DEVICE_CHOICES, DEVICE_GRAMMAR
from .exceptions import ConfigError
from .schemas import first_violation

__all__ = [
    "DEFAULT_MODEL_ALIAS",
    "DTYPES",
    "EndpointSpec",
    "Settings",
    "default_cache_dir",
    "find_pyproject",
    "load_settings",
    "read_table",
    "setting",
    "settings_keys",
    "settings_schema",
]

DEFAULT_MODEL_ALIAS = "smollm2-135m-instruct"
"""The default model's name, defined here once: settings default to it and
:mod:`releasegate.models.default_model` (which imports this module) resolves it."""

DTYPES = ("auto", "float32", "bfloat16", "float16")
"""The dtypes a user may ask for; ``auto`` is float32 on CPU and bfloat16 on CUDA if supported."""


def default_cache_dir() -> Path:
    """``$RELEASEGATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/releasegate``, else
    ``~/.cache/releasegate``."""
    explicit = os.environ.get("RELEASEGATE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "releasegate"


def setting(
    default: Any = None,
    *,
    description: str,
    factory: Callable[[], Any] | None = None,
    hint: str | None = None,
    **constraints: Any,
) -> Any:
    """A settings field: its default (or *factory*), the *description* that is the key's
    documentation and its option's help, and JSON-schema *constraints* on the value as written
    (``minimum=1``, ``enum=[...]``, ``pattern=...``). The value's JSON type comes from the field's
    annotation; a field typed ``X | None`` may be left out (None means "not given"). *hint* words
    a ``pattern`` violation ("is not an http(s) URL; ...") instead of the regular expression."""
    metadata = {"description": description, "constraints": constraints, "hint": hint}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class EndpointSpec:
    """Where and how the ``openai`` backend reaches an OpenAI-compatible server: the
    ``[tool.releasegate]`` keys of the endpoint, which :class:`Settings` extends."""

    base_url: str | None = setting(
        description="openai backend: the OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 "
        "(default: start transformers serve on the model, on loopback).",
        pattern="^https?://[^/\\s]+",
        hint="is not an http(s) URL; give the endpoint's base, e.g. http://127.0.0.1:8000/v1",
    )
    api: str = setting(
        "chat",
        description="openai backend: chat suites go to /chat/completions (chat), or the server has "
        "/completions only (completions: chat suites are refused). Plain-text suites always use "
        "/completions.",
        enum=["chat", "completions"],
    )
    served_model: str | None = setting(
        description="openai backend: the model name sent in requests (default: model).",
        minLength=1,
    )
    api_key_env: str = setting(
        "OPENAI_API_KEY",
        description="openai backend: the environment variable holding the API key (default "
        "OPENAI_API_KEY; unset means no key is sent).",
        pattern="^[A-Za-z_][A-Za-z0-9_]*$",
    )
    concurrency: int = setting(
        8,
        description="openai backend: requests in flight at once per worker (bounded by "
        "chunk_size).",
        minimum=1,
    )
    request_timeout: float = setting(
        120.0,
        description="openai backend: seconds one request may take, retries not counted.",
        exclusiveMinimum=0,
    )
    run_timeout: float | None = setting(
        description="openai backend: seconds the whole run may spend on requests, from the first "
        "one; later cases are errors.",
        exclusiveMinimum=0,
    )
    max_retries: int = setting(
        4,
        description="openai backend: retries of a request after 429, 5xx, a time-out or a dropped "
        "connection (exponential backoff with jitter, Retry-After honoured).",
        minimum=0,
    )
    fingerprint: str | None = setting(
        description="openai backend: identifies the served weights in the prediction-cache key "
        "(e.g. a checkpoint's step or commit); set it when new weights are deployed under the "
        "same URL and name.",
        minLength=1,
    )

    def __post_init__(self) -> None:
        # Built directly (a backend of one's own, a test), the endpoint keys get the same check
        # as in pyproject.toml, worded for a Python caller.
        for spec_field in fields(EndpointSpec):
            value = getattr(self, spec_field.name)
            if value is None:
                continue
            errors = list(_validator().iter_errors({spec_field.name: value}))
            if errors:
                raise ConfigError(_word(spec_field.name, value, errors[0], spec_field.metadata))


@dataclass(frozen=True)
class Settings(EndpointSpec):
    """Everything a run needs to know; paths are absolute (resolved against the root folder).

    To add a key: add a field here with :func:`setting` (default, description, constraints);
    the schema, the command-line option and :meth:`public` follow from it."""

    model: str = setting(
        DEFAULT_MODEL_ALIAS,
        description="A local model folder, a hub id, or 'smollm2-135m-instruct' (the default "
        "model).",
        minLength=1,
    )
    backend: str = setting(
        "hf",
        description="How answers are produced: 'hf' (transformers, in process), 'openai' (an "
        "OpenAI-compatible server, see base_url), or 'module:Factory' for a backend of your own.",
        minLength=1,
    )
    device: str = setting(
        "auto",
        description="auto, cpu, cuda, cuda:N or mps; auto spreads pytest-xdist workers over the "
        "GPUs.",
        # (?![\\s\\S]): the end of the text; "$" would let a trailing line break through
        pattern=f"^(?:{DEVICE_GRAMMAR})(?![\\s\\S])",
        hint=f"is not one of {DEVICE_CHOICES}",
    )
    dtype: str = setting(
        "auto",
        description="Weights' dtype; auto is float32 on CPU, bfloat16 on GPU.",
        enum=list(DTYPES),
    )
    max_new_tokens: int = setting(
        64,
        description="Tokens generated per answer at most (a suite may override it).",
        minimum=1,
    )
    temperature: float = setting(
        0.0, description="0 means greedy decoding (repeatable runs).", minimum=0
    )
    top_p: float = setting(
        1.0,
        description="Nucleus sampling bar, used only when temperature > 0.",
        exclusiveMinimum=0,
        maximum=1,
    )
    seed: int = setting(0, description="Seed for sampling.", minimum=0)
    batch_size: int = setting(16, description="Prompts per batched generate call.", minimum=1)
    chunk_size: int | None = setting(
        description="Cases generated together on one worker (default: batch_size).", minimum=1
    )
    golden_dir: Path = setting(
        Path("fixtures/golden"),
        description="Folder of suite manifests (*.yaml) and their case files.",
        minLength=1,
    )
    baselines_dir: Path = setting(
        Path("fixtures/baselines"),
        description="Folder of baseline files, one per suite.",
        minLength=1,
    )
    reviews_dir: Path = setting(
        Path("fixtures/reviews"),
        description="Folder of the human review memory, one <suite>.jsonl per suite.",
        minLength=1,
    )
    schemas_dir: Path = setting(
        Path("fixtures/schemas"),
        description="Folder of JSON schemas that json checks name.",
        minLength=1,
    )
    reports_dir: Path = setting(
        Path("reports"),
        description="Folder each run writes reports/<run-id>/ into.",
        minLength=1,
    )
    history_path: Path | None = setting(
        description="The run history (SQLite) every run appends to (default: "
        "reports_dir/history.sqlite).",
        minLength=1,
    )
    cache_dir: Path = setting(
        factory=default_cache_dir,
        description="Folder of the converted default model and the prediction cache.",
        minLength=1,
    )
    suites: tuple[str, ...] = setting(
        (),
        description="Run only these suites (default: every manifest in golden_dir).",
        items={"type": "string", "minLength": 1},
    )
    prediction_cache: bool = setting(
        True, description="Reuse cached answers of the same model, prompt and settings."
    )
    allow_outside_cases: bool = setting(
        False,
        description="Let a suite manifest's 'cases:' name a file outside the project (an absolute "
        "path, or ../ beyond the project root); off, such a manifest is refused.",
    )
    alpha: float = setting(
        0.05,
        description="Significance level of no-drop gates: a drop with a one-sided paired p-value "
        "below it fails, even within max_drop.",
        exclusiveMinimum=0,
        exclusiveMaximum=0.5,
    )
    bootstrap_samples: int = setting(
        1000,
        description="Resamples of the paired bootstrap used for metrics that are not accuracies.",
        minimum=100,
    )
    train_data: tuple[Path, ...] = setting(
        (),
        description="Training data the golden cases must not appear in: JSONL, CSV or Parquet "
        "files, or datasets folders (save_to_disk); adds one <suite>::isolation test per suite.",
        items={"type": "string", "minLength": 1},
    )
    train_fields: tuple[str, ...] = setting(
        (),
        description="Fields of train_data that hold text (default: recognised from the layout: "
        "messages, prompt/completion, instruction/input/output, question/answer, text).",
        items={"type": "string", "minLength": 1},
    )
    isolation_threshold: float = setting(
        0.7,
        description="3-gram Jaccard similarity at which a training text counts as a "
        "near-duplicate of a golden case's (default 0.7).",
        exclusiveMinimum=0,
        maximum=1,
    )
    general: Mapping[str, Any] = setting(
        factory=dict,
        description="[tool.releasegate.general]: general benchmarks (lm-eval tasks) and their "
        "no-drop gates.",
    )
    perf: Mapping[str, Any] = setting(
        factory=dict,
        description="[tool.releasegate.perf]: load-test settings and serving objectives for perf/.",
    )

    @property
    def effective_history_path(self) -> Path:
        """Where this run's history is written: ``history_path``, else beside the reports."""
        return self.history_path or self.reports_dir / "history.sqlite"

    @property
    def effective_chunk_size(self) -> int:
        return self.chunk_size or self.batch_size

    def endpoint(self) -> EndpointSpec:
        """The endpoint keys alone, for the ``openai`` backend."""
        return EndpointSpec(**{f.name: getattr(self, f.name) for f in fields(EndpointSpec)})

    def public(self) -> dict[str, Any]:
        """The settings as plain JSON-able data, for reports."""
        return {name: _plain(getattr(self, name)) for name in settings_keys()}


def _plain(value: Any) -> Any:
    """A setting's value as JSON data: paths as text, tuples as lists."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value


_JSON_TYPES: Mapping[Any, str] = {
    str: "string",
    Path: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
}


def _value_schema(annotation: Any) -> dict[str, Any]:
    """The JSON schema of a value of the Python type *annotation*, as TOML or the command line
    gives it (a path as text, a tuple as a list)."""
    annotation = _inner(annotation)  # X | None: None is "not given", never written
    origin = get_origin(annotation)
    if origin is tuple:
        return {"type": "array", "items": _value_schema(get_args(annotation)[0])}
    if origin is Mapping or annotation is dict:
        return {"type": "object"}
    return {"type": _JSON_TYPES[annotation]}


@cache
def settings_schema() -> Mapping[str, Any]:
    """The JSON schema of ``[tool.releasegate]`` (and of the command line's overrides), derived
    from :class:`Settings`."""
    hints = get_type_hints(Settings)
    endpoint = fields(EndpointSpec)
    own = [f for f in fields(Settings) if f not in endpoint]
    properties: dict[str, Any] = {}
    for f in [*own, *endpoint]:  # the endpoint's keys last, as in --help
        constraints = dict(f.metadata["constraints"])
        # an enum names every value: no type beside it, so the error lists the choices
        typed = {} if "enum" in constraints else _value_schema(hints[f.name])
        properties[f.name] = {**typed, **constraints, "description": f.metadata["description"]}
        if isinstance(f.default, bool):  # the option turns it on (--key) or off (--no-key)
            properties[f.name]["default"] = f.default
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "[tool.releasegate] in pyproject.toml",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }


def settings_keys() -> Mapping[str, Any]:
    """Each key's schema (``type``, ``description``...): the run's own keys in declaration
    order, then the endpoint's. The plugin makes one command-line option of each."""
    properties: Mapping[str, Any] = settings_schema()["properties"]
    return properties


def _word(name: str, value: object, error: Any, metadata: Mapping[str, Any]) -> str:
    """A violation of key *name*'s constraints in words, for a caller that built the spec in
    Python (pyproject.toml's violations are worded by :func:`_validate`)."""
    bound = error.validator_value
    if error.validator == "enum":
        return f"{name} '{value}' is not one of {', '.join(map(str, bound))}"
    if error.validator == "minimum":
        return f"{name} must be at least {bound}, got {value}"
    if error.validator == "exclusiveMinimum":
        return f"{name} must be more than {bound}, got {value}"
    if error.validator == "pattern" and metadata.get("hint"):
        return f"{name} '{value}' {metadata['hint']}"
    return f"{name}: {error.message}"


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(settings_schema())


def read_table(pyproject: Path | None) -> dict[str, Any]:
    """The ``[tool.releasegate]`` table of *pyproject*, or ``{}`` when there is none."""
    if pyproject is None or not pyproject.is_file():
        return {}
    table = _tool_table(pyproject).get("releasegate", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.releasegate] must be a table")
    return table


def find_pyproject(
    test_paths: Iterable[Path], *, rootdir: Path, inifile: Path | None
) -> Path | None:
    """The ``pyproject.toml`` whose ``[tool.releasegate]`` configures a run, or None.

    pytest settles on one configuration file, and it need not be the project's: in a folder
    inside a larger repository (``releasegate init`` in a subfolder), pytest takes the outer
    repository's file that configures pytest, which has no ``[tool.releasegate]``. So: the
    file pytest chose, if it holds the table; else the nearest ``pyproject.toml`` holding it,
    looking upward from each of *test_paths* (absolute) to *rootdir* (or to the top of the file
    system, for a path outside it). Test paths of two different projects are refused: their
    settings cannot both hold.
    """
    if inifile is not None and inifile.name == "pyproject.toml" and _has_table(inifile):
        return inifile
    found: dict[Path, list[Path]] = {}
    for path in test_paths:
        for folder in (path, *path.parents):
            candidate = folder / "pyproject.toml"
            if _has_table(candidate):
                found.setdefault(candidate, []).append(path)
                break
            if folder == rootdir:
                break
    if len(found) > 1:
        shown = "; ".join(f"{p} (for {', '.join(map(str, paths))})" for p, paths in found.items())
        raise ConfigError(
            f"the test paths belong to different projects, each with its own [tool.releasegate]: "
            f"{shown}. Run each project's model_tests separately"
        )
    return next(iter(found), None)


def _has_table(pyproject: Path) -> bool:
    return pyproject.is_file() and "releasegate" in _tool_table(pyproject)


def _tool_table(pyproject: Path) -> Mapping[str, Any]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: not valid TOML: {exc}") from exc
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def load_settings(
    table: Mapping[str, Any],
    overrides: Mapping[str, Any],
    *,
    root: Path,
    source: str = "[tool.releasegate]",
) -> Settings:
    """Validate *table* (from pyproject.toml) and *overrides* (from the command line, ``None``
    meaning "not given"), and merge them into :class:`Settings` with paths made absolute."""
    _validate(table, source)
    given = {key: value for key, value in overrides.items() if value is not None}
    _validate(given, "command line")
    merged: dict[str, Any] = {**table, **given}
    hints = get_type_hints(Settings)
    settings = replace(Settings(), **{k: _typed(hints[k], v) for k, v in merged.items()})
    absolute = {
        name: _resolved(getattr(settings, name), root)
        for name in hints
        if _holds_paths(hints[name])
    }
    return replace(settings, **absolute)


def _inner(hint: Any) -> Any:
    """``X`` of ``X | None``; any other type as it is."""
    if get_origin(hint) in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(hint) if arg is not type(None)]
        return inner
    return hint


def _typed(hint: Any, value: Any) -> Any:
    """A value as written (text, a list) as the field's type: a ``Path``, a tuple (of paths)."""
    hint = _inner(hint)
    if value is None:
        return None
    if hint is Path:
        return Path(str(value)).expanduser()
    if get_origin(hint) is tuple:
        return tuple(_typed(get_args(hint)[0], item) for item in value)
    return value


def _holds_paths(hint: Any) -> bool:
    """Whether a field of this type is a path, or a tuple of paths, made absolute on loading."""
    hint = _inner(hint)
    return hint is Path or (get_origin(hint) is tuple and _inner(get_args(hint)[0]) is Path)


def _resolved(value: Any, root: Path) -> Any:
    if isinstance(value, tuple):
        return tuple(_resolved(item, root) for item in value)
    return None if value is None else _absolute(value, root)


def _validate(document: Mapping[str, Any], source: str) -> None:
    found = first_violation(_validator(), dict(document))
    if found is not None:
        field_name, message = found
        hint = _hints().get(field_name)
        if hint is not None and "does not match" in message:  # a pattern, worded by its key
            message = f"{document[field_name]!r} {hint}"
        raise ConfigError(f"{source}: '{field_name}': {message}")


@cache
def _hints() -> Mapping[str, str]:
    """The keys whose pattern violation :func:`setting` words with a *hint*."""
    return {f.name: f.metadata["hint"] for f in fields(Settings) if f.metadata.get("hint")}


def _absolute(path: Path, root: Path) -> Path:
    return path if path.is_absolute() else (root / path).resolve()
