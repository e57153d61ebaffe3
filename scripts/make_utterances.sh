#!/usr/bin/env bash
# Regenerate the caller/agent utterances shipped in src/agentload/protocols/voice/utterances/.
#
# espeak-ng (Debian: apt-get install -y espeak-ng) speaks each text at 22,050 Hz;
# soxr resamples it to 16 kHz mono 16-bit; the voiced span (first/last sample at
# or above -40 dBFS) is trimmed to 100 ms of leading and 150 ms of trailing
# silence; utterances.json records the text and the voiced span (samples).
# Usage: scripts/make_utterances.sh [python]   (default: .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-.venv/bin/python}"
OUT=src/agentload/protocols/voice/utterances
command -v espeak-ng >/dev/null || { echo "espeak-ng is missing: apt-get install -y espeak-ng" >&2; exit 2; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
while IFS='|' read -r name text; do
  espeak-ng -v en-us -s 170 -w "$TMP/$name.wav" "$text"
  printf '%s|%s\n' "$name" "$text" >>"$TMP/list.txt"
done <<'LIST'
hello|Hello, I am calling about the survey.
confirm|Yes, that is right.
rating|I would say eight out of ten.
stop|Wait, stop please.
agent_greeting|Welcome to the survey.
agent_reply|Thank you. Next question.
LIST
"$PY" - "$TMP" "$OUT" <<'PY'
import json, sys, wave
from pathlib import Path
import numpy as np
import soxr

tmp, out = Path(sys.argv[1]), Path(sys.argv[2])
RATE, LEAD, TRAIL, GATE = 16000, 0.100, 0.150, 328
index = []
for line in (tmp / "list.txt").read_text().splitlines():
    name, text = line.split("|", 1)
    with wave.open(str(tmp / f"{name}.wav"), "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        rate = w.getframerate()
    y = np.clip(np.round(soxr.resample(x.astype(np.float32), rate, RATE)), -32768, 32767)
    y = y.astype(np.int16)
    loud = np.flatnonzero(np.abs(y.astype(np.int32)) >= GATE)
    y = y[max(0, loud[0] - int(LEAD * RATE)) : loud[-1] + 1]
    y = np.concatenate([np.zeros(max(0, int(LEAD * RATE) - loud[0]), np.int16), y,
                        np.zeros(int(TRAIL * RATE), np.int16)])
    loud = np.flatnonzero(np.abs(y.astype(np.int32)) >= GATE)
    with wave.open(str(out / f"{name}.wav"), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(RATE)
        w.writeframes(y.astype("<i2").tobytes())
    index.append({"name": name, "text": text, "rate": RATE, "samples": len(y),
                  "voiced_first": int(loud[0]), "voiced_last": int(loud[-1])})
(out / "utterances.json").write_text(json.dumps(index, indent=1) + "\n")
print("\n".join(f"{e['name']}: {e['samples'] / RATE:.2f} s" for e in index))
PY
