"""Settings of features owlet stores but does not run (code execution, audio, images), with
Open WebUI 0.12.4's wire names and first values, so its admin tabs load and save them.

Each section is a table of (wire name, config key, type, first value). The first values are
constants rather than env: the settings drive nothing in owlet (docs/compatibility.md).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, create_model

from owlet.core.validation import CleanText, Form, JsonObject, check_json

if TYPE_CHECKING:  # the store reads this module's first values: no import at run time
    from sqlalchemy.ext.asyncio import AsyncSession

    from owlet.config.store import ConfigStore

Text = Annotated[CleanText, StringConstraints(max_length=10_000)]
LongText = Annotated[CleanText, StringConstraints(max_length=1_000_000)]  # ComfyUI workflows
OptionalText = Text | None
Engine = Literal["pyodide", "jupyter"]

# (wire name, config key, type, first value)
Row = tuple[str, str, Any, Any]
JsonList = Annotated[list[Any], Field(max_length=10_000), AfterValidator(check_json)]


def row(wire: str, key: str, first: Any, kind: Any = None) -> Row:
    """A row whose type follows from its first value, unless given (a `None` first value
    needs one): booleans, integers, floats, text, lists of JSON and JSON objects."""
    if kind is None:
        if first is None:
            raise TypeError(f"{key}: a None first value needs its type")
        inferred = {bool: bool, int: int, float: float, str: Text, list: JsonList, dict: JsonObject}
        kind = inferred[type(first)]
    return (wire, key, kind, first)


def _jupyter(prefix: str, key: str) -> list[Row]:
    return [
        (f"{prefix}_JUPYTER_URL", f"{key}.jupyter.url", Text, ""),
        (f"{prefix}_JUPYTER_AUTH", f"{key}.jupyter.auth", Text, ""),
        (f"{prefix}_JUPYTER_AUTH_TOKEN", f"{key}.jupyter.auth_token", Text, ""),
        (f"{prefix}_JUPYTER_AUTH_PASSWORD", f"{key}.jupyter.auth_password", Text, ""),
        (f"{prefix}_JUPYTER_TIMEOUT", f"{key}.jupyter.timeout", int, 60),
    ]


# Open WebUI enables both with Pyodide; owlet runs neither, so it starts with both off.
CODE_EXECUTION: list[Row] = [
    ("ENABLE_CODE_EXECUTION", "code_execution.enable", bool, False),
    ("CODE_EXECUTION_ENGINE", "code_execution.engine", Engine, "pyodide"),
    *_jupyter("CODE_EXECUTION", "code_execution"),
    ("ENABLE_CODE_INTERPRETER", "code_interpreter.enable", bool, False),
    ("CODE_INTERPRETER_ENGINE", "code_interpreter.engine", Engine, "pyodide"),
    ("CODE_INTERPRETER_PROMPT_TEMPLATE", "code_interpreter.prompt_template", Text, ""),
    *_jupyter("CODE_INTERPRETER", "code_interpreter"),
]

OPENAI = "https://api.openai.com/v1"
MISTRAL = "https://api.mistral.ai/v1"

AUDIO_TTS: list[Row] = [
    ("OPENAI_API_BASE_URL", "audio.tts.openai.api_base_url", Text, OPENAI),
    ("OPENAI_API_KEY", "audio.tts.openai.api_key", Text, ""),
    ("OPENAI_PARAMS", "audio.tts.openai.params", JsonObject, {}),
    ("API_KEY", "audio.tts.api_key", Text, ""),
    ("ENGINE", "audio.tts.engine", Text, ""),
    ("MODEL", "audio.tts.model", Text, "tts-1"),
    ("VOICE", "audio.tts.voice", Text, "alloy"),
    ("REALTIME_TTS_PROMPT_TEMPLATE", "audio.tts.realtime.prompt_template", OptionalText, None),
    ("SPLIT_ON", "audio.tts.split_on", Text, "punctuation"),
    ("AZURE_SPEECH_REGION", "audio.tts.azure.speech_region", Text, ""),
    ("AZURE_SPEECH_BASE_URL", "audio.tts.azure.speech_base_url", Text, ""),
    ("AZURE_SPEECH_OUTPUT_FORMAT", "audio.tts.azure.speech_output_format", Text,
     "audio-24khz-160kbitrate-mono-mp3"),
    ("MISTRAL_API_KEY", "audio.tts.mistral.api_key", Text, ""),
    ("MISTRAL_API_BASE_URL", "audio.tts.mistral.api_base_url", Text, MISTRAL),
]  # fmt: skip

AUDIO_STT: list[Row] = [
    ("OPENAI_API_BASE_URL", "audio.stt.openai.api_base_url", Text, OPENAI),
    ("OPENAI_API_KEY", "audio.stt.openai.api_key", Text, ""),
    ("OPENAI_API_REQUEST_FORMAT", "audio.stt.openai.api_request_format", Text, "multipart"),
    ("ENGINE", "audio.stt.engine", Text, ""),
    ("MODEL", "audio.stt.model", Text, ""),
    ("SUPPORTED_CONTENT_TYPES", "audio.stt.supported_content_types", list[Text], []),
    ("ALLOWED_EXTENSIONS", "audio.stt.allowed_extensions", list[Text],
     ["mp3", "wav", "m4a", "webm", "ogg", "flac", "mp4", "mpga", "mpeg"]),
    ("WHISPER_MODEL", "audio.stt.whisper_model", Text, "base"),
    ("DEEPGRAM_API_KEY", "audio.stt.deepgram.api_key", Text, ""),
    ("AZURE_API_KEY", "audio.stt.azure.api_key", Text, ""),
    ("AZURE_REGION", "audio.stt.azure.region", Text, ""),
    ("AZURE_LOCALES", "audio.stt.azure.locales", Text, ""),
    ("AZURE_BASE_URL", "audio.stt.azure.base_url", Text, ""),
    ("AZURE_MAX_SPEAKERS", "audio.stt.azure.max_speakers", Text, ""),
    ("MISTRAL_API_KEY", "audio.stt.mistral.api_key", Text, ""),
    ("MISTRAL_API_BASE_URL", "audio.stt.mistral.api_base_url", Text, MISTRAL),
    ("MISTRAL_USE_CHAT_COMPLETIONS", "audio.stt.mistral.use_chat_completions", bool, False),
]  # fmt: skip

AUDIO_REALTIME: list[Row] = [
    ("ENABLED", "audio.realtime.enabled", bool, False),
    ("PROVIDER", "audio.realtime.provider", Text, "openai"),
    ("AUTH_TYPE", "audio.realtime.auth_type", Text, "api_key"),
    ("OPENAI_API_BASE_URL", "audio.realtime.openai.api_base_url", Text, OPENAI),
    ("OPENAI_API_KEY", "audio.realtime.openai.api_key", Text, ""),
    ("MODEL", "audio.realtime.model", Text, "gpt-realtime-2.1-mini"),
    ("VOICE", "audio.realtime.voice", Text, "marin"),
    ("TRANSCRIPTION_MODEL", "audio.realtime.transcription_model", Text, "gpt-transcribe"),
    ("INPUT_PARAMS", "audio.realtime.input_params", JsonObject | None, None),
    ("REALTIME_CALL_PROMPT_TEMPLATE", "audio.realtime.prompt_template", OptionalText, None),
]

# Open WebUI's default ComfyUI workflow is a long JSON document; owlet starts with none.
IMAGES: list[Row] = [
    ("ENABLE_IMAGE_GENERATION", "image_generation.enable", bool, False),
    ("ENABLE_IMAGE_PROMPT_GENERATION", "image_generation.prompt.enable", bool, True),
    ("IMAGE_GENERATION_ENGINE", "image_generation.engine", Text, "openai"),
    ("IMAGE_GENERATION_MODEL", "image_generation.model", Text, ""),
    ("IMAGE_SIZE", "image_generation.size", Text, "512x512"),
    ("IMAGE_STEPS", "image_generation.steps", int, 50),
    ("IMAGES_OPENAI_API_BASE_URL", "image_generation.openai.api_base_url", Text, OPENAI),
    ("IMAGES_OPENAI_API_KEY", "image_generation.openai.api_key", Text, ""),
    ("IMAGES_OPENAI_API_VERSION", "image_generation.openai.api_version", Text, ""),
    ("IMAGES_OPENAI_API_PARAMS", "image_generation.openai.params", JsonObject, {}),
    ("AUTOMATIC1111_BASE_URL", "image_generation.automatic1111.base_url", Text, ""),
    ("AUTOMATIC1111_API_AUTH", "image_generation.automatic1111.api_auth", Text, ""),
    ("AUTOMATIC1111_PARAMS", "image_generation.automatic1111.api_params", JsonObject, {}),
    ("COMFYUI_BASE_URL", "image_generation.comfyui.base_url", Text, ""),
    ("COMFYUI_API_KEY", "image_generation.comfyui.api_key", Text, ""),
    ("COMFYUI_WORKFLOW", "image_generation.comfyui.workflow", LongText, ""),
    ("COMFYUI_WORKFLOW_NODES", "image_generation.comfyui.nodes", list[JsonObject], []),
    ("IMAGES_GEMINI_API_BASE_URL", "image_generation.gemini.api_base_url", Text, ""),
    ("IMAGES_GEMINI_API_KEY", "image_generation.gemini.api_key", Text, ""),
    ("IMAGES_GEMINI_ENDPOINT_METHOD", "image_generation.gemini.endpoint_method", Text, ""),
    ("ENABLE_IMAGE_EDIT", "images.edit.enable", bool, False),
    ("IMAGE_EDIT_ENGINE", "images.edit.engine", Text, "openai"),
    ("IMAGE_EDIT_MODEL", "images.edit.model", Text, ""),
    ("IMAGE_EDIT_SIZE", "images.edit.size", Text, ""),
    ("IMAGES_EDIT_OPENAI_API_BASE_URL", "images.edit.openai.api_base_url", Text, OPENAI),
    ("IMAGES_EDIT_OPENAI_API_KEY", "images.edit.openai.api_key", Text, ""),
    ("IMAGES_EDIT_OPENAI_API_VERSION", "images.edit.openai.api_version", Text, ""),
    ("IMAGES_EDIT_GEMINI_API_BASE_URL", "images.edit.gemini.api_base_url", Text, ""),
    ("IMAGES_EDIT_GEMINI_API_KEY", "images.edit.gemini.api_key", Text, ""),
    ("IMAGES_EDIT_COMFYUI_BASE_URL", "images.edit.comfyui.base_url", Text, ""),
    ("IMAGES_EDIT_COMFYUI_API_KEY", "images.edit.comfyui.api_key", Text, ""),
    ("IMAGES_EDIT_COMFYUI_WORKFLOW", "images.edit.comfyui.workflow", LongText, ""),
    ("IMAGES_EDIT_COMFYUI_WORKFLOW_NODES", "images.edit.comfyui.nodes", list[JsonObject], []),
]

SECTIONS = (CODE_EXECUTION, AUDIO_TTS, AUDIO_STT, AUDIO_REALTIME, IMAGES)


def form_for(
    name: str,
    rows: list[Row],
    optional: frozenset[str] | Literal["all"] = frozenset(),
    base: type[Form] = Form,
) -> type[Form]:
    """A body with every wire field required (as Open WebUI has it), but those in `optional`
    (`"all"`: every one; a field left out keeps its stored value)."""
    fields: dict[str, Any] = {
        wire: ((kind, None) if optional == "all" or wire in optional else (kind, ...))
        for wire, _key, kind, _ in rows
    }
    return create_model(name, __base__=base, **fields)


def answer_for(name: str, rows: list[Row], base: type[BaseModel] = BaseModel) -> type[BaseModel]:
    """The documented answer of a settings route: every wire field present, of its row's
    type without the form's limits (an import may have stored a longer text)."""
    fields: dict[str, Any] = {wire: (plain(kind), ...) for wire, _key, kind, _ in rows}
    return create_model(name, __base__=base, **fields)


