"""Streams a transcription with the official `openai` client (stream=True).

    python openai_stream.py BASE_URL AUDIO_FILE  → prints one JSON object
"""
import json
import sys

import openai

base, path = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key="test-key", max_retries=0, timeout=300)
out = {}
with open(path, "rb") as f:
    events = list(client.audio.transcriptions.create(model="whisper-1", file=f, stream=True))
out["types"] = [e.type for e in events]
out["deltas"] = [e.delta for e in events if e.type == "transcript.text.delta"]
out["done"] = [e.text for e in events if e.type == "transcript.text.done"]
with open(path, "rb") as f:
    out["plain"] = client.audio.transcriptions.create(model="whisper-1", file=f).text
try:
    with open(path, "rb") as f:
        client.audio.transcriptions.create(model="whisper-1", file=f, response_format="srt", stream=True)
    out["err_srt"] = None
except openai.APIStatusError as e:
    out["err_srt"] = {"class": type(e).__name__, "status": e.status_code, "body": e.body}
print(json.dumps(out))
