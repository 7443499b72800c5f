"""Engine behaviour over scripted calls: ladders (PLAYBOOK 1-9), decay, patterns, partials."""

from __future__ import annotations

import re

import pytest

from voiceassist.escalation.engine import Engine, load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.events import Cue, Transcript


def say(
    engine: Engine, text: str, at_ms: int, utt: int, kind: str = "final", speaker: str = "caller"
) -> list[Cue]:
    end = at_ms + 3000
    return engine.process(Transcript(speaker, kind, text, at_ms, end, words_for(text, at_ms, end), utt))  # type: ignore[arg-type]


def run(texts: list[str], gap_ms: int = 10000, **kw: object) -> list[list[str]]:
    """Cue ids per utterance of a scripted call (utterances gap_ms apart)."""
    e = load_engine("en", **kw)  # type: ignore[arg-type]
    return [[c.cue for c in say(e, t, k * gap_ms, k)] for k, t in enumerate(texts)]


def test_abuse_ladder_playbook_1() -> None:
    got = run(
        [
            "I've had enough",
            "this is ridiculous",
            "you idiot",
            "you stupid moron",
            "shut up you clown",
            "you useless idiot",
            "you absolute idiot",
        ]
    )
    assert got == [
        [],  # one angry remark is venting: no whisper yet
        ["calm_first"],
        ["use_their_name"],
        ["state_boundary"],
        ["last_warning"],
        ["offer_transfer"],
        ["end_call"],
    ]


def test_after_end_call_nothing_lower_fires() -> None:
    e = load_engine("en")
    for k, t in enumerate(["you idiot", "you moron", "you idiot", "you clown", "you moron"]):
        say(e, t, k * 10000, k)
    assert e.rung("abuse") == 6
    assert say(e, "this is absolutely ridiculous", 60000, 5) == []  # calm_first is lower than end_call
    assert [c.cue for c in say(e, "I'm going to kill you", 70000, 6)] == ["call_security", "report_threat"]


def test_threat_of_violence_jumps_straight_to_security() -> None:
    cues = run(["I'm going to kill you"])[0]
    assert cues == ["call_security", "report_threat"]
    e = load_engine("en")
    c = say(e, "I'm going to kill you", 0, 0)
    assert {x.severity for x in c} == {"urgent"} and c[0].rule.startswith("rules/en/lexicon/threat.toml:")


def test_legal_threat_is_its_own_kind_and_needs_a_pattern() -> None:
    """PLAYBOOK 9: a threat to sue is not taken personally. One is a complaint (no whisper: the
    angry-but-clean caller is not nagged about); a second inside the threat window is a pattern
    and cues the legal ladder with its incident record (policy: forms.legal signal_cap 0.5)."""
    assert run(["I will sue you for this"]) == [[]]
    e = load_engine("en")
    assert say(e, "I will sue you for this", 0, 0) == []
    c = say(e, "my solicitor will be in touch", 30000, 1)
    assert [(x.cue, x.form, x.severity) for x in c] == [
        ("legal_threat", "legal", "warn"),
        ("report_threat", "legal", "warn"),
    ]


def test_one_legal_threat_does_not_soften_a_threat_of_violence() -> None:
    assert run(["I will sue you", "I'm going to kill you"], gap_ms=5000) == [
        [], ["call_security", "report_threat"]
    ]


def test_racism_prejudiced_needs_a_pattern_playbook_2() -> None:
    got = run(
        ["your English is very good", "where are you really from", "typical Indian call centre"], gap_ms=20000
    )
    assert got == [[], ["ask_what_they_mean"], ["name_prejudice"]]


def test_racism_aggressive_and_joking_forms() -> None:
    assert run(["put me through to a white person please"])[0] == ["refuse_request", "cite_policy"]
    assert run(["ching chong"])[0] == ["refuse_request", "cite_policy"]
    assert run(["me so solly", "do you eat dogs"], gap_ms=20000) == [[], ["ask_what_they_mean"]]


def test_sexism_forms_playbook_3() -> None:
    assert run(["maybe I should ask your male colleague", "typical woman"], gap_ms=20000) == [
        [],
        ["ask_what_they_mean"],
    ]
    assert run(["thanks sweetheart", "listen darling"], gap_ms=20000) == [[], ["deflect"]]
    assert run(["let a man do it"])[0] == ["last_warning", "cite_policy"]


def test_hate_uses_the_racism_ladder() -> None:
    assert run(["you retard"])[0] == ["refuse_request", "cite_policy"]
    assert run(["that's so gay", "are you gay"], gap_ms=20000) == [[], ["ask_what_they_mean"]]


