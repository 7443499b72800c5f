"""``voiceassist replay``: output format, --json round trip, transcripts, several files, raw
stdin, and bad models/inputs with their messages and exit codes."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import KO_SENTENCES, silence, tone, write_wav

from voiceassist.cli import main
from voiceassist.errors import ExitCode
from voiceassist.events import CallEnded, CallStarted, SpeechSegment, Transcript, event_from_json
from voiceassist.session.replay import format_ms

VTT = """WEBVTT

00:00:00.600 --> 00:00:01.500
<v caller>where is my refund

00:00:01.700 --> 00:00:02.400
<v agent>let me check

00:00:62.000 --> 00:00:63.000
<v caller>after the end
"""

LINE = re.compile(r"^\[\d\d:\d\d\.\d{3}\] (caller|agent): .+$")


@pytest.fixture
def call(tmp_path: Path) -> Path:
    pcm = np.concatenate([silence(500), tone(1200), silence(1300)])
    return write_wav(tmp_path / "call.wav", pcm)


def test_format_ms() -> None:
    assert format_ms(12340) == "00:12.340"
    assert format_ms(3_723_004) == "1:02:03.004"


def test_text_output_with_reference_transcript(call: Path, tmp_path: Path, capsys) -> None:
    vtt = tmp_path / "ref.vtt"
    vtt.write_text(VTT.replace("00:00:62.000 --> 00:00:63.000", "00:01:02.000 --> 00:01:03.000"))
    assert main(["replay", str(call), "--transcript", str(vtt)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["[00:00.600] caller: where is my refund", "[00:01.700] agent: let me check"]
    assert all(LINE.match(line) for line in out)  # piped: no partial lines, no escapes


def test_json_round_trips(call: Path, tmp_path: Path, capsys) -> None:
    vtt = tmp_path / "ref.vtt"
    vtt.write_text(VTT.replace("00:00:62.000 --> 00:00:63.000", "00:01:02.000 --> 00:01:03.000"))
    assert main(["replay", str(call), "--transcript", str(vtt), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    events = [event_from_json(line) for line in lines]
    assert [e.to_json() for e in events] == lines
    assert isinstance(events[0], CallStarted) and isinstance(events[-1], CallEnded)
    assert events[-1].at_ms == 3000
    kinds = [(e.speaker, e.kind) for e in events if isinstance(e, Transcript)]
    assert ("caller", "partial") in kinds and ("caller", "final") in kinds
    assert any(isinstance(e, SpeechSegment) for e in events)


def test_transcript_beside_is_used_only_with_auto(call: Path, capsys) -> None:
    call.with_suffix(".vtt").write_text(VTT.replace("00:00:62.000 --> 00:00:63.000",
                                                    "00:01:02.000 --> 00:01:03.000"))
    assert main(["replay", str(call), "--transcript", "auto"]) == 0
    assert "where is my refund" in capsys.readouterr().out
    # without --transcript the file beside is ignored: vosk runs (here: no such model -> error)
    code = main(["replay", str(call), "--lang", "it", "--model", str(call.parent / "none")])
    assert code == ExitCode.MODEL
    assert "where is my refund" not in capsys.readouterr().out


def test_bad_transcript_exit_code(call: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"speaker": "caller", "start_ms": 10}\n')
    assert main(["replay", str(call), "--transcript", str(bad)]) == ExitCode.BAD_TRANSCRIPT
    assert capsys.readouterr().err.startswith(f"voiceassist: error: {bad}:1:")


def test_model_folder_that_is_not_a_model(call: Path, tmp_path: Path, capsys) -> None:
    junk = tmp_path / "vosk-model-small-ko-0.22"
    junk.mkdir()
    (junk / "README").write_text("not really")
    assert main(["replay", str(call), "--lang", "ko", "--model", str(junk)]) == ExitCode.MODEL
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"voiceassist: error: {junk} is not a vosk model folder " \
        "(missing am/final.mdl, conf/model.conf, graph/HCLG.fst or graph/HCLr.fst)"
    assert "Traceback" not in "\n".join(err)


def test_model_of_the_wrong_language(call: Path, ko_model_path: Path, capsys) -> None:
    assert main(["replay", str(call), "--lang", "it", "--model", str(ko_model_path)]) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert f"voiceassist: error: {ko_model_path} is a vosk model for 'ko', not for --lang it" in err


def test_several_files_summary_and_first_error_code(call: Path, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    write_wav(folder / "a.wav", np.concatenate([silence(500), tone(1200), silence(1300)]))
    write_wav(folder / "b.wav", np.concatenate([silence(500), tone(1200), silence(1300)]))
    (folder / "c.wav").write_text("this is not audio")
    vtt = tmp_path / "ref.vtt"
    vtt.write_text(VTT.replace("00:00:62.000 --> 00:00:63.000", "00:01:02.000 --> 00:01:03.000"))
    code = main(["replay", str(folder), "--transcript", str(vtt)])
    assert code == ExitCode.BAD_AUDIO
    captured = capsys.readouterr()
    assert captured.out.count("caller: where is my refund") == 2  # both good files printed
    assert "voiceassist: error:" in captured.err and "c.wav" in captured.err
    summary = captured.err.strip().splitlines()[-1]
    assert summary.startswith("replayed 3 files (2 ok, 1 failed): 00:06.000 of audio")
    assert "4 utterances" in summary


def test_error_mid_file_keeps_what_was_printed(
    call: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decoder that fails after 2.5 s of audio: lines recognised before stay printed, the
    utterance in progress is flushed, then the one-line error and its exit code."""
    import voiceassist.session.replay as replay_mod
    from voiceassist.errors import BadAudioError

    real_open = replay_mod.open_input

    class Failing:
        def __init__(self, inner):
            self.inner = inner
            self.info = inner.info

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.inner.close()

        def blocks(self):
            for b in self.inner.blocks():
                if b.start_sample >= 2500 * 16:
                    raise BadAudioError(f"{call}: audio data is corrupt near 2500 ms")
                yield b

    monkeypatch.setattr(replay_mod, "open_input", lambda item, opts: Failing(real_open(item, opts)))
    long_vtt = VTT.replace("00:00:01.700 --> 00:00:02.400", "00:00:01.700 --> 00:00:02.900")
    (tmp_path / "ref.vtt").write_text(long_vtt)
    code = main(["replay", str(call), "--transcript", str(tmp_path / "ref.vtt")])
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_AUDIO
    assert captured.out.splitlines() == ["[00:00.600] caller: where is my refund",
                                         "[00:01.700] agent: let me check"]
    assert captured.err == f"voiceassist: error: {call}: audio data is corrupt near 2500 ms\n"


