"""Polish rule pack (rules/pl): real phrasing through the real engine, and the traps.

Positives must cue their category. The negatives (negation, reported speech, neutral mentions of
nationalities and groups, swearing at a device, homonyms such as "pedał" the bicycle pedal or
"małpa" the @ in an e-mail address, "żółtek" the egg yolks) must cue nothing at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voiceassist import cli
from voiceassist.escalation.engine import load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.escalation.loader import load_rules
from voiceassist.events import Cue, Transcript

ROOT = Path(__file__).resolve().parent.parent
LANG = "pl"
ENGINE = load_engine(LANG, agent_name="Ola")


def run(*turns: str) -> list[Cue]:
    """Feed caller turns 4 s apart (ms of call time) through a fresh call; return every cue."""
    ENGINE.reset()
    out: list[Cue] = []
    for k, text in enumerate(turns):
        start = k * 4000
        out += ENGINE.process(
            Transcript("caller", "final", text, start, start + 3000, words_for(text, start, start + 3000), k)
        )
    return out


POSITIVE = [
    # abuse: inflected insults (vocative, instrumental), get-lost imperatives, shouting, put-downs
    ("abuse", ["ty debilu, ile razy mam powtarzać"]),
    ("abuse", ["jest pan zwykłym idiotą"]),
    ("abuse", ["jesteście idiotami, wszyscy"]),
    ("abuse", ["co za kretynka siedzi na tej infolinii"]),
    ("abuse", ["spierdalaj, nie będę z tobą gadał"]),
    ("abuse", ["wypierdalaj z tą ofertą"]),
    ("abuse", ["zamknij się i słuchaj"]),
    ("abuse", ["niech się pani zamknie"]),
    ("abuse", ["głucha jesteś czy co"]),
    ("abuse", ["ty ch*ju"]),
    ("abuse", ["co ty tam wiesz, zwykła telefonistka", "nic nie umiesz, weź się do roboty"]),
    ("abuse", ["kurwa mać, znowu", "ja pierdolę, kurwa", "kurwa, no"]),
    # threat: violence, stalking, legal, self-harm
    ("threat", ["zabiję cię jak cię dorwę"]),
    ("threat", ["wiem gdzie pani mieszka"]),
    ("threat", ["przyjadę i połamię ci nogi"]),
    ("threat", ["wysadzę wasz salon w powietrze"]),
    ("threat", ["podam was do sądu"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["mój prawnik się z wami skontaktuje"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["złożę skargę do uokik"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["nie chcę już żyć"]),
    ("threat", ["przyjadę tam i cię zabiję"]),
    ("threat", ["ja pana zatłukę, słyszy pan"]),
    ("threat", ["pożałujesz tego", "jeszcze się policzymy"]),
    # racism: slurs, go-home, demands; backhanded remarks only as a pattern
    ("racism", ["nie chcę rozmawiać z ukraińcem, przełącz mnie"]),
    ("racism", ["dajcie mi polaka, a nie jakąś ukrainkę"]),
    ("racism", ["wracaj na ukrainę"]),
    ("racism", ["ching chong"]),
    ("racism", ["jak na ukrainkę to nawet dobrze pani mówi", "wy ukraińcy wszyscy tacy sami"]),
    # sexism
    ("sexism", ["daj mi faceta, z babą nie będę gadał"]),
    ("sexism", ["wracaj do garów"]),
    ("sexism", ["niech mi to facet wytłumaczy"]),
    ("sexism", ["kotku, sprawdź ten rachunek", "no i co skarbie"]),
    ("sexism", ["może kolega będzie wiedział lepiej", "pani się na tym nie zna"]),
    # hate
    ("hate", ["ty pedale, oddawaj kasę"]),
    ("hate", ["ty downie"]),
    ("hate", ["geje to są chorzy ludzie", "ideologia lgbt niszczy kraj"]),
    # flirting
    ("flirting", ["umówi się pani ze mną na kawę"]),
    ("flirting", ["ma pani chłopaka"]),
    ("flirting", ["o której pani kończy pracę"]),
    ("flirting", ["ma pani piękny głos", "pewnie jest pani śliczna"]),
    # troll
    ("troll", ["robię sobie jaja, ha ha"]),
    ("troll", ["nagrywam to na youtube, pozdrawiam widzów"]),
    ("troll", ["czy pani wie że ziemia jest płaska"]),
    # anger and demand for a manager
    ("anger", ["to jest skandal, trzeci raz dzwonię"]),
    ("anger", ["robicie ze mnie idiotę"]),
    ("anger", ["chcę rozmawiać z kierownikiem"]),
    ("anger", ["proszę mnie połączyć z przełożonym"]),
    # policy complaint
    ("policy_complaint", ["dlaczego mam płacić za wasz błąd"]),
    ("policy_complaint", ["wasz regulamin jest bez sensu"]),
    ("policy_complaint", ["to nie fair wobec stałych klientów"]),
    # struggling
    ("struggling", ["nic nie rozumiem z tego co pani mówi"]),
    ("struggling", ["jestem starszą osobą, nie znam się na tym"]),
    ("struggling", ["nie słyszę pani, słabo słychać"]),
    ("struggling", ["kompletnie nie rozumiem co mam zrobić"]),
    ("struggling", ["nie rozumiem, zupełnie się pogubiłam"]),
]


@pytest.mark.parametrize(("category", "turns"), POSITIVE, ids=[" / ".join(t)[:40] for _, t in POSITIVE])
def test_positive_cues_its_category(category: str, turns: list[str]) -> None:
    if category in ("anger", "policy_complaint", "struggling") and len(turns) == 1:
        turns = [*turns, *turns]  # these need a pattern (signal_cap): said twice
    cats = {c.category for c in run(*turns)}
    assert category in cats, f"{turns} gave {cats or 'no cue'}"


NEGATIVE = [
    # negation and reported speech
    ["nie nazywam pani idiotką, broń boże, chcę tylko zrozumieć opłatę"],
    ["sąsiad nazwał mnie idiotą, ale dzwonię w sprawie ubezpieczenia"],
    ["mąż mówi, że jestem głupia, że to zamówiłam"],
    # the caller about themself
    ["jestem idiotą, zapomniałem zapłacić w terminie"],
    # swearing at a device, once
    ["kurwa, ta drukarka znowu nie drukuje", "przepraszam za wyrażenie"],
    ["ten głupi router ciągle się resetuje"],
    # neutral mentions of nationalities and groups
    ["mój mąż jest ukraińcem i chce założyć konto"],
    ["jestem muzułmaninem i pytam o konto bez oprocentowania"],
    ["syn ma zespół downa, czy są zniżki"],
    ["mój kolega z pracy pochodzi z wietnamu i pyta o kartę pobytu"],
    # homonyms and words that contain something else
    ["kupiłem rower i pedał się urwał po tygodniu"],
    ["adres to jan kowalski małpa wp kropka pl"],
    ["połowa żółtek była rozlana w paczce"],
    ["w zamówieniu miały być pierogi ruskie"],
    ["zamówiłam murzynka na urodziny, a przyszedł sernik"],
    ["mąż opowiada jakieś pierdoły o tej promocji"],
    ["głupia sprawa, zgubiłam kartę"],
    ["przepraszam za głupie pytanie, jak sprawdzić saldo"],
    ["chcę zamknąć konto oszczędnościowe"],
    ["na linii jest cisza, halo"],
    ["paczka jest opóźniona już dwa dni"],
    ["wysadzę syna przy sklepie i podjadę do punktu"],
    ["ta promocja to bomba, biorę"],
    ["sądzę, że to jakaś pomyłka"],
    # jokes and ordinary phrases that look like threats or advances
    ["żona mnie zabije jak zobaczy ten rachunek"],
    ["ten rachunek cię zabije, mówię ci"],
    ["ta cena pana zabije, ale jakość jest dobra"],
    ["zgłosiłem już kradzież telefonu na policję, proszę zablokować kartę"],
    ["będę czekał na kuriera przed budynkiem"],
    ["chcę się umówić na wizytę technika"],
    ["poda mi pani numer zgłoszenia"],
    ["dziękuję bardzo, uważaj na siebie"],
    ["jest pani kochana, dziękuję za pomoc"],
    ["bateria rozładowuje się za szybko"],
]


@pytest.mark.parametrize("turns", NEGATIVE, ids=[t[0][:40] for t in NEGATIVE])
def test_hard_negative_cues_nothing(turns: list[str]) -> None:
    cues = run(*turns)
    assert not cues, [(c.category, c.cue, c.matched, c.rule) for c in cues]


def test_polish_l_with_stroke_stays_distinct() -> None:
    norm = load_rules(()).packs[LANG].normaliser
    assert norm.tokens("Pierdoły, ŁASKA") == ["pierdoły", "łaska"]
    assert norm.tokens("się") == ["sie"]


def test_one_ambiguous_remark_is_quiet_and_a_second_cues() -> None:
    assert not run("jak na ukrainkę to nawet dobrze pani mówi")
    cues = run("jak na ukrainkę to nawet dobrze pani mówi", "ukraińcy zabierają nam pracę")
    assert [c.cue for c in cues if c.category == "racism"] == ["ask_what_they_mean"]


def test_a_blanket_slur_on_a_group_is_not_ambiguous() -> None:
    """'All Ukrainians are thieves' is a racist claim on its own (grammar: group x criminal noun)."""
    cues = run("wszyscy ukraińcy to złodzieje")
    assert [c.cue for c in cues if c.category == "racism"] == ["refuse_request", "cite_policy"]


def test_profanity_at_a_device_needs_a_stream() -> None:
    assert not run("kurwa, znowu nie działa")
    assert any(c.category == "abuse" for c in run("kurwa, znowu", "kurwa mać", "ja pierdolę, kurwa"))


def test_violence_jumps_to_security_and_report() -> None:
    cues = run("zabiję cię")
    assert {c.cue for c in cues} == {"call_security", "report_threat"}
    assert all(c.severity == "urgent" for c in cues)


def test_the_callers_name_goes_into_the_script() -> None:
    cues = run("dzień dobry, nazywam się Tomasz Nowak", "ty debilu")
    named = [c for c in cues if c.cue == "use_their_name"]
    assert named and named[0].script.startswith("Tomasz, z tej strony Ola")


def test_scripts_are_whole_for_every_cue() -> None:
    rules = load_rules(())
    assert rules.policy is not None
    pack = rules.packs[LANG]
    for cue_id in rules.policy.cues:
        text = pack.cues[cue_id]
        assert 1 <= len(text.say.split()) <= 4 and text.script.endswith((".", "?"))


def test_rules_check_passes_on_the_polish_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(ROOT / "rules" / "policy.toml", tmp_path / "policy.toml")
    shutil.copytree(ROOT / "rules" / LANG, tmp_path / LANG)
    assert cli.main(["rules", "check", "--alone", str(tmp_path)]) == 0, capsys.readouterr()
    assert not load_rules(()).problems_for(LANG)