def test_flirting_ladder_playbook_4() -> None:
    got = run(
        [
            "you have a lovely voice",
            "you sound gorgeous",
            "are you single",
            "you sound so cute",
            "what do you look like",
        ],
        gap_ms=20000,
    )
    assert got == [[], ["deflect"], ["steer_back"], ["stress_professionalism"], ["business_only"]]
    assert run(["where do you live"])[0] == ["end_call", "report_to_manager"]


def test_policy_complaint_ladder_playbook_5() -> None:
    """One remark about a rule is a complaint (no cue: the angry-but-clean caller is not nagged
    about); pushing back again inside the window cues, then each further sign climbs."""
    got = run(["that's not fair", "your policy makes no sense", "it's a rip off", "that rule is stupid"],
              gap_ms=20000)  # fmt: skip
    assert got == [[], ["explain_why"], ["agree_and_escalate"], ["offer_alternative"]]
    assert run(["that's not fair"]) == [[]]


def test_struggling_ladder_playbook_6() -> None:
    """One "I don't understand" or "could you repeat that" is ordinary speech; a second sign
    inside the window cues, and once active each sign climbs."""
    got = run(["I don't understand", "I'm so confused", "I'm completely lost", "this is all too much for me"],
              gap_ms=20000)  # fmt: skip
    assert got == [[], ["plain_words"], ["do_it_for_them"], ["suggest_expert"]]
    assert run(["I can't hear you"]) == [[]]
    assert run(["I can't hear you", "sorry, I can't hear you at all"], gap_ms=5000)[1] == ["speak_clearly"]


def test_troll_ladder_playbook_7() -> None:
    got = run(["is your refrigerator running", "deez nuts", "you mad bro"], gap_ms=20000)
    assert got == [["real_question"], ["stop_feeding"], ["end_call"]]


def test_anger_ladder_playbook_8() -> None:
    got = run(
        ["this is ridiculous", "I'm furious", "I've had enough", "this is a joke", "I'm fed up",
         "this is unacceptable"],
        gap_ms=10000,
    )
    assert got == [
        [], ["calm_first"], ["acknowledge"], ["ask_details"], ["apologize_no_blame"], ["explain_why"]
    ]


def test_one_angry_remark_is_quiet_a_second_inside_the_window_cues() -> None:
    assert run(["this is ridiculous"]) == [[]]
    assert run(["this is ridiculous", "I'm furious"], gap_ms=10000) == [[], ["calm_first"]]
    # anger window is 90 s: two remarks further apart never add up.
    assert run(["this is ridiculous", "I'm furious"], gap_ms=120000) == [[], []]


def test_manager_demand_and_limits_playbook_9() -> None:
    assert run(["I want to speak to your manager"]) == [[]]  # asking once is not insisting
    assert run(["I want to speak to your manager", "get me your manager now"])[1] == ["offer_supervisor"]
    e = load_engine("en")
    say(e, "you idiot", 0, 0)
    say(e, "you moron", 10000, 1)
    cues = say(e, "my account number is one two three", 901000, 2)
    assert [(c.cue, c.category) for c in cues] == [("offer_transfer", "limits")]
    after = e.end_call(905000)
    assert [c.cue for c in after] == ["caller_flagged", "take_a_breath"]


def test_quiet_call_gets_no_after_call_cue() -> None:
    e = load_engine("en")
    say(e, "hello I need to pay my bill", 0, 0)
    assert e.end_call(10000) == []


def test_decay_lowers_the_rung() -> None:
    # abuse window is 120 s: two insults far apart stay on the first insult rung.
    assert run(["you idiot", "you moron"], gap_ms=250000) == [["use_their_name"], ["use_their_name"]]
    # ambiguous signals outside the window never add up.
    assert run(["where are you really from", "your English is very good"], gap_ms=400000) == [[], []]


def test_apology_lowers_the_level() -> None:
    e = load_engine("en")
    say(e, "you idiot", 0, 0)
    say(e, "you moron", 10000, 1)
    assert e.rung("abuse") == 3
    say(e, "sorry I didn't mean that", 20000, 2)
    assert e.rung("abuse") == 2
    assert [c.cue for c in say(e, "you idiot", 40000, 3)] == ["state_boundary"]