def test_raw_mulaw_from_stdin(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import soundfile as sf

    pcm = np.concatenate([silence(500), tone(1200, 300), silence(1300)]).astype(np.float32) / 32768
    raw = io.BytesIO()
    sf.write(raw, pcm[::2], 8000, format="RAW", subtype="ULAW")
    stdin = io.TextIOWrapper(io.BytesIO(raw.getvalue()))
    monkeypatch.setattr(sys, "stdin", stdin)
    vtt = tmp_path / "ref.vtt"
    vtt.write_text(VTT)
    args = ["replay", "-", "--raw-rate", "8000", "--raw-format", "mulaw", "--transcript", str(vtt), "--json"]
    assert main(args) == 0
    events = [event_from_json(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0].source == "<stdin>" and events[-1].at_ms == 3000
    assert main(["replay", "-"]) == ExitCode.USAGE
    assert "--raw-rate" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys) -> None:
    vtt = tmp_path / "ref.vtt"
    vtt.write_text(VTT)
    assert main(["replay", str(tmp_path / "nope.wav"), "--transcript", str(vtt)]) == ExitCode.FILE_NOT_FOUND
    assert capsys.readouterr().err.count("\n") <= 2


@pytest.mark.vosk
def test_vosk_replay_prints_caller_lines_and_json(tmp_path: Path, speech, capsys) -> None:
    pcm = np.concatenate([silence(2000), speech(KO_SENTENCES[1]), silence(1500)])
    stereo = np.stack([pcm, np.zeros_like(pcm)], axis=1)
    path = write_wav(tmp_path / "ko.wav", stereo)
    path.with_suffix(".vtt").write_text(VTT)  # must be ignored without --transcript auto
    assert main(["replay", str(path), "--lang", "ko"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out and all(LINE.match(line) and "caller: " in line for line in out)
    assert "where is my refund" not in "\n".join(out)
    start_ms = int(out[0][4:6]) * 1000 + int(out[0][7:10])
    assert 1700 <= int(out[0][1:3]) * 60000 + start_ms <= 2600
    assert main(["replay", str(path), "--lang", "ko", "--json"]) == 0
    events = [event_from_json(line) for line in capsys.readouterr().out.splitlines()]
    finals = [e for e in events if isinstance(e, Transcript) and e.kind == "final"]
    assert [f.text for f in finals] == [line.split("caller: ", 1)[1] for line in out]
    json.dumps([e.to_dict() for e in events])


def test_text_output_reads_in_order_the_cue_after_the_words_that_triggered_it(capsys) -> None:
    """Piped text output is read after the fact: a cue fired in the middle of an utterance is
    printed after that utterance's line, not before it (the cue's own time stays on it)."""
    demo = Path(__file__).resolve().parent.parent / "voiceassist" / "data" / "demo" / "en"
    wav = demo / "abuse_to_end_call.wav"
    assert main(["replay", str(wav), "--transcript", str(wav.with_suffix(".vtt"))]) == 0
    lines = capsys.readouterr().out.splitlines()
    useless = next(i for i, line in enumerate(lines) if "caller: You are a useless idiot." in line)
    cue = next(i for i, line in enumerate(lines) if ">> use_their_name" in line)
    assert cue == useless + 1, lines
    assert lines[cue].startswith("[00:08.037]")


ES_VTT = """WEBVTT
{header}
00:00:00.500 --> 00:00:02.500
<v caller>eres un gilipollas
"""


@pytest.mark.parametrize("header", ["Language: es\n", "\nNOTE es: Insultos\n"])
def test_a_spanish_transcript_makes_a_spanish_call_without_lang(tmp_path: Path, header: str, capsys) -> None:
    """No --lang, no expectation file: the transcript's language decides (it used to run as
    English and give no cue at all)."""
    wav = write_wav(tmp_path / "es_call.wav", np.concatenate([silence(300), tone(2500), silence(3000)]))
    wav.with_suffix(".vtt").write_text(ES_VTT.format(header=header), encoding="utf-8")
    assert main(["replay", str(wav), "--transcript", "auto", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["lang"] == "es"
    cues = [e for e in events if e["type"] == "cue"]
    assert cues and cues[0]["category"] == "abuse"
    # --lang still wins: as English, the Spanish insult is not recognised
    assert main(["replay", str(wav), "--transcript", "auto", "--json", "--lang", "en"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["lang"] == "en" and not [e for e in events if e["type"] == "cue"]


def test_a_jsonl_transcripts_lang_field_names_the_call_language(tmp_path: Path, capsys) -> None:
    wav = write_wav(tmp_path / "call.wav", np.concatenate([silence(300), tone(2500), silence(3000)]))
    ref = tmp_path / "call.transcript.jsonl"
    ref.write_text(json.dumps({"lang": "es", "speaker": "caller", "start_ms": 500, "end_ms": 2500,
                               "text": "eres un gilipollas"}) + "\n", encoding="utf-8")
    assert main(["replay", str(wav), "--transcript", str(ref), "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["lang"] == "es" and any(e["type"] == "cue" for e in events)


def test_a_transcript_in_a_language_without_rules_is_a_usage_error(tmp_path: Path, capsys) -> None:
    wav = write_wav(tmp_path / "call.wav", np.concatenate([silence(300), tone(2500), silence(3000)]))
    wav.with_suffix(".vtt").write_text(ES_VTT.format(header="Language: fr-FR\n"), encoding="utf-8")
    assert main(["replay", str(wav), "--transcript", "auto"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("voiceassist: error:") and "'fr'" in err and "--lang" in err
