"""Italian rule pack (rules/it): real phrasing through the real engine, and the traps.

Positives must cue their category; the negatives (negation, reported speech, neutral mentions of
groups, swearing at objects, words that contain an insult, homonyms) must cue nothing at all.
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
LANG = "it"
ENGINE = load_engine(LANG, agent_name="Sara")


def run(*turns: str) -> list[Cue]:
    """Feed caller turns 8 s apart (ms of call time) through a fresh call; return every cue."""
    ENGINE.reset()
    out: list[Cue] = []
    for k, text in enumerate(turns):
        start = k * 8000
        out += ENGINE.process(
            Transcript("caller", "final", text, start, start + 3500, words_for(text, start, start + 3500), k)
        )
    return out


POSITIVE = [
    # abuse: insults inflect, regional forms, shouting, dismissive
    ("abuse", ["sei proprio un idiota"]),
    ("abuse", ["brutta stronza, ridammi i soldi"]),
    ("abuse", ["stronzi, tutti quanti"]),
    ("abuse", ["cretina, ti ho detto il codice due volte"]),
    ("abuse", ["coglione, mi hai sentito?"]),
    ("abuse", ["pirla, rispondi"]),
    ("abuse", ["ma va' a fa' 'n culo"]),
    ("abuse", ["stai zitta e ascoltami"]),
    ("abuse", ["non capisci un cazzo"]),
    ("abuse", ["non rompere le palle"]),
    ("abuse", ["siete degli incapaci"]),
    ("abuse", ["s*****o"]),
    # threat
    ("threat", ["vengo lì e ti ammazzo"]),
    ("threat", ["t'ammazzo"]),
    ("threat", ["so dove abiti"]),
    ("threat", ["vi faccio causa"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["la denuncio, signorina"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["il mio avvocato vi contatterà"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["stasera mi ammazzo"]),
    ("threat", ["guardati le spalle", "me la pagherai"]),
    # racism / sexism / hate
    ("racism", ["tornatene al tuo paese"]),
    ("racism", ["voglio parlare con un italiano vero"]),
    ("racism", ["sporco negro"]),
    ("racism", ["lei non è italiana vero?", "voi stranieri non sapete fare niente"]),
    ("sexism", ["fammi parlare con un uomo"]),
    ("sexism", ["torna in cucina"]),
    ("sexism", ["grazie tesoro", "senti bambola", "ciao bella"]),
    ("hate", ["frocio di merda"]),
    ("hate", ["sei handicappato?"]),
    ("hate", ["i gay sono malati", "è contro natura"]),
    # flirting / troll
    ("flirting", ["sei fidanzata?"]),
    ("flirting", ["a che ora stacchi?"]),
    ("flirting", ["che bella voce", "hai una voce bellissima"]),
    ("troll", ["chiamavo solo per rompere"]),
    ("troll", ["sei un robot", "mi state spiando"]),
    # anger / policy / struggling
    ("anger", ["sono stufo marcio"]),
    ("anger", ["è la quarta volta che chiamo"]),
    ("anger", ["mi passi il suo responsabile"]),
    ("policy_complaint", ["questa regola è assurda"]),
    ("policy_complaint", ["non è giusto che debba pagare io"]),
    ("struggling", ["non ci capisco niente di computer"]),
    ("struggling", ["non capisco, mi sono persa completamente"]),
    ("struggling", ["non la sento, parli più forte"]),
    ("struggling", ["sono disperata, non so più cosa fare"]),
]


@pytest.mark.parametrize(("category", "turns"), POSITIVE)
def test_positive(category: str, turns: list[str]) -> None:
    if category in ("anger", "policy_complaint", "struggling") and len(turns) == 1:
        turns = [*turns, *turns]  # these need a pattern (signal_cap): said twice
    got = {c.category for c in run(*turns)}
    assert category in got, f"{turns} gave {sorted(got)}"


NEGATIVE = [
    # negation
    ["non sei un idiota, è il sistema che non va"],
    ["non ti sto dando dell'idiota, voglio solo capire"],
    ["non ti ammazzo mica, era un modo di dire"],
    ["non sono arrabbiato, volevo solo capire la bolletta"],
    # reported speech
    ["mio marito dice che siete dei ladri"],
    ["mia suocera mi ha dato della cretina"],
    ["un uomo mi ha chiamato dicendo so dove abiti, è un vostro numero?"],
    ["il corriere mi ha urlato stai zitta al citofono"],
    # the caller about themself
    ["che idiota che sono, ho cancellato la mail"],
    # swearing at objects or at the situation
    ["questa stampante del cazzo non stampa"],
    ["porca miseria, ho dimenticato la password"],
    ["il router fa schifo, si disconnette"],
    # neutral mentions of groups and nationalities
    ["mia moglie è albanese, ha il permesso di soggiorno"],
    ["sono cinese, vorrei aprire un conto"],
    ["mio figlio è gay e vuole cointestare il conto"],
    ["il cavo nero va nel modem"],
    ["sono disabile, c'è l'accesso senza gradini?"],
    # words containing an insult, homonyms
    ["ho ordinato un set per il negroni"],
    ["colgo l'occasione per chiedere della fattura"],
    ["il nostro cane è un bastardino"],
    ["mi mancava il finocchio nella spesa"],
    ["formaggio di capra al posto di quello vaccino"],
    ["vorrei investire in buoni del tesoro"],
    ["il pagamento è fallito due volte"],
    ["il volo è stato ritardato"],
    ["abito a Troia, in provincia di Foggia"],
    ["ammazza quanto costa questo telefono"],
    ["quale voce del menu devo scegliere?"],
    ["il mio IBAN non è giusto, manca una cifra"],
    ["devo fare la denuncia di smarrimento della carta"],
    ["non ce la faccio a venire in negozio domani"],
    ["i zoccoli sono di un numero più piccolo"],
]


@pytest.mark.parametrize("turns", NEGATIVE)
def test_negative(turns: list[str]) -> None:
    got = run(*turns)
    assert got == [], [f"{c.cue}/{c.category} {c.matched} {c.rule}" for c in got]


def test_single_prejudiced_remark_waits_for_a_pattern() -> None:
    assert run("parla bene l'italiano per essere straniera") == []
    assert "racism" in {
        c.category for c in run("parla bene l'italiano per essere straniera", "da dove viene quell'accento?")
    }


def test_first_compliment_is_ignored() -> None:
    assert run("che bella voce") == []


def test_violence_goes_straight_to_security() -> None:
    cues = {c.cue for c in run("ti spacco la faccia")}
    assert {"call_security", "report_threat"} <= cues


def test_caller_name_in_use_their_name_script() -> None:
    cues = run("buongiorno, mi chiamo Mario Rossi", "sei un cretino")
    named = [c for c in cues if c.cue == "use_their_name"]
    assert named and named[0].script.startswith("Mario, sono Sara")


def test_scripts_are_italian_and_whole() -> None:
    rules = load_rules(())
    pack = rules.packs[LANG]
    assert rules.policy is not None
    for cue_id in rules.policy.cues:
        text = pack.cues[cue_id]
        assert 1 <= len(text.say.split()) <= 4 and text.script.strip()


def test_rules_check_passes_on_the_italian_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(ROOT / "rules" / "policy.toml", tmp_path / "policy.toml")
    shutil.copytree(ROOT / "rules" / LANG, tmp_path / LANG)
    assert cli.main(["rules", "check", "--alone", str(tmp_path)]) == 0, capsys.readouterr()
    assert not load_rules(()).problems_for(LANG)
