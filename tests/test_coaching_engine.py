"""The coaching engine on scripted event streams (transcripts and speech segments at known call
times): each habit is coached in its own call and not in a benign one; cooldowns, the coaching
pace, caller-side priority and the agent's off switches hold cues back; the after-call summary;
robotic openings across calls with the opening history kept on disk; rushing from audio."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
from conftest import espeak, silence

from voiceassist.coaching.engine import CoachingEngine
from voiceassist.coaching.loader import load_coaching
from voiceassist.coaching.robotic import FileOpenings, MemoryOpenings
from voiceassist.events import Cue, SpeechSegment, Transcript
from voiceassist.stt.reference import spread_words


def said(speaker: str, text: str, start: int, end: int, utt: int = 0) -> Transcript:
    return Transcript(
        speaker=speaker,
        kind="final",
        text=text,
        start_ms=start,
        end_ms=end,  # type: ignore[arg-type]
        words=spread_words(text.split(), start, end),
        utterance=utt,
    )


def play(coach: CoachingEngine, script: list[tuple[str, str, int, int]], until: int) -> list[Cue]:
    """Feed finals (and their speech segments) in time order, advancing the clock every 100 ms."""
    events: list[tuple[int, int, object]] = []
    for i, (who, text, start, end) in enumerate(script):
        events.append((start, 0, SpeechSegment(speaker=who, kind="start", at_ms=start - 315)))  # type: ignore[arg-type]
        events.append((end + 315, 1, SpeechSegment(speaker=who, kind="end", at_ms=end + 315)))  # type: ignore[arg-type]
        events.append((end + 700, 2, said(who, text, start, end, i)))
    events.sort(key=lambda e: (e[0], e[1]))
    cues: list[Cue] = []
    t = 0
    for at, _, ev in events:
        while t < at:
            cues += coach.advance(t)
            t += 100
        cues += coach.on_event(ev)  # type: ignore[arg-type]
    while t <= until:
        cues += coach.advance(t)
        t += 100
    return cues


OPEN = ("agent", "Good morning, this is Sam, how can I help you today?", 500, 3500)


def test_rulebook_without_reason_is_coached_and_with_a_reason_is_not() -> None:
    bare = [
        OPEN,
        ("caller", "Can I get a refund for the cancelled train?", 4000, 7000),
        ("agent", "No, it's our policy, refunds only go to the original ticket.", 7500, 11000),
    ]
    cues = play(load_coaching("en"), bare, 30_000)
    assert [(c.cue, c.form) for c in cues] == [("explain_why", "rulebook")]
    assert cues[0].rule.startswith("rules/en/coaching.toml:")
    assert cues[0].at_ms >= 7_500 + 8_000  # waited for a rescue that did not come

    rescued = [
        *bare[:2],
        ("agent", "It's our policy, refunds only go to the original ticket.", 7500, 11000),
        ("agent", "That is because it protects you from card fraud.", 13000, 15500),
    ]
    assert play(load_coaching("en"), rescued, 30_000) == []

    late = [*rescued[:3], ("agent", "That is because it protects you from card fraud.", 25000, 27500)]
    assert [c.cue for c in play(load_coaching("en"), late, 40_000)] == ["explain_why"]


def test_dead_end_needs_an_alternative_and_brush_off_needs_the_agent_to_stay() -> None:
    dead = [OPEN, ("agent", "There's nothing I can do about that, sorry.", 4000, 6500)]
    assert [c.cue for c in play(load_coaching("en"), dead, 25_000)] == ["offer_alternative"]
    helped = [
        OPEN,
        (
            "agent",
            "There's nothing I can do about the fee, but what I can do is waive next month's charge.",
            4000,
            9000,
        ),
    ]
    assert play(load_coaching("en"), helped, 25_000) == []
    brush = [OPEN, ("agent", "That's not my department, you'll have to call another number.", 4000, 7500)]
    assert [c.cue for c in play(load_coaching("en"), brush, 25_000)] == ["stay_with_them"]
    warm = [
        OPEN,
        ("agent", "That's not my department, but I'll transfer you myself and stay on the line.", 4000, 8500),
    ]
    assert play(load_coaching("en"), warm, 25_000) == []


def test_jargon_adds_up_and_talking_down_is_coached_at_once() -> None:
    one = [OPEN, ("agent", "I can see your router's DNS settings are fine.", 4000, 7000)]
    assert play(load_coaching("en"), one, 20_000) == []
    many = [OPEN, ("agent", "The ONT shows an alarm after the firmware push.", 4000, 7000)]
    cues = play(load_coaching("en"), many, 20_000)
    assert [(c.cue, c.form) for c in cues] == [("plain_words", "jargon")]
    assert {"ONT", "firmware"} <= set(cues[0].matched)
    down = [OPEN, ("agent", "As I already told you, it's really simple.", 4000, 6500)]
    assert [(c.cue, c.form) for c in play(load_coaching("en"), down, 20_000)] == [
        ("plain_words", "condescension")
    ]


def test_a_stated_feeling_needs_an_acknowledgement() -> None:
    feeling = ("caller", "I'm so worried, we have had no heating for three days.", 4000, 8000)
    cold = [OPEN, feeling, ("agent", "Give me the postcode and the name on the account.", 8600, 12000)]
    cues = play(load_coaching("en"), cold, 30_000)
    assert [c.cue for c in cues] == ["acknowledge"]
    assert "worried" in cues[0].why
    warm = [
        OPEN,
        feeling,
        ("agent", "Oh no, I'm sorry, that sounds really stressful. Give me the postcode.", 8600, 13000),
    ]
    assert play(load_coaching("en"), warm, 30_000) == []
    silent = [OPEN, feeling]  # the agent is looking it up: silence is not coldness
    assert play(load_coaching("en"), silent, 30_000) == []


def test_data_before_a_human_question_is_robotic() -> None:
    robotic = [("agent", "Thank you for calling. Account number please.", 500, 3000)]
    cues = play(load_coaching("en"), robotic, 10_000)
    assert [(c.cue, c.form) for c in cues] == [("ask_personal_question", "data_first")]
    human = [
        OPEN,
        ("caller", "My bill doubled.", 4000, 5500),
        ("agent", "I'm sorry about that, can I have your account number?", 6000, 9000),
    ]
    assert play(load_coaching("en"), human, 20_000) == []


def test_benign_call_is_quiet_and_summary_says_so() -> None:
    script = [
        OPEN,
        ("caller", "My internet drops every evening and I'm really fed up.", 4000, 8000),
        ("agent", "I understand, that sounds frustrating. Let me check your line.", 8600, 12000),
        ("agent", "I'll book an engineer for Thursday morning, does that suit you?", 14000, 18000),
    ]
    coach = load_coaching("en")
    assert play(coach, script, 30_000) == []
    s = coach.end_call(30_000)
    assert s.clean and s.text == "Call coaching: nothing to work on, well done"


def test_cues_are_held_by_cooldown_pace_caller_cues_and_off_switches() -> None:
    dead = ("agent", "There's nothing I can do.", 4000, 6000)
    brush = ("agent", "That's not my department.", 20000, 22000)
    # pace_ms: the second habit 16 s after the first cue is counted but not whispered
    coach = load_coaching("en")
    cues = play(coach, [OPEN, dead, brush], 45_000)
    assert [c.cue for c in cues] == ["offer_alternative"]
    assert coach.end_call(45_000).rulebook == 2
    # off: by cue id or by signal name; still counted in the summary
    for off in (["offer_alternative"], ["dead_end"]):
        coach = load_coaching("en", off=off)
        assert play(coach, [OPEN, dead], 25_000) == []
        assert coach.end_call(25_000).rulebook == 1
    # a caller-side cue just before: the caller's cue comes first; the coaching cue waits out
    # the quiet period after it (after_caller_cue_ms, 10 s) and then plays, instead of being lost
    coach = load_coaching("en")
    caller_cue = Cue(
        at_ms=14_000,
        cue="state_boundary",
        category="abuse",
        form="insult",
        rung=2,
        severity="warn",
        say="Set the boundary",
        script="",
    )
    coach.on_event(caller_cue)
    assert play(coach, [OPEN, dead], 23_900) == []
    coach = load_coaching("en")
    coach.on_event(caller_cue)
    held = play(coach, [OPEN, dead], 25_000)
    assert [(c.cue, c.at_ms) for c in held] == [("offer_alternative", 24_000)]
    assert coach.end_call(25_000).rulebook == 1, "counted once, not again when it played"


def _segments(coach: CoachingEngine, spans: list[tuple[str, int, int]], until: int) -> list[Cue]:
    evs = sorted(
        [(s - 315, SpeechSegment(speaker=w, kind="start", at_ms=s - 315)) for w, s, _ in spans]  # type: ignore[arg-type]
        + [(e + 315, SpeechSegment(speaker=w, kind="end", at_ms=e + 315)) for w, _, e in spans],  # type: ignore[arg-type]
        key=lambda x: x[0],
    )
    cues: list[Cue] = []
    t = 0
    for at, ev in evs:
        while t < at:
            cues += coach.advance(t)
            t += 100
        cues += coach.on_event(ev)
    while t <= until:
        cues += coach.advance(t)
        t += 100
    return cues


def test_long_monologue_while_the_caller_is_silent() -> None:
    talk = [("agent", s, s + 4000) for s in range(1000, 41000, 5000)]  # 40 s, 1 s breaths
    coach = load_coaching("en")
    cues = _segments(coach, talk, 45_000)
    assert [(c.cue, c.form) for c in cues] == [("slow_down", "monologue")]
    assert 31_000 <= cues[0].at_ms <= 32_000
    assert coach.end_call(45_000).monologues == 1
    checked_in = [*talk, ("caller", 18_800, 19_600)]  # the caller says "okay" half-way
    assert _segments(load_coaching("en"), checked_in, 45_000) == []


def test_repeated_opening_across_calls_is_robotic(tmp_path: Path) -> None:
    opening = "Thank you for calling Harbour Energy, my name is Sam, how can I help you today?"
    history = FileOpenings("sam", path=tmp_path / "coaching" / "openings.json")
    first_cues = []
    for _call in range(4):
        coach = load_coaching("en", openings=history)
        first_cues.append(play(coach, [("agent", opening, 500, 4500)], 6000))
        coach.end_call(6000)
    assert [len(c) for c in first_cues] == [0, 0, 0, 1]
    assert first_cues[3][0].cue == "ask_personal_question" and first_cues[3][0].form == "robotic"
    f = tmp_path / "coaching" / "openings.json"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    stored = f.read_text()
    assert "harbour" not in stored.lower() and "calling" not in stored.lower()
    assert len(json.loads(stored)["agents"]["sam"]) == 4
    # a personal opening on the next call is fine
    coach = load_coaching("en", openings=history)
    fresh = "Hi there, Sam speaking, lovely to hear from you, what's been happening with your account?"
    assert play(coach, [("agent", fresh, 500, 4500)], 6000) == []
    # another agent's history is separate
    other = load_coaching("en", openings=FileOpenings("kim", path=f))
    assert play(other, [("agent", opening, 500, 4500)], 6000) == []


def test_memory_openings_keep_only_the_last_few() -> None:
    mem = MemoryOpenings(keep=2)
    for i in range(5):
        mem.add((str(i),))
    assert mem.recent() == [("3",), ("4",)]


def test_rushing_agent_audio_is_coached_and_calm_speech_is_not() -> None:
    text = (
        "Let me check that for you, the parcel left our warehouse on Monday and the courier will "
        "deliver it before noon tomorrow."
    )

    def feed(wpm: int) -> tuple[list[Cue], CoachingEngine]:
        coach = load_coaching("en")
        clip = np.concatenate([espeak(text, "en-us+f3", wpm), silence(300)])
        audio = np.concatenate([silence(500)] + [clip] * 8)
        cues: list[Cue] = []
        for off in range(0, len(audio), 480):
            cues += coach.feed_agent_audio(audio[off : off + 480])
        return cues, coach

    fast, coach = feed(390)
    assert [(c.cue, c.form) for c in fast] == [("slow_down", "rushing")]
    s = coach.end_call(coach.pace.now_ms)
    assert s.pace_high_minutes and "pace high in minute" in s.text
    calm, coach = feed(165)
    assert calm == [] and coach.end_call(coach.pace.now_ms).pace_high_minutes == ()


def test_the_same_jargon_term_twice_is_not_a_stream_of_jargon() -> None:
    twice = [
        OPEN,
        ("agent", "The ONT is fine.", 4000, 6000),
        ("agent", "Yes, the ONT light is green.", 8000, 10000),
    ]
    assert play(load_coaching("en"), twice, 20_000) == []


def test_an_off_switch_that_names_nothing_is_a_config_error() -> None:
    """``cues.coaching_off = ["talkover"]`` (a typo for talk_over) must not silently leave the
    cue on: the agent is told which names exist."""
    import pytest

    from voiceassist.coaching.loader import coaching_from_settings
    from voiceassist.errors import ConfigError

    for typo in ("talkover", "pace", "slow-down"):
        with pytest.raises(ConfigError, match=typo) as err:
            coaching_from_settings({"call.lang": "en", "cues.coaching_off": (typo,)}, remember_openings=False)
        assert "talk_over" in str(err.value) and "slow_down" in str(err.value)
    coach = coaching_from_settings(
        {"call.lang": "en", "cues.coaching_off": ("talk_over", "slow_down", "plain_words")},
        remember_openings=False,
    )
    assert coach is not None and coach.off == {"talk_over", "slow_down", "plain_words"}


def test_agent_speaks_the_call_language_and_reads_cues_in_their_own() -> None:
    """An Italian agent on the Spanish line (call.lang es, call.agent_lang it): what the agent says
    is Spanish, so the Spanish phrases are coached, and the whisper is in Italian."""
    call = [
        ("agent", "Buenos días, le atiende Sara, ¿en qué puedo ayudarle?", 500, 3500),
        ("caller", "Quiero que me devuelvan el dinero del billete cancelado.", 4000, 7000),
        ("agent", "No, es nuestra política, solo devolvemos al billete original.", 7500, 11000),
    ]
    cues = play(load_coaching("es", agent_lang="it"), call, 30_000)
    assert [(c.cue, c.form) for c in cues] == [("explain_why", "rulebook")]
    it_texts = load_coaching("it").lexicon.texts["rulebook"]
    assert (cues[0].say, cues[0].script) == (it_texts.say, it_texts.script)
