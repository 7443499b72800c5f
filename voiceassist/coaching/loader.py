"""Loading coaching for a call: the policy (``rules/coaching_policy.toml``) and the lexicons
(``rules/<lang>/coaching.toml``) of the shipped rules plus deployment folders, validated with
``file:line`` problems, and the engine built from the effective settings.

``rules check`` should add :func:`check_coaching` to its problems (the escalation loader does
not read these files).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from voiceassist.coaching.engine import CoachingEngine
from voiceassist.coaching.lexicon import LEXICON_FILE, CoachingLexicon, load_lexicon
from voiceassist.coaching.policy import POLICY_FILE, CoachingPolicy, load_policy
from voiceassist.coaching.robotic import FileOpenings, OpeningHistory
from voiceassist.errors import ConfigError
from voiceassist.escalation.model import Problem
from voiceassist.langs import cue_lang
from voiceassist.rule_layers import extra_rule_dirs, layer_langs, rule_layers
from voiceassist.vad.config import VadConfig


def load_coaching_policy(layers: Sequence[tuple[Path, str]]) -> tuple[CoachingPolicy, list[Problem]]:
    """The policy: built-in defaults, then each folder's ``coaching_policy.toml`` in order."""
    policy = CoachingPolicy()
    problems: list[Problem] = []
    for base, shown in layers:
        policy, found = load_policy(base / POLICY_FILE, f"{shown}/{POLICY_FILE}", policy)
        problems += found
    return policy, problems


def check_coaching(extra_dirs: Sequence[Path] = (), *, include_shipped: bool = True) -> list[Problem]:
    """Every problem of the coaching policy and of every language's ``coaching.toml``."""
    layers = rule_layers(extra_dirs, include_shipped=include_shipped)
    _, problems = load_coaching_policy(layers)
    for lang in layer_langs(layers, LEXICON_FILE):
        problems += load_lexicon(lang, layers).problems
    return sorted(problems, key=lambda p: (p.file, p.line, p.message))


def _lexicon_or_raise(lang: str, layers: Sequence[tuple[Path, str]]) -> CoachingLexicon:
    lex = load_lexicon(lang, layers)
    if lex.problems:
        first = "; ".join(str(p) for p in lex.problems[:3])
        raise ConfigError(f"invalid coaching rules: {first}", hint="run `voiceassist rules check`")
    return lex


def load_coaching(
    lang: str,
    *,
    agent_lang: str | None = None,
    rule_dirs: Sequence[Path] = (),
    vad: VadConfig | None = None,
    off: Sequence[str] = (),
    caller_angry: Callable[[], bool] | None = None,
    openings: OpeningHistory | None = None,
) -> CoachingEngine:
    """A coaching engine for one call: ``lang`` is the language spoken on the call (the agent's
    phrases are matched in it), ``agent_lang`` the agent's own language for the whispered texts
    and the summary (default the same). Raises :class:`ConfigError` when the policy or a needed lexicon has
    problems, or ``off`` names neither a signal nor a coaching cue id."""
    layers = rule_layers(rule_dirs)
    policy, problems = load_coaching_policy(layers)
    if problems:
        raise ConfigError(f"invalid coaching policy: {problems[0]}", hint="run `voiceassist rules check`")
    known = sorted(set(policy.signals) | {sp.cue for sp in policy.signals.values()})
    unknown = [name for name in off if name not in known]
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise ConfigError(f"cues.coaching_off: unknown coaching signal or cue {names}",
                          hint=f"use signal names or cue ids: {', '.join(known)}")
    # On the call the agent speaks the caller's language: phrases (and the caller's problem and
    # feeling markers) come from the call language; the whispered texts and the after-call
    # summary from the agent's own language.
    caller = _lexicon_or_raise(lang, layers)
    agent = caller
    if agent_lang and agent_lang != lang:
        shown = _lexicon_or_raise(agent_lang, layers)
        agent = replace(caller, texts=shown.texts, summary=shown.summary)
    return CoachingEngine(agent, policy, caller_lexicon=caller, vad=vad, off=off, caller_angry=caller_angry,
                          openings=openings, policy_file=f"{layers[0][1]}/{POLICY_FILE}")  # fmt: skip


def coaching_from_settings(
    settings: Mapping[str, Any],
    *,
    vad: VadConfig | None = None,
    caller_angry: Callable[[], bool] | None = None,
    remember_openings: bool = True,
) -> CoachingEngine | None:
    """The engine for the effective settings (``call.lang``, ``call.agent_lang``,
    ``cues.coaching``, ``cues.coaching_off``, ``rules.extra_dirs``, ``call.agent_name``), or None
    when coaching is off. ``remember_openings``: keep the agent's openings in the user data dir
    (off for ``eval``/``replay`` of recordings)."""
    if not settings.get("cues.coaching", True):
        return None
    lang = str(settings.get("call.lang", "en"))
    agent_lang = cue_lang(lang, str(settings.get("call.agent_lang", "") or ""))
    openings = FileOpenings(str(settings.get("call.agent_name", ""))) if remember_openings else None
    return load_coaching(
        lang,
        agent_lang=agent_lang,
        rule_dirs=extra_rule_dirs(settings),
        vad=vad,
        off=tuple(settings.get("cues.coaching_off", ())),
        caller_angry=caller_angry,
        openings=openings,
    )


__all__ = ["check_coaching", "coaching_from_settings", "load_coaching", "load_coaching_policy", "rule_layers"]
