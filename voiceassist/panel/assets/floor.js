// voiceassist floor page for the supervisor: the store's floor view, pushed over SSE.
"use strict";
(function () {
  const token = document.querySelector('meta[name="va-token"]').content;
  const $ = (id) => document.getElementById(id);
  let S = {};
  const hhmm = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const clock = (ms) => {
    const s = Math.max(0, Math.floor((ms || 0) / 1000));
    return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  };
  function rows(id, items, cells) {
    const body = $(id).tBodies[0];
    if (!items.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.textContent = S.none || "-";
      tr.append(td);
      body.replaceChildren(tr);
      return;
    }
    body.replaceChildren(...items.map((it) => {
      const tr = document.createElement("tr");
      for (const [text, cls] of cells(it)) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      return tr;
    }));
  }
  function floor(f) {
    $("error").hidden = !f.error;
    $("error").textContent = f.error || "";
    if (f.error) return;
    $("store").textContent = f.store || "";
    rows("alerts", f.alerts || [], (a) => [[hhmm(a.created_at)], [a.severity.toUpperCase(), "sev-" + a.severity],
      [a.cue], [a.agent || "-"], [a.workstation], [clock(a.at_ms)]]);
    rows("hard", f.hard_calls || [], (c) => [[hhmm(c.started_at)], [c.agent], [c.highest_cue || "-"],
      [clock(c.duration_ms)]]);
    rows("agents", f.agents || [], (a) => [[a.agent], [a.on_call ? S.on_call : S.idle, a.on_call ? "sev-warn" : ""],
      [a.workstation], [String(a.calls) + " / " + String(a.hard_calls)]]);
  }
  const events = new EventSource("/events?token=" + encodeURIComponent(token));
  events.onmessage = (e) => {
    $("offline").hidden = true;
    const m = JSON.parse(e.data);
    if (m.type === "snapshot") {
      S = m.strings || {};
      document.querySelectorAll("[data-s]").forEach((el) => { if (S[el.dataset.s]) el.textContent = S[el.dataset.s]; });
      document.title = S.floor ? "voiceassist · " + S.floor : document.title;
    }
    if (m.floor) floor(m.floor);
    document.body.dataset.seq = String(m.seq);
  };
  events.onerror = () => { $("offline").hidden = false; };
})();
