"""The ``voice:`` step's YAML: a full step, defaults, and one-line issues for bad input."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from agentload.errors import ScenarioError
from agentload.protocols.voice import Dialect
from agentload.scenario import ScenarioFile, load_scenario_text
from agentload.scenario.model import JsonObject, VoiceAudio, VoiceStep


def load(flow: str, base: Path = Path(".")) -> ScenarioFile:
    text = "config: {target: 'http://t.test'}\nflow:\n" + flow
    return load_scenario_text(text, filename="s.yaml", env={"TOKEN": "t"}, base_dir=base)


def issues(flow: str, base: Path = Path(".")) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(flow, base)
    return [str(i) for i in caught.value.issues]


def step_of(flow: str, base: Path = Path(".")) -> VoiceStep:
    step = load(flow, base).scenarios[0].steps[0]
    assert isinstance(step, VoiceStep)
    return step


def test_a_full_voice_step(tmp_path: Path) -> None:
    with wave.open(str(tmp_path / "me.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(b"\x10\x00" * 100)
    step = step_of(
        """
  - voice:
      name: call
      dialect: twilio
      url: /voice/twilio?reply_delay_ms=400
      headers: {Authorization: "Bearer ${env.TOKEN}"}
      audio: [hello, me.wav]
      turns: 4
      pause: 300ms
      greeting: true
      barge_in: 500ms
      barge_in_audio: stop
      timeout: {turn: 3s, connect: 2s}
      reply_quiet: 400ms
      parameters: {caller: "+1555"}
""",
        tmp_path,
    )
    assert step.name == "call" and step.dialect is Dialect.TWILIO
    assert step.url.source == "/voice/twilio?reply_delay_ms=400"
    assert step.audio == (VoiceAudio("hello"), VoiceAudio("me.wav", str(tmp_path / "me.wav")))
    assert step.turns == 4 and step.pause is not None and step.pause.a == 0.3
    assert step.greeting and step.barge_in == 0.5 and step.barge_in_audio == VoiceAudio("stop")
    assert (step.turn_timeout, step.connect_timeout, step.reply_quiet) == (3.0, 2.0, 0.4)
    assert step.headers[0][1].render({}) == "Bearer t"
    assert step.parameters[0][0] == "caller"


def test_defaults_and_realtime_tools() -> None:
    step = step_of(
        "  - voice: {dialect: realtime, url: /v1/realtime, audio: hello, tools: questionnaire,"
        " turn_detection: manual}\n"
    )
    assert step.name == "voice realtime" and step.turns == 1 and not step.greeting
    assert step.barge_in is None and step.turn_timeout == 5.0 and step.manual_turns
    assert isinstance(step.tools, tuple) and len(step.tools) == 3
    assert isinstance(step.tools[0], JsonObject)
    pcm = step_of("  - voice: {dialect: pcm, url: ws://h:1/a, audio: confirm, chunk_ms: 20}\n")
    assert pcm.chunk_ms == 20 and pcm.url.source == "ws://h:1/a"


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        ("  - voice: {url: /v, audio: hello}\n",
         "s.yaml:3: flow[0].voice: missing 'dialect'; add one of pcm, pcm_json, twilio, realtime"),
        ("  - voice: {dialect: twillio, url: /v, audio: hello}\n",
         "unknown value 'twillio'; did you mean 'twilio'?"),
        ("  - voice: {dialect: pcm, audio: hello}\n", "missing 'url'; add e.g. url: /voice/twilio"),
        ("  - voice: {dialect: pcm, url: /v}\n", "missing 'audio'; add e.g. audio: hello"),
        ("  - voice: {dialect: pcm, url: /v, audio: helo}\n",
         "'helo' is neither a shipped utterance nor a file; did you mean 'hello'?"),
        ("  - voice: {dialect: pcm, url: /v, audio: hello, turns: 0}\n", "flow[0].voice.turns"),
        ("  - voice: {dialect: pcm, url: ftp://x/v, audio: hello}\n", "cannot open a WebSocket"),
        ("  - voice: {dialect: twilio, url: /v, audio: hello, chunk_ms: 20}\n",
         "'chunk_ms' does not apply to dialect twilio (only pcm, pcm_json, realtime); remove it"),
        ("  - voice: {dialect: pcm, url: /v, audio: hello, tools: questionnaire}\n",
         "'tools' does not apply to dialect pcm"),
        ("  - voice: {dialect: realtime, url: /v, audio: hello, tools: survey}\n",
         "unknown tool set 'survey'; use questionnaire or a list"),
        ("  - voice: {dialect: pcm, url: /v, audio: hello, timeout: {turns: 1s}}\n",
         "did you mean 'turn'"),
        ("  - voice: {dialect: pcm, url: /v, audio: hello, barge: 1s}\n", "did you mean"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_with_a_fix(flow: str, expected: str) -> None:
    found = issues(flow)
    assert any(expected in line for line in found), found
    assert all("\n" not in line for line in found)


def test_a_file_that_is_not_a_wav_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"RIFF....nope")
    (found,) = issues("  - voice: {dialect: pcm, url: /v, audio: x.wav}\n", tmp_path)
    assert "s.yaml:3: flow[0].voice.audio:" in found and "give a PCM WAV file" in found


def test_twiml_replaces_the_url_for_twilio() -> None:
    step = step_of("  - voice: {dialect: twilio, twiml: /voice/twiml?greeting=1, audio: hello}\n")
    assert step.twiml is not None and step.twiml.source == "/voice/twiml?greeting=1"
    found = issues("  - voice: {dialect: pcm, twiml: /voice/twiml, audio: hello}\n")
    assert any("'twiml' does not apply to dialect pcm" in line for line in found), found