def test_cooldown_and_pace_hold_back_non_urgent_cues() -> None:
    e = load_engine("en")
    assert say(e, "I've had enough", 0, 0) == []
    first = say(e, "this is ridiculous", 4000, 1)
    assert [c.cue for c in first] == ["calm_first"]
    # 2 s later: a different cue of the same priority is held back by the pace limit.
    assert say(e, "I'm so confused", 6000, 2) == []
    # urgent cues pass anyway.
    assert [c.cue for c in say(e, "I know where you live", 7000, 3)] == ["call_security", "report_threat"]


def test_agent_speech_is_ignored() -> None:
    e = load_engine("en")
    assert say(e, "you idiot I will kill you", 0, 0, speaker="agent") == []


def test_caller_name_fills_the_script() -> None:
    e = load_engine("en", agent_name="Maria")
    say(e, "hi my name is john", 0, 0)
    c = say(e, "you idiot", 10000, 1)
    assert c[0].cue == "use_their_name" and c[0].script.startswith("John, I'm Maria,")
    e2 = load_engine("en")
    c2 = say(e2, "you idiot", 0, 0)
    assert c2[0].script == "I really want to get this sorted out for you."


def test_cue_fields_are_filled() -> None:
    e = load_engine("en")
    (c,) = say(e, "listen you stupid idiot I want my money", 1000, 7)
    assert c.at_ms > 1000 and c.at_ms <= 4000
    assert c.category == "abuse" and c.form == "insult" and c.rung == 2 and c.severity == "info"
    assert c.say == "Use their name" and c.matched == ("stupid",) and c.utterance == 7
    assert c.rule.startswith("rules/en/lexicon/abuse.toml:") and "abuse/insult" in c.why


def _split_outputs(text: str, cuts: list[int]) -> list[tuple[object, ...]]:
    e = load_engine("en")
    e.reset()
    # an angry remark before, so a single anger signal in ``text`` also cues (anger needs two)
    before = "I've had enough"
    e.process(Transcript("caller", "final", before, -8000, -6000, words_for(before, -8000, -6000), -1))
    words = words_for(text, 0, 6000)
    out: list[Cue] = []
    for cut in cuts:
        part = words[:cut]
        out += e.process(
            Transcript("caller", "partial", " ".join(w.text for w in part), 0, part[-1].end_ms, part, 0)
        )
    out += e.process(Transcript("caller", "final", text, 0, 6000, words, 0))
    return [(c.cue, c.at_ms, c.matched, c.rule) for c in out]


SPLIT_TEXTS = [
    "you idiot I will kill you and I know where you live",
    "my name is Ann and you are a stupid moron honestly",
    "I'm not calling you an idiot but this stupid printer is useless and I am furious",
    "you people are useless shut up and put a white person on",
]


@pytest.mark.parametrize("text", SPLIT_TEXTS)
def test_same_output_however_the_text_is_split(text: str) -> None:
    n = len(text.split())
    whole = _split_outputs(text, [])
    assert whole, "the text should trigger something"
    for cuts in ([1], [2, 3], list(range(1, n)), [n - 1], [3, 6, 9], [n]):
        assert _split_outputs(text, [c for c in cuts if 1 <= c <= n]) == whole


def test_cue_fired_on_partial_is_not_repeated_by_final() -> None:
    e = load_engine("en")
    text = "I will kill you right now do you hear me"
    words = words_for(text, 0, 5000)
    part = e.process(
        Transcript("caller", "partial", " ".join(w.text for w in words[:6]), 0, words[5].end_ms, words[:6], 0)
    )
    assert [c.cue for c in part] == ["call_security", "report_threat"]
    assert e.process(Transcript("caller", "final", text, 0, 5000, words, 0)) == []


NAME_INTROS = {
    "it": "buongiorno, mi chiamo Giulia",
    "es": "buenos días, me llamo Ana",
    "pl": "dzień dobry, nazywam się Marek",
    "ko": "안녕하세요 제 이름은 민수입니다",
    "en": "hello, my name is John",
}
INSULTS = {
    "it": "sei un idiota",
    "es": "eres un idiota",
    "pl": "ty idioto",
    "ko": "너 바보야",
    "en": "you idiot",
}


