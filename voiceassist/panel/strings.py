"""The panel's interface text in each cue language (it, pl, es, en, ko).

The page shows these in the agent's cue-pack language (``call.agent_lang``, else ``call.lang``);
cue texts themselves come from the rule packs. Every language has every key (a test checks it).
"""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "col_time": "Time", "col_severity": "Severity", "col_cue": "Cue", "col_agent": "Agent",
        "col_workstation": "Workstation", "col_call_time": "Call time",
        "col_state": "State", "col_calls": "Calls / hard",
        "title": "voiceassist panel", "listening": "Listening", "speaking": "Caller speaking",
        "muted": "Cues muted", "no_call": "No call", "level": "Caller level",
        "current_cue": "Current cue", "no_cue": "No cue yet: all calm.", "why": "Why?",
        "recent": "Last cues of this call", "transcript": "Caller transcript",
        "transcript_off": "Transcript hidden (privacy setting).", "after_call": "After the call",
        "shift": "Today", "calls": "Calls", "hard_calls": "Hard calls", "breaks": "Breaks taken",
        "mute": "Mute 5 min", "unmute": "Unmute", "new_call": "New call",
        "wrong": "This cue was wrong", "wrong_done": "Noted for QA, thank you.",
        "headset_missing": "No headset", "offline": "Reconnecting to voiceassist...",
        "keys": "Keys: M mute, U unmute, N new call, W cue was wrong",
        "floor": "Floor", "agents": "Agents on the floor", "alerts": "Open alerts",
        "hard_list": "Hard calls today", "on_call": "on a call", "idle": "idle", "none": "none",
    },
    "it": {
        "col_time": "Ora", "col_severity": "Gravità", "col_cue": "Suggerimento", "col_agent": "Operatore",
        "col_workstation": "Postazione", "col_call_time": "Minuto",
        "col_state": "Stato", "col_calls": "Chiamate / difficili",
        "title": "pannello voiceassist", "listening": "In ascolto", "speaking": "Il cliente parla",
        "muted": "Suggerimenti silenziati", "no_call": "Nessuna chiamata", "level": "Livello cliente",
        "current_cue": "Suggerimento attuale", "no_cue": "Nessun suggerimento: tutto tranquillo.",
        "why": "Perché?", "recent": "Ultimi suggerimenti della chiamata",
        "transcript": "Trascrizione del cliente",
        "transcript_off": "Trascrizione nascosta (impostazione privacy).", "after_call": "Dopo la chiamata",
        "shift": "Oggi", "calls": "Chiamate", "hard_calls": "Chiamate difficili", "breaks": "Pause fatte",
        "mute": "Silenzia 5 min", "unmute": "Riattiva", "new_call": "Nuova chiamata",
        "wrong": "Suggerimento sbagliato", "wrong_done": "Segnalato al controllo qualità, grazie.",
        "headset_missing": "Cuffia assente", "offline": "Riconnessione a voiceassist...",
        "keys": "Tasti: M silenzia, U riattiva, N nuova chiamata, W suggerimento sbagliato",
        "floor": "Sala", "agents": "Operatori in sala", "alerts": "Avvisi aperti",
        "hard_list": "Chiamate difficili di oggi", "on_call": "in chiamata", "idle": "libero",
        "none": "nessuno",
    },
    "pl": {
        "col_time": "Godzina", "col_severity": "Waga", "col_cue": "Podpowiedź", "col_agent": "Konsultant",
        "col_workstation": "Stanowisko", "col_call_time": "Czas rozmowy",
        "col_state": "Stan", "col_calls": "Rozmowy / trudne",
        "title": "panel voiceassist", "listening": "Nasłuchuję", "speaking": "Klient mówi",
        "muted": "Podpowiedzi wyciszone", "no_call": "Brak rozmowy", "level": "Poziom klienta",
        "current_cue": "Bieżąca podpowiedź", "no_cue": "Brak podpowiedzi: spokojnie.", "why": "Dlaczego?",
        "recent": "Ostatnie podpowiedzi w rozmowie", "transcript": "Transkrypcja klienta",
        "transcript_off": "Transkrypcja ukryta (ustawienie prywatności).", "after_call": "Po rozmowie",
        "shift": "Dzisiaj", "calls": "Rozmowy", "hard_calls": "Trudne rozmowy", "breaks": "Przerwy",
        "mute": "Wycisz na 5 min", "unmute": "Włącz dźwięk", "new_call": "Nowa rozmowa",
        "wrong": "Ta podpowiedź była błędna", "wrong_done": "Zapisano dla kontroli jakości, dziękujemy.",
        "headset_missing": "Brak słuchawek", "offline": "Ponowne łączenie z voiceassist...",
        "keys": "Klawisze: M wycisz, U włącz, N nowa rozmowa, W błędna podpowiedź",
        "floor": "Sala", "agents": "Konsultanci na sali", "alerts": "Otwarte alerty",
        "hard_list": "Trudne rozmowy dzisiaj", "on_call": "w rozmowie", "idle": "wolny", "none": "brak",
    },
    "es": {
        "col_time": "Hora", "col_severity": "Gravedad", "col_cue": "Aviso", "col_agent": "Agente",
        "col_workstation": "Puesto", "col_call_time": "Tiempo de llamada",
        "col_state": "Estado", "col_calls": "Llamadas / difíciles",
        "title": "panel de voiceassist", "listening": "Escuchando", "speaking": "Habla el cliente",
        "muted": "Avisos silenciados", "no_call": "Sin llamada", "level": "Nivel del cliente",
        "current_cue": "Aviso actual", "no_cue": "Sin avisos: todo en calma.", "why": "¿Por qué?",
        "recent": "Últimos avisos de la llamada", "transcript": "Transcripción del cliente",
        "transcript_off": "Transcripción oculta (ajuste de privacidad).",
        "after_call": "Después de la llamada",
        "shift": "Hoy", "calls": "Llamadas", "hard_calls": "Llamadas difíciles", "breaks": "Pausas",
        "mute": "Silenciar 5 min", "unmute": "Activar sonido", "new_call": "Nueva llamada",
        "wrong": "Este aviso era erróneo", "wrong_done": "Anotado para calidad, gracias.",
        "headset_missing": "Sin auriculares", "offline": "Reconectando con voiceassist...",
        "keys": "Teclas: M silenciar, U activar, N nueva llamada, W aviso erróneo",
        "floor": "Sala", "agents": "Agentes en sala", "alerts": "Alertas abiertas",
        "hard_list": "Llamadas difíciles de hoy", "on_call": "en llamada", "idle": "libre", "none": "ninguno",
    },
    "ko": {
        "col_time": "시각", "col_severity": "심각도", "col_cue": "안내", "col_agent": "상담원",
        "col_workstation": "자리", "col_call_time": "통화 시간",
        "col_state": "상태", "col_calls": "통화 / 힘든 통화",
        "title": "voiceassist 패널", "listening": "듣는 중", "speaking": "고객 말하는 중",
        "muted": "안내 음소거", "no_call": "통화 없음", "level": "고객 음량",
        "current_cue": "현재 안내", "no_cue": "안내 없음: 평온합니다.", "why": "이유",
        "recent": "이번 통화의 최근 안내", "transcript": "고객 발화 기록",
        "transcript_off": "발화 기록 숨김 (개인정보 설정).", "after_call": "통화 후",
        "shift": "오늘", "calls": "통화", "hard_calls": "힘든 통화", "breaks": "휴식",
        "mute": "5분 음소거", "unmute": "음소거 해제", "new_call": "새 통화",
        "wrong": "잘못된 안내", "wrong_done": "품질 검토용으로 기록했습니다. 감사합니다.",
        "headset_missing": "헤드셋 없음", "offline": "voiceassist에 다시 연결하는 중...",
        "keys": "키: M 음소거, U 해제, N 새 통화, W 잘못된 안내",
        "floor": "현장", "agents": "근무 중인 상담원", "alerts": "열린 알림",
        "hard_list": "오늘의 힘든 통화", "on_call": "통화 중", "idle": "대기", "none": "없음",
    },
}


def strings_for(lang: str) -> dict[str, str]:
    """The interface text in ``lang`` (English for a language without a table)."""
    return STRINGS.get(lang, STRINGS["en"])


__all__ = ["STRINGS", "strings_for"]
