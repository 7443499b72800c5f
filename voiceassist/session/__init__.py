"""The call assembly: every front-end (run, replay, demo, eval, detect) builds its calls here.

``SessionConfig`` is the settings converted once into typed, frozen sections; ``Assembly`` checks
what a call needs up front (:meth:`Assembly.check`) and builds each call (:meth:`Assembly.new_call`):
recognisers come from the front-end (its *source*), the rest - VAD, escalation engine (flagged
caller or not), agent coaching, the after-call decision, the store - is the same for all of them,
so the same call gives the same cues whatever the front-end.
"""

from voiceassist.session.after_call import AfterCallDecision, AfterCallPolicy, decide_after_call
from voiceassist.session.assembly import Assembly, Call
from voiceassist.session.config import SessionConfig

__all__ = ["AfterCallDecision", "AfterCallPolicy", "Assembly", "Call", "SessionConfig", "decide_after_call"]