@pytest.mark.parametrize("lang", sorted(NAME_INTROS))
@pytest.mark.parametrize("named", [True, False])
def test_script_stays_whole_without_an_agent_name(lang: str, named: bool) -> None:
    """call.agent_name defaults to "": the {agent} clause goes, the sentence stays whole."""
    with_agent = load_engine(lang, agent_name="Zora")
    without = load_engine(lang)
    scripts = []
    for e in (with_agent, without):
        texts = ([NAME_INTROS[lang]] if named else []) + [INSULTS[lang]]
        cues = [c for k, t in enumerate(texts) for c in say(e, t, k * 10000, k)]
        scripts.append(next(c.script for c in cues if c.cue == "use_their_name"))
    full, bare = scripts
    assert "Zora" in full
    # Nothing but the agent's clause is lost: every word of the bare script is in the full one,
    # in the same order, and the words next to the agent's name are gone with it.
    words = full.lower().replace(",", " ").split()
    kept = bare.lower().replace(",", " ").split()
    assert kept == [w for w in words if w in kept], (full, bare)
    i = words.index(next(w for w in words if "zora" in w))
    assert words[i - 1] not in kept, (full, bare)


def _stable_partial_cues(lang: str, text: str) -> list[str]:
    """Cues from one stable partial holding exactly ``text`` (nothing said after it yet)."""
    e = load_engine(lang)  # type: ignore[arg-type]
    words = words_for(text, 0, 3000)
    return [c.cue for c in e.process(Transcript("caller", "partial", text, 0, 3000, words, 0, stable=True))]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "you are a useless"),
        ("en", "you're such an idiot"),
        ("en", "you are so stupid"),
        ("it", "sei proprio un cretino"),
        ("es", "eres un inútil"),
        ("pl", "jesteś kompletnym idiotą"),
    ],
)
def test_an_insult_after_you_are_cues_without_waiting_for_the_next_word(lang: str, text: str) -> None:
    """'You are a useless ...': the copula already says who is meant, so the cue goes out when the
    insult word is heard, not a word later (issue 5: the agent hears it within 300 ms)."""
    assert _stable_partial_cues(lang, text), f"{lang}: {text!r} waited for the next word"


@pytest.mark.parametrize("text", ["you stupid", "this is a stupid", "your useless"])
def test_an_insult_without_a_copula_still_waits_for_the_next_word(text: str) -> None:
    """'you stupid printer' and 'your useless website' are about things: one word of look-ahead."""
    assert _stable_partial_cues("en", text) == []


ADDRESSED_SPLIT = ["you are a useless idiot and I am done", "you are a stupid printer guy honestly"]


@pytest.mark.parametrize("text", ADDRESSED_SPLIT)
def test_addressed_insults_give_the_same_output_however_split(text: str) -> None:
    n = len(text.split())
    whole = _split_outputs(text, [])
    for cuts in ([1], [2, 3], list(range(1, n)), [4], [n]):
        assert _split_outputs(text, [c for c in cuts if 1 <= c <= n]) == whole


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I will sue you and then I will kill you"),
        ("it", "vi denuncio tutti e poi ti ammazzo"),
        ("es", "os voy a denunciar y luego te voy a matar"),
    ],
)
def test_a_harsher_form_later_in_the_same_utterance_is_not_lost(lang: str, text: str) -> None:
    """One strike per category per utterance must not swallow a worse form that follows: a death
    threat after a legal one in the same breath still calls security (the legal cue comes too
    once the legal threat is a pattern: said before in the window)."""
    e = load_engine(lang)  # type: ignore[arg-type]
    first = re.split(" and | e poi | y luego ", text)[0]
    e.process(Transcript("caller", "final", first, 0, 3000, words_for(first, 0, 3000), 0))
    words = words_for(text, 5000, 9000)
    cues = [c.cue for c in e.process(Transcript("caller", "final", text, 5000, 9000, words, 1))]
    assert "legal_threat" in cues and "call_security" in cues, cues


def test_a_milder_form_after_a_harsh_one_adds_nothing() -> None:
    e = load_engine("en")
    cues = [c.cue for c in say(e, "I will kill you, I will sue you", 0, 0)]
    assert cues == ["call_security", "report_threat"]


@pytest.mark.parametrize(
    ("lang", "text", "cued"),
    [
        # quoting a group statement to condemn it: quiet
        ("en", "saying immigrants are criminals is racist", False),
        ("es", "decir que los inmigrantes son delincuentes es racista", False),
        # the same verbs around an insult at the agent: still an insult
        ("en", "what are you saying you idiot", True),
        ("en", "stop saying that, you moron", True),
        ("es", "deja de decir tonterías, imbécil", True),
    ],
)
def test_counter_speech_markers_guard_group_statements_not_insults(lang: str, text: str, cued: bool) -> None:
    e = load_engine(lang)  # type: ignore[arg-type]
    words = words_for(text, 0, 4000)
    cues = e.process(Transcript("caller", "final", text, 0, 4000, words, 0))
    assert bool(cues) is cued, [c.cue for c in cues]
