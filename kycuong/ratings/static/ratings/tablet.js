// Counter rating tablet (kiosk mode). Shows the officer now serving, asks for a rating after each
// service, and never loses a rating: every rating is written to localStorage first with a
// client-generated idempotency key, sent, and resent until the server answers (a resend of an
// already saved rating returns the same rating and is counted once).
(function () {
  "use strict";
  var Q_KEY = "kc_rating_queue", R_KEY = "kc_rated_subjects";
  var body, i18n, csrf = "", stateUrl, submitUrl, photoUrl;
  var subject = null, level = null, screenTimer = null, pollTimer = null, photoOf = null, photoObj = null, flushing = false;

  function load(k) { try { return JSON.parse(localStorage.getItem(k) || "[]"); } catch (e) { return []; } }
  function save(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* storage full: keep going */ } }
  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function fmt(tpl, values) { return tpl.replace(/\{(\w+)\}/g, function (_m, k) { return values[k] == null ? "" : String(values[k]); }); }
  function key(s) { return s.ticket_id ? "t" + s.ticket_id : "d" + s.dossier_code; }
  function $(id) { return document.getElementById(id); }

  function show(name, ms, then) {
    ["idle", "ask", "more", "thanks", "refused"].forEach(function (n) { $("t-" + n).hidden = n !== name; });
    body.setAttribute("data-screen", name);
    clearTimeout(screenTimer);
    if (ms) screenTimer = setTimeout(then || function () { show("idle"); poll(); }, ms);
  }
  function setNet(ok) {
    body.setAttribute("data-online", ok ? "1" : "0");
    $("t-net").textContent = ok ? "" : i18n.getAttribute("data-offline");
  }
  function updatePending() {
    var n = load(Q_KEY).length, el = $("t-pending");
    el.setAttribute("data-count", String(n));
    el.textContent = n ? fmt(i18n.getAttribute("data-pending"), { n: n }) : "";
  }
  function rated(k) { return load(R_KEY).indexOf(k) !== -1; }
  function markRated(k) { var r = load(R_KEY); r.push(k); save(R_KEY, r.slice(-100)); }

  function headers() {
    var h = { "Content-Type": "application/json", "Accept": "application/json" };
    if (csrf) h["X-CSRFToken"] = csrf;
    return h;
  }
  function post(item) {
    return fetch(submitUrl, { method: "POST", credentials: "same-origin", headers: headers(), body: JSON.stringify(item) })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; }); });
  }
  function dequeue(id) { save(Q_KEY, load(Q_KEY).filter(function (i) { return i.idempotency_key !== id; })); updatePending(); }

  // Resend everything still queued, oldest first; stop at the first network failure.
  function flush() {
    if (flushing) return Promise.resolve();
    var queue = load(Q_KEY);
    if (!queue.length) return Promise.resolve();
    flushing = true;
    var chain = Promise.resolve(true);
    queue.forEach(function (item) {
      chain = chain.then(function (goOn) {
        if (!goOn) return false;
        return post(item).then(function (res) {
          if (res.status === 201 || (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 401)) {
            dequeue(item.idempotency_key);  // saved, or refused for good (e.g. already rated)
            return true;
          }
          return false;
        }, function () { setNet(false); return false; });
      });
    });
    return chain.then(function () { flushing = false; updatePending(); }, function () { flushing = false; });
  }

  function send() {
    if (!subject || !level) return;
    var criteria = {};
    document.querySelectorAll("input[data-criterion]:checked").forEach(function (el) { criteria[el.getAttribute("data-criterion")] = el.value; });
    var item = { idempotency_key: uuid4(), ticket_id: subject.ticket_id || null, dossier_code: subject.dossier_code || null,
                 level: level, criteria: criteria, comment: $("t-comment").value.trim(), rated_at: new Date().toISOString() };
    var q = load(Q_KEY); q.push(item); save(Q_KEY, q); updatePending();
    markRated(key(subject));
    subject = null; level = null;
    post(item).then(function (res) {
      if (res.status === 201) {
        dequeue(item.idempotency_key); setNet(true);
        $("t-thanks-note").textContent = "";
        show("thanks", 4000);
      } else if (res.status >= 400 && res.status < 500 && res.status !== 429) {
        dequeue(item.idempotency_key);
        $("t-reason").textContent = (res.data && res.data.message) || ("HTTP " + res.status);
        show("refused", 6000);
      } else {
        $("t-thanks-note").textContent = i18n.getAttribute("data-queued");
        show("thanks", 4000);
      }
    }, function () {
      setNet(false);
      $("t-thanks-note").textContent = i18n.getAttribute("data-queued");
      show("thanks", 4000);
    });
  }

  function renderPhoto(officer) {
    var img = $("t-photo");
    var who = officer && officer.has_photo ? officer.name : null;
    if (who === photoOf) return;
    photoOf = who;
    if (photoObj) { URL.revokeObjectURL(photoObj); photoObj = null; }
    img.hidden = true;
    if (!who) return;
    fetch(photoUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(); return r.blob(); })
      .then(function (b) { photoObj = URL.createObjectURL(b); img.src = photoObj; img.hidden = false; }, function () { /* no photo */ });
  }
  function render(d) {
    $("t-counter").textContent = d.counter.label + " — " + d.counter.unit;
    $("t-officer").textContent = d.officer ? d.officer.name : i18n.getAttribute("data-none");
    $("t-position").textContent = d.officer ? d.officer.position : "";
    $("t-serving").textContent = d.serving ? fmt(i18n.getAttribute("data-serving"), d.serving) : "";
    renderPhoto(d.officer);
    if (body.getAttribute("data-screen") !== "idle") return;
    var next = (d.pending || []).filter(function (p) { return !rated(key(p)); })[0];
    if (next) {
      subject = next;
      $("t-subject").textContent = next.label;
      body.setAttribute("data-subject", next.label);
      show("ask", 120000, function () { subject = null; show("idle"); });
    }
  }
  function poll() {
    clearTimeout(pollTimer);
    fetch(stateUrl, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { window.location.reload(); throw new Error("unpaired"); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (d) { setNet(true); render(d); return flush(); }, function () { setNet(false); })
      .then(function () { pollTimer = setTimeout(poll, 3000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    body = document.body;
    i18n = $("t-i18n");
    stateUrl = body.getAttribute("data-state-url");
    submitUrl = body.getAttribute("data-submit-url");
    photoUrl = body.getAttribute("data-photo-url");
    try { csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { csrf = ""; }
    document.querySelectorAll("[data-level]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        level = btn.getAttribute("data-level");
        document.querySelectorAll("input[data-criterion]").forEach(function (el) { el.checked = false; });
        $("t-comment").value = "";
        show("more", 60000, send);  // walked away after choosing: the chosen level is still sent
      });
    });
    $("t-send").addEventListener("click", send);
    $("t-cancel").addEventListener("click", function () { level = null; show("ask", 120000, function () { subject = null; show("idle"); }); });
    window.addEventListener("online", function () { flush(); });
    setInterval(flush, 15000);
    show("idle");
    updatePending();
    poll();
  });
})();
