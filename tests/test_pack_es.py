"""Spanish rule pack (rules/es): real phrasing through the real engine, and the traps.

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
LANG = "es"
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
    # abuse: Spain and Latin America, shouting, dismissive
    ("abuse", ["eres un gilipollas"]),
    ("abuse", ["imbécil, devuélveme el dinero"]),
    ("abuse", ["pendejo, ¿me oíste?"]),
    ("abuse", ["pelotudo, contestame"]),
    ("abuse", ["hijo de puta"]),
    ("abuse", ["vete a la mierda"]),
    ("abuse", ["cállate y escúchame"]),
    ("abuse", ["¿qué coño dices?"]),
    ("abuse", ["no me jodas"]),
    ("abuse", ["no sirves para nada"]),
    ("abuse", ["sois una panda de inútiles"]),
    ("abuse", ["g*********s"]),
    # threat
    ("threat", ["te voy a matar"]),
    ("threat", ["sé dónde vives"]),
    ("threat", ["les voy a denunciar"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["nos vemos en los tribunales"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["te parto la cara"]),
    ("threat", ["esta noche me voy a matar"]),
    ("threat", ["cuídate la espalda", "me las vas a pagar"]),
    # racism / sexism / hate
    ("racism", ["vete a tu país"]),
    ("racism", ["sudaca"]),
    ("racism", ["negro de mierda"]),
    ("racism", ["usted no es de aquí, ¿verdad?", "ustedes los latinos no saben hacer nada"]),
    ("sexism", ["pásame con un hombre"]),
    ("sexism", ["vuelve a la cocina"]),
    ("sexism", ["gracias guapa", "mira cariño", "vale muñeca"]),
    ("hate", ["maricón"]),
    ("hate", ["¿eres subnormal?"]),
    ("hate", ["los gays están enfermos", "es contra natura"]),
    # flirting / troll
    ("flirting", ["¿tienes novio?"]),
    ("flirting", ["¿a qué hora sales?"]),
    ("flirting", ["qué voz tan bonita", "tienes una voz preciosa"]),
    ("troll", ["llamaba solo para molestar"]),
    ("troll", ["eres un robot", "me estáis espiando"]),
    # anger / policy / struggling
    ("anger", ["estoy hasta las narices"]),
    ("anger", ["es la cuarta vez que llamo"]),
    ("anger", ["quiero hablar con su supervisor"]),
    ("policy_complaint", ["esta norma es absurda"]),
    ("policy_complaint", ["no es justo que tenga que pagar yo"]),
    ("struggling", ["no entiendo nada de ordenadores"]),
    ("struggling", ["no entiendo, estoy totalmente perdida"]),
    ("struggling", ["no le oigo, hable más alto"]),
    ("struggling", ["estoy desesperada, ya no sé qué hacer"]),
]


@pytest.mark.parametrize(("category", "turns"), POSITIVE)
def test_positive(category: str, turns: list[str]) -> None:
    if category in ("anger", "policy_complaint", "struggling") and len(turns) == 1:
        turns = [*turns, *turns]  # these need a pattern (signal_cap): said twice
    got = {c.category for c in run(*turns)}
    assert category in got, f"{turns} gave {sorted(got)}"


NEGATIVE = [
    # negation
    ["no eres un idiota, es el sistema que no va"],
    ["no te estoy llamando idiota, solo quiero entenderlo"],
    ["no te voy a matar, hombre, es una forma de hablar"],
    ["no estoy enfadado, solo quería entender la factura"],
    # reported speech
    ["mi marido dice que sois unos ladrones"],
    ["mi suegra me llamó tonta"],
    ["un hombre me llamó diciendo sé dónde vives, ¿es un número vuestro?"],
    ["el repartidor me gritó cállate por el telefonillo"],
    # the caller about themself
    ["qué tonta soy, he borrado el correo"],
    # swearing at objects or at the situation
    ["esta impresora de mierda no imprime"],
    ["joder, se me ha colgado el ordenador"],
    ["me cago en la leche, se me ha caído el café"],
    ["¡coño, ya me ha llegado el SMS!"],
    # neutral mentions of groups; "negro" is the colour
    ["pedí el cable negro de dos metros"],
    ["mi vecino es un chico negro muy majo"],
    ["soy chino, quiero abrir una cuenta"],
    ["mi hijo es gay y quiere poner la cuenta a nombre de su pareja"],
    ["hoy es fiesta de moros y cristianos en mi pueblo"],
    ["voy en silla de ruedas, ¿la oficina tiene acceso?"],
    # words containing an insult, homonyms
    ["el pedido viene retrasado"],
    ["mi perra se ha comido el cable del cargador"],
    ["¿me lo pone en negrita en el contrato?"],
    ["la impresora HP no se conecta al wifi"],
    ["el importe bruto de la nómina no cuadra"],
    ["entonces quedamos así, me llaman el lunes"],
    ["te quiero preguntar otra cosa"],
    ["quiero denunciar el robo de mi tarjeta"],
    ["hay mucha demanda de hipotecas ahora"],
    ["este año pagué más de lo que debía"],
    ["el IBAN no es correcto, falta un número"],
    ["el envío fue desviado a otra oficina"],
    ["en la compra faltaba la carne de cerdo"],
]


@pytest.mark.parametrize("turns", NEGATIVE)
def test_negative(turns: list[str]) -> None:
    got = run(*turns)
    assert got == [], [f"{c.cue}/{c.category} {c.matched} {c.rule}" for c in got]


def test_single_prejudiced_remark_waits_for_a_pattern() -> None:
    assert run("qué bien habla español para ser extranjera") == []
    assert "racism" in {
        c.category for c in run("qué bien habla español para ser extranjera", "¿de dónde es ese acento?")
    }


def test_first_compliment_is_ignored() -> None:
    assert run("qué voz tan bonita") == []


def test_violence_goes_straight_to_security() -> None:
    cues = {c.cue for c in run("te voy a partir la cara")}
    assert {"call_security", "report_threat"} <= cues


def test_caller_name_in_use_their_name_script() -> None:
    cues = run("buenos días, me llamo Carmen López", "eres una imbécil")
    named = [c for c in cues if c.cue == "use_their_name"]
    assert named and named[0].script.startswith("Carmen, soy Sara")


def test_scripts_are_spanish_and_whole() -> None:
    rules = load_rules(())
    pack = rules.packs[LANG]
    assert rules.policy is not None
    for cue_id in rules.policy.cues:
        text = pack.cues[cue_id]
        assert 1 <= len(text.say.split()) <= 4 and text.script.strip()


def test_rules_check_passes_on_the_spanish_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(ROOT / "rules" / "policy.toml", tmp_path / "policy.toml")
    shutil.copytree(ROOT / "rules" / LANG, tmp_path / LANG)
    assert cli.main(["rules", "check", "--alone", str(tmp_path)]) == 0, capsys.readouterr()
    assert not load_rules(()).problems_for(LANG)
