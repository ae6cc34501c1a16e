"""The declaration of every ``[tool.releasegate]`` key (:class:`Settings`, :class:`EndpointSpec`)
and the JSON schema derived from it.

Each field's type, default, description and constraints are declared once, with
:func:`setting`; the schema that validates the table and the command line
(:func:`settings_schema`), the pytest plugin's options and :meth:`Settings.public` follow from
it. The schema is built when first needed rather than kept as a file: nothing outside the engine
reads it, building it costs about a millisecond, and a generated file would need a step to
regenerate it and could go stale.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from ..core.devices import DEVICE_CHOICES, DEVICE_GRAMMAR
from ..exceptions import ConfigError

__all__ = [
    "DEFAULT_MODEL_ALIAS",
    "DTYPES",
    "EndpointSpec",
    "Settings",
    "default_cache_dir",
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
    judges_dir: Path = setting(
        Path("fixtures/judges"),
        description="Folder of judge calibrations against the reviewers, one <suite>.json per "
        "suite (releasegate judge calibrate).",
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
    judge: Mapping[str, Any] = setting(
        factory=dict,
        description="[tool.releasegate.judge]: the project's judge model (backend, model, "
        "generation, thresholds); a suite manifest's judge: overrides its keys.",
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
    Python (pyproject.toml's violations are worded by
    :func:`~releasegate.config.loading._validate`)."""
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


def _inner(hint: Any) -> Any:
    """``X`` of ``X | None``; any other type as it is."""
    if get_origin(hint) in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(hint) if arg is not type(None)]
        return inner
    return hint
