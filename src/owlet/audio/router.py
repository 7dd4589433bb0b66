"""`/api/v1/audio/config`: the admin "Audio" tab's settings, stored; owlet speaks and
transcribes nothing yet (docs/compatibility.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from owlet.config import features
from owlet.core.validation import Form
from owlet.deps import AdminUser, ConfigDep, SessionDep, VerifiedUser

router = APIRouter(prefix="/api/v1/audio", tags=["audio"])

# Fields Open WebUI lets a save leave out (they are kept); the others are required.
TtsForm = features.form_for(
    "TtsForm", features.AUDIO_TTS, frozenset({"OPENAI_PARAMS", "REALTIME_TTS_PROMPT_TEMPLATE"})
)
SttForm = features.form_for(
    "SttForm",
    features.AUDIO_STT,
    frozenset({"OPENAI_API_REQUEST_FORMAT", "SUPPORTED_CONTENT_TYPES", "ALLOWED_EXTENSIONS"}),
)
RealtimeForm = features.form_for(
    "RealtimeForm", features.AUDIO_REALTIME, frozenset(w for w, *_ in features.AUDIO_REALTIME)
)
SECTIONS = {"realtime": features.AUDIO_REALTIME, "tts": features.AUDIO_TTS,
            "stt": features.AUDIO_STT}  # fmt: skip


class AudioConfigForm(Form):
    tts: TtsForm  # type: ignore[valid-type]
    stt: SttForm  # type: ignore[valid-type]
    realtime: RealtimeForm | None = None  # type: ignore[valid-type]


def _current(values: dict[str, Any]) -> dict[str, Any]:
    return {name: features.read(rows, values) for name, rows in SECTIONS.items()}


@router.get("/voices")
async def voices(_user: VerifiedUser) -> dict[str, Any]:
    """No text-to-speech engine runs in owlet, so it offers no voices."""
    return {"voices": []}


@router.get("/config")
async def audio_config(_admin: AdminUser, config: ConfigDep) -> dict[str, Any]:
    return _current(config.snapshot())


@router.post("/config/update")
async def update_audio_config(
    form: AudioConfigForm, _admin: AdminUser, config: ConfigDep, session: SessionDep
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, rows in SECTIONS.items():
        section = getattr(form, name)
        if section is not None:
            values.update(features.staged(rows, section))
    await config.stage(session, values)
    return _current({**config.snapshot(), **values})
