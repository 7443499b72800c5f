// voiceassist agent panel: draws run's event stream (server-sent events); controls POST to the
// same local server with the per-start token. No external request, no timers that flash.
"use strict";
(function () {
  const token = document.querySelector('meta[name="va-token"]').content;
  const $ = (id) => document.getElementById(id);
  let S = {};            // interface strings in the agent's language
  let current = null;    // the cue on the card
  let wrong = new Set(); // cue keys marked wrong
  let transcriptOn = true;

  const key = (c) => c.call_id + "/" + c.cue + "/" + c.at_ms;
  const clock = (ms) => {
    const s = Math.max(0, Math.floor(ms / 1000));
    return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  };

  function applyStrings() {
    document.querySelectorAll("[data-s]").forEach((el) => {
      const text = S[el.dataset.s];
      if (text !== undefined) el.textContent = text;
    });
    document.title = S.title || document.title;
  }

  function status(st) {
    const state = st.state || "no_call";
    document.body.dataset.state = state;
    const pill = $("state");
    const label = S[state] || state;
    if (pill.textContent !== label) {  // unchanged text is not re-announced (aria-live)
      pill.dataset.state = state;
      pill.textContent = label;
    }
    const db = Math.max(-60, Math.min(0, st.level_db === undefined ? -60 : st.level_db));
    $("meter-fill").style.width = Math.round((db + 60) / 60 * 100) + "%";
    $("meter").setAttribute("aria-valuenow", String(Math.round(db)));
    $("headset").hidden = st.headset_ok !== false;
  }

  function card(c) {
    current = c;
    const box = $("card");
    if (!c) {
      box.dataset.severity = "none";
      box.setAttribute("aria-live", "polite");
      $("card-say").textContent = S.no_cue || "";
      $("card-script").textContent = "";
      $("card-why-box").hidden = true;
      $("wrong").disabled = true;
      return;
    }
    box.setAttribute("aria-live", c.severity === "urgent" ? "assertive" : "polite");
    box.dataset.severity = c.severity;
    box.dataset.cue = c.cue;
    $("card-say").textContent = c.say;
    $("card-script").textContent = c.script;
    const why = [c.category + (c.form ? " / " + c.form : "") + " · " + c.rung];
    if (c.why) why.push(c.why);
    if (c.matched && c.matched.length) why.push("“" + c.matched.join(" ") + "”");
    $("card-why").textContent = why.join(" — ");
    $("card-why-box").hidden = false;
    $("card-why-box").open = false;
    $("wrong").disabled = wrong.has(key(c));
    $("wrong-done").textContent = wrong.has(key(c)) ? S.wrong_done : "";
  }

  function cueItem(c) {
    const li = document.createElement("li");
    li.dataset.severity = c.severity;
    li.dataset.key = key(c);
    const t = document.createElement("span");
    t.className = "t";
    t.textContent = clock(c.at_ms);
    li.append(t, document.createTextNode(c.say + " — " + c.script));
    if (wrong.has(key(c))) markWrong(li);
    return li;
  }

  function markWrong(li) {
    if (li.querySelector(".wrong")) return;
    const m = document.createElement("span");
    m.className = "wrong";
    m.textContent = "✗ " + (S.wrong || "");
    li.append(m);
  }

  function list(id, cues, limit) {
    const el = $(id);
    el.replaceChildren(...cues.slice(0, limit).map(cueItem));
  }

  function transcript(lines, partial) {
    const el = $("transcript");
    if (!transcriptOn) {
      const p = document.createElement("p");
      p.textContent = S.transcript_off;
      el.replaceChildren(p);
      return;
    }
    el.replaceChildren(...lines.map((l) => {
      const p = document.createElement("p");
      p.textContent = l.text;
      return p;
    }));
    if (partial) {
      const p = document.createElement("p");
      p.className = "partial";
      p.textContent = partial;
      el.append(p);
    }
    el.scrollTop = el.scrollHeight;
  }

  function shift(sh) {
    $("shift").textContent = sh
      ? `${S.calls}: ${sh.calls} · ${S.hard_calls}: ${sh.hard_calls} · ${S.breaks}: ${sh.breaks_taken}`
      : "—";
  }

  let lines = [], partial = "";
  function onMessage(m) {
    switch (m.type) {
      case "snapshot":
        S = m.strings || {};
        transcriptOn = m.transcript_on;
        wrong = new Set(m.wrong || []);
        applyStrings();
        status(m.status || {});
        card(m.cue);
        list("recent", m.recent || [], 8);
        list("after", m.after || [], 8);
        lines = m.transcript || []; partial = m.partial || "";
        transcript(lines, partial);
        $("summary").textContent = m.summary || "";
        shift(m.shift);
        break;
      case "status": status(m.status); break;
      case "call_started":
        card(null); list("recent", [], 0); list("after", [], 0);
        lines = []; partial = ""; transcript(lines, partial);
        $("summary").textContent = ""; $("wrong-done").textContent = "";
        break;
      case "cue":
        card(m.cue);
        $(m.after ? "after" : "recent").prepend(cueItem(m.cue));
        while ($("recent").children.length > 8) $("recent").lastChild.remove();
        break;
      case "transcript":
        if (m.final) { if (m.final.text.trim()) lines.push(m.final); lines = lines.slice(-12); partial = ""; }
        else partial = m.partial || "";
        transcript(lines, partial);
        break;
      case "summary": $("summary").textContent = m.text; break;
      case "shift": shift(m.shift); break;
      case "feedback":
        wrong.add(m.key);
        document.querySelectorAll("li[data-key]").forEach((li) => { if (li.dataset.key === m.key) markWrong(li); });
        if (current && key(current) === m.key) { $("wrong").disabled = true; $("wrong-done").textContent = S.wrong_done; }
        break;
    }
    document.body.dataset.seq = String(m.seq);
  }

  function post(action, body) {
    return fetch("/api/" + action, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Panel-Token": token },
      body: JSON.stringify(body || {}),
      cache: "no-store",
    }).catch(() => { $("offline").hidden = false; });
  }

  const actions = {
    m: () => post("mute"),
    u: () => post("unmute"),
    n: () => post("new_call"),
    w: () => { if (current && !wrong.has(key(current))) post("cue_wrong", { call_id: current.call_id, cue: current.cue, at_ms: current.at_ms }); },
  };
  $("mute").addEventListener("click", actions.m);
  $("unmute").addEventListener("click", actions.u);
  $("newcall").addEventListener("click", actions.n);
  $("wrong").addEventListener("click", actions.w);
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA") return;
    const act = actions[e.key.toLowerCase()];
    if (act) { e.preventDefault(); act(); }
  });

  const events = new EventSource("/events?token=" + encodeURIComponent(token));
  events.onmessage = (e) => { $("offline").hidden = true; onMessage(JSON.parse(e.data)); };
  events.onerror = () => { $("offline").hidden = false; };
  events.onopen = () => { $("offline").hidden = true; };
})();
