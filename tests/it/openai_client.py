"""Drives susurro's OpenAI-compatible API with the official `openai` client.

    python openai_client.py BASE_URL AUDIO_FILE  → prints one JSON object
"""
import json
import sys

import openai

base, path = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key="test-key", max_retries=0, timeout=300)
out = {}


def audio():
    return open(path, "rb")


with audio() as f:
    out["json"] = client.audio.transcriptions.create(model="whisper-1", file=f).text
for fmt in ("text", "srt", "vtt"):
    with audio() as f:
        out[fmt] = client.audio.transcriptions.create(model="whisper-1", file=f, response_format=fmt)
with audio() as f:
    v = client.audio.transcriptions.create(
        model="whisper-1", file=f, response_format="verbose_json", timestamp_granularities=["segment"]
    )
out["verbose"] = v.model_dump()
with audio() as f:
    w = client.audio.transcriptions.create(
        model="whisper-1", file=f, response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )
out["words"] = [x.model_dump() for x in (w.words or [])]
with audio() as f:
    out["translation"] = client.audio.translations.create(model="whisper-1", file=f).text
out["models"] = [m.id for m in client.models.list()]
out["model_whisper_1"] = client.models.retrieve("whisper-1").id


def error(fn):
    try:
        fn()
    except openai.APIStatusError as e:
        return {"class": type(e).__name__, "status": e.status_code, "body": e.body}
    return None


out["err_unknown_model"] = error(lambda: client.audio.transcriptions.create(model="no-such-model", file=audio()))
out["err_format"] = error(
    lambda: client.audio.transcriptions.create(model="whisper-1", file=audio(), response_format="xml")
)
out["err_not_audio"] = error(
    lambda: client.audio.transcriptions.create(model="whisper-1", file=("notes.txt", b"not audio at all\n" * 200))
)
out["err_model_retrieve"] = error(lambda: client.models.retrieve("no-such-model"))


def no_file():
    # A multipart body with a model but no file part.
    client.post(
        "/audio/transcriptions",
        cast_to=object,
        body={"model": "whisper-1"},
        files=[("unused", ("", b""))],
        options={"headers": {"Content-Type": "multipart/form-data"}},
    )


out["err_no_file"] = error(no_file)
print(json.dumps(out))