def plain(kind: Any) -> Any:
    """`kind` with the `Annotated` limits and validators taken off, at every depth."""
    if get_origin(kind) is Annotated:
        return plain(get_args(kind)[0])
    args = get_args(kind)
    if isinstance(kind, UnionType) or get_origin(kind) is Union:
        return Union[tuple(plain(arg) for arg in args)]  # noqa: UP007 - built at run time
    if get_origin(kind) in (list, dict) and args:
        return get_origin(kind)[tuple(plain(arg) for arg in args)]
    return kind


def read(rows: list[Row], values: Mapping[str, Any]) -> dict[str, Any]:
    return {wire: copy.deepcopy(values[key]) for wire, key, _, _ in rows}


def staged(rows: list[Row], form: BaseModel) -> dict[str, Any]:
    """Config values for the fields `form` carries (an optional one left out is kept)."""
    sent = form.model_dump(exclude_unset=True)
    return {key: sent[wire] for wire, key, _, _ in rows if wire in sent}


async def save(
    rows: list[Row], form: BaseModel, config: ConfigStore, session: AsyncSession
) -> dict[str, Any]:
    """Stage what `form` carries and answer the settings as they now read."""
    values = staged(rows, form)
    await config.stage(session, values)
    return read(rows, {**config.snapshot(), **values})
