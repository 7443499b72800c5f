"""Table-driven English positives and the negatives that matter, per category."""

from __future__ import annotations

import pytest

from voiceassist.escalation.engine import load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.events import Transcript

ENGINE = load_engine("en")


def categories(*turns: str) -> set[str]:
    ENGINE.reset()
    got: set[str] = set()
    for k, t in enumerate(turns):
        start = k * 4000
        got |= {
            c.category
            for c in ENGINE.process(
                Transcript("caller", "final", t, start, start + 3500, words_for(t, start, start + 3500), k)
            )
        }
    return got


POSITIVE = [
    ("abuse", ["you are a complete idiot"]),
    ("abuse", ["fuck off"]),
    ("abuse", ["you c**t"]),
    ("abuse", ["shut up"]),
    ("abuse", ["you useless moron"]),
    ("threat", ["I'm gonna kill you"]),
    ("threat", ["I know where you live"]),
    ("threat", ["see you in court"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["I'll smash your face in"]),
    ("racism", ["go back to your own country"]),
    ("racism", ["where are you really from", "your English is surprisingly good"]),
    ("sexism", ["put a man on the phone"]),
    ("sexism", ["thanks sweetheart", "ok darling"]),
    ("hate", ["you faggot"]),
    ("hate", ["muslims are all terrorists"]),
    ("flirting", ["are you single"]),
    ("flirting", ["what time do you finish"]),
    ("flirting", ["you have a sexy voice", "bet you're gorgeous"]),
    ("troll", ["is your fridge running"]),
    ("troll", ["this is a prank call"]),
    ("anger", ["this is outrageous"]),
    ("anger", ["let me speak to your supervisor"]),
    ("policy_complaint", ["that's so unfair"]),
    ("policy_complaint", ["that rule is ridiculous"]),
    ("struggling", ["I don't understand"]),
    ("struggling", ["can you speak up please"]),
]


@pytest.mark.parametrize(("category", "turns"), POSITIVE)
def test_positive(category: str, turns: list[str]) -> None:
    if category in ("anger", "policy_complaint", "struggling") and len(turns) == 1:
        turns = [*turns, *turns]  # these need a pattern (signal_cap): said twice
    assert category in categories(*turns)


NEGATIVE = [
    # negation
    ["I'm not calling you an idiot"],
    ["I'm not going to sue anyone"],
    ["I would never say you're stupid"],
    # reported speech
    ["my neighbour called me an idiot"],
    ["he said you people are all the same"],
    ["my son said he'd kill me if I broke it"],
    # neutral mentions of groups
    ["my gay brother is on the account"],
    ["I ordered a Chinese takeaway with this card"],
    ["we're Muslim so Fridays are hard"],
    ["I'm disabled and need a home visit"],
    # profanity at objects, self-deprecation
    ["this stupid printer keeps jamming"],
    ["the damn app crashed"],
    ["I'm such an idiot I forgot my password"],
    # insults inside other words
    ["I live in Scunthorpe"],
    ["can you assess the claim"],
    ["business class please"],
    ["the shiitake mushrooms were missing"],
    # homonyms
    ["my phone died"],
    ["can you shoot me an email"],
    ["I spoke to Sue yesterday"],
    ["my name is Dick Turner"],
    ["the fire retardant spray"],
    ["the jerk chicken was cold"],
    ["oh dear"],
    ["I'd love some honey in the hamper"],
    ["my lawyer is handling my father's estate"],
    ["could I speak to the account manager"],
    ["where are you based"],
]


@pytest.mark.parametrize("turns", NEGATIVE)
def test_negative(turns: list[str]) -> None:
    assert categories(*turns) == set()


def test_undirected_profanity_scores_lower_than_insult_at_agent() -> None:
    assert categories("this bloody printer") == set()
    assert "abuse" in categories("you bloody idiot")
    # A pattern of swearing at the situation does draw calm_first eventually.
    assert "abuse" in categories("oh shit", "fucking hell", "this is bullshit", "damn it")
