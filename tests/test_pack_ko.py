"""Korean rule pack (rules/ko): real phrasing through the real engine, and the traps.

Korean attaches particles to nouns (바보야, 병신아, 상담원 주제에), so stems cover them. The
negatives hold homonyms and look-alikes ("화면이 꺼져요" a screen turning off, "시발점" a starting
point, "요금 폭탄" a huge bill, "고소한 맛" a nutty taste, "분실 신고" a lost-card report),
hyperbole ("배고파 죽겠다"), reported speech, the caller about themself and neutral mentions of
nationalities and disability: none may cue.
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
LANG = "ko"
ENGINE = load_engine(LANG, agent_name="지은")


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
    # abuse: particles on insults, banmal, shouting, put-downs, a stream of swearing
    ("abuse", ["야 이 바보야 내 말 안 들려"]),
    ("abuse", ["병신아 몇 번을 말해야 알아듣냐"]),
    ("abuse", ["이 개새끼야 돈 돌려줘"]),
    ("abuse", ["너 진짜 멍청하구나"]),
    ("abuse", ["닥쳐 그냥 환불이나 해"]),
    ("abuse", ["꺼져 너랑 얘기 안 해"]),
    ("abuse", ["상담원 주제에 어디서 가르치려고 들어"]),
    ("abuse", ["당신 미쳤어요 이걸 왜 청구해"]),
    ("abuse", ["아 씨발 또 안 돼", "씨발 진짜 좆같네", "아 존나 짜증나게 하네 씨발"]),
    # threat
    ("threat", ["죽여버릴 거야 진짜"]),
    ("threat", ["너 어디 사는지 다 알아"]),
    ("threat", ["밤길 조심해라"]),
    ("threat", ["고소할 거예요 두고 보세요"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["법적 조치 들어가겠습니다"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["소비자원에 신고할 겁니다"] * 2),  # legal: a pattern (signal_cap)
    ("threat", ["죽고 싶어요 이제 더는 못 버티겠어요"]),
    ("threat", ["두고 봐", "후회하게 될 거야"]),
    # racism
    ("racism", ["짱깨랑 얘기 안 해"]),
    ("racism", ["한국 사람 바꿔"]),
    ("racism", ["니네 나라로 돌아가"]),
    ("racism", ["조선족이세요 발음이 이상하네", "조선족들은 다 그렇지 뭐"]),
    # sexism
    ("sexism", ["여자 말고 남자 바꿔"]),
    ("sexism", ["여자가 뭘 안다고 설명을 해"]),
    ("sexism", ["애교 좀 부려 봐"]),
    ("sexism", ["아가씨 잘 들어 봐", "아가씨가 이런 걸 알겠어"]),
    # hate
    ("hate", ["장애인이세요 왜 못 알아들어"]),
    ("hate", ["틀딱이라고 무시하냐"]),
    ("hate", ["동성애는 정신병이야", "게이들은 다 비정상이야"]),
    # flirting
    ("flirting", ["남자친구 있으세요"]),
    ("flirting", ["어디 사세요"]),
    ("flirting", ["퇴근하고 만나요"]),
    ("flirting", ["목소리가 너무 예쁘시네요", "얼굴도 예쁘시겠다"]),
    # troll
    ("troll", ["장난 전화야 ㅋㅋ"]),
    ("troll", ["생방송 중이에요 시청자 여러분 인사해"]),
    ("troll", ["어쩔티비"]),
    # anger and demand for a supervisor
    ("anger", ["아 진짜 짜증나네요"]),
    ("anger", ["지금 장난해요"]),
    ("anger", ["책임자 바꿔"]),
    ("anger", ["팀장님 바꿔 주세요"]),
    # policy complaint
    ("policy_complaint", ["왜 제가 내야 돼요"]),
    ("policy_complaint", ["제 잘못도 아닌데 위약금을 내라고요"]),
    ("policy_complaint", ["불합리한 정책이네요"]),
    # struggling
    ("struggling", ["무슨 말씀인지 하나도 모르겠어요"]),
    ("struggling", ["잘 안 들려요"]),
    ("struggling", ["제가 컴맹이라서요"]),
    ("struggling", ["천천히 말씀해 주세요"]),
    # one word each: these were written as "a*|b ..1 c*" (one pattern of two positions)
    ("anger", ["진짜 열받아요"]),
    ("threat", ["고발하겠습니다"] * 2),  # legal: a pattern (signal_cap)
]


@pytest.mark.parametrize(("category", "turns"), POSITIVE, ids=[" / ".join(t)[:30] for _, t in POSITIVE])
def test_positive_cues_its_category(category: str, turns: list[str]) -> None:
    if category in ("anger", "policy_complaint", "struggling") and len(turns) == 1:
        turns = [*turns, *turns]  # these need a pattern (signal_cap): said twice
    cats = {c.category for c in run(*turns)}
    assert category in cats, f"{turns} gave {cats or 'no cue'}"


NEGATIVE = [
    # reported speech and the caller about themself
    ["남편이 저보고 바보래요 이런 것도 못 한다고", "인터넷 설치 문의요"],
    ["제가 바보였죠 비밀번호를 또 잊어버렸어요"],
    ["제가 멍청하게 주소를 잘못 썼어요"],
    # swearing at a device, once
    ["아 씨 또 안 되네 이 공유기", "죄송해요 혼잣말이에요"],
    ["이놈의 프린터가 또 말썽이에요"],
    # homonyms and look-alikes
    ["핸드폰이 자꾸 꺼져요"],
    ["시발점이 어디였는지 모르겠는데 인터넷이 끊겨요"],
    ["강아지가 리모컨을 씹어서 고장 났어요"],
    ["쓰레기 수거 날짜가 언제예요"],
    ["강아지 새끼를 분양받았는데 펫보험 되나요"],
    ["요금 폭탄 맞았어요 요금제를 바꾸면 줄어들까요"],
    ["이 참기름 고소한 맛이 좋아서 또 주문하려고요"],
    ["카드 분실 신고하겠습니다"],
    ["벙어리장갑 주문했는데 한 짝만 왔어요"],
    ["홍어회 주문했는데 배송이 늦어요"],
    ["이년 동안 썼는데 약정이 끝났나요"],
    ["와이파이가 자꾸 끊겨요"],
    # hyperbole and ordinary errands that look like threats
    ["배고파 죽겠는데 배달이 안 와요"],
    ["칼로 포장을 뜯다가 흠집이 났어요"],
    ["내일 매장에 찾아갈게요 몇 시까지 해요"],
    ["폰을 도난당해서 경찰에 신고했어요"],
    ["팀장님이 전화 주신다고 했는데 연락이 없어서요"],
    # neutral mentions of nationalities and disability
    ["제 아내가 중국 사람인데 개통할 수 있나요"],
    ["외국인 노동자 전용 요금제가 있다고 들었어요"],
    ["저는 장애인이에요 장애인 할인 받을 수 있나요"],
    ["다문화 가정 지원 혜택이 있나요"],
    # thanks and a product that is cute
    ["이 케이스 귀엽네요 다른 색도 있어요"],
    ["이 요금제 좋아해요 그대로 유지할게요"],
]


@pytest.mark.parametrize("turns", NEGATIVE, ids=[t[0][:30] for t in NEGATIVE])
def test_hard_negative_cues_nothing(turns: list[str]) -> None:
    cues = run(*turns)
    assert not cues, [(c.category, c.cue, c.matched, c.rule) for c in cues]


def test_stems_cover_particles() -> None:
    for text in ("바보가 받았나", "바보야", "바보같이 굴지 마"):
        assert any(c.category == "abuse" for c in run("너 " + text)), text


def test_one_accent_remark_is_quiet_and_a_pattern_cues() -> None:
    assert not run("어느 나라 사람이에요")
    cues = run("어느 나라 사람이에요", "동남아 사람들은 다 게을러")
    assert [c.cue for c in cues if c.category == "racism"] == ["ask_what_they_mean"]


def test_violence_jumps_to_security_and_report() -> None:
    cues = run("회사에 불 질러 버릴 거야")
    assert {c.cue for c in cues} == {"call_security", "report_threat"}


def test_the_callers_name_goes_into_the_script() -> None:
    cues = run("제 이름은 김민수입니다", "야 이 바보야")
    named = [c for c in cues if c.cue == "use_their_name"]
    assert named and named[0].script.startswith("김민수 고객님, 저는 상담원 지은")


def test_scripts_are_polite_and_whole() -> None:
    rules = load_rules(())
    assert rules.policy is not None
    pack = rules.packs[LANG]
    for cue_id in rules.policy.cues:
        text = pack.cues[cue_id]
        assert 1 <= len(text.say.split()) <= 4
        # 해요/합니다 register toward the caller: every script ends in a polite ending.
        assert text.script.rstrip(".?").endswith(("요", "다", "까")), cue_id


def test_rules_check_passes_on_the_korean_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(ROOT / "rules" / "policy.toml", tmp_path / "policy.toml")
    shutil.copytree(ROOT / "rules" / LANG, tmp_path / LANG)
    assert cli.main(["rules", "check", "--alone", str(tmp_path)]) == 0, capsys.readouterr()
    assert not load_rules(()).problems_for(LANG)
