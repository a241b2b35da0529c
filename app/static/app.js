// Autosave for the self-check pages, and single submission of forms marked data-once.
// Every typed answer goes to localStorage first and leaves it only once the server
// acknowledges it, so a closed tab, a lost connection or an ended session loses nothing.
(function () {
  "use strict";

  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    });
  });

  var form = document.getElementById("selfcheck-form");
  if (!form) return;
  var url = form.dataset.autosaveUrl;
  var key = form.dataset.storageKey;
  var token = document.querySelector("meta[name=csrf-token]").content;
  var status = form.querySelector(".autosave-status");
  var pending = {};
  try { pending = JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { pending = {}; }
  var timer = null;
  var inflight = false;

  // What this page last saw on the server, per item: sent with each save so that the
  // server can tell when someone else changed an answer meanwhile.
  function baseInput(name) { return form.querySelector('input[type=hidden][name="base:' + name + '"]'); }
  function setBase(name, value) { var el = baseInput(name); if (el) el.value = value; }

  function store() {
    if (Object.keys(pending).length) localStorage.setItem(key, JSON.stringify(pending));
    else localStorage.removeItem(key);
  }

  function field(name) { return form.elements.namedItem(name); }
  function inputs(name) {
    var el = field(name);
    return !el ? [] : el instanceof RadioNodeList ? Array.prototype.slice.call(el) : [el];
  }

  // One answer from the inputs of an item, as its form posts it: a checked option (or the
  // "not applicable" box), else the typed value; the two counts of a percentage as "27/30".
  function valueOf(name) {
    var els = inputs(name);
    if (!els.length) return null;
    var checked = els.filter(function (i) { return (i.type === "radio" || i.type === "checkbox") && i.checked; })[0];
    if (checked) return checked.value;
    var typed = els.filter(function (i) { return i.type !== "radio" && i.type !== "checkbox"; })
      .map(function (i) { return i.value.trim(); });
    if (typed.length === 2) return typed[0] || typed[1] ? typed.join("/") : "";
    return typed.length ? typed[0] : "";
  }

  function setValue(name, value) {
    var els = inputs(name);
    var typed = els.filter(function (i) { return i.type !== "radio" && i.type !== "checkbox"; });
    var parts = value === "n/a" ? [] : typed.length === 2 ? value.split("/") : [value];
    els.forEach(function (i) { if (i.type === "radio" || i.type === "checkbox") i.checked = i.value === value; });
    typed.forEach(function (i, n) { i.value = parts[n] || ""; });
  }

  function show(state, detail) {
    status.textContent = status.dataset[state + "Text"] || "";
    status.className = "autosave-status " + state;
    if (state === "login") {
      var link = document.createElement("a");
      link.href = form.dataset.loginUrl;
      link.textContent = " " + status.dataset.loginLink;
      status.appendChild(link);
    }
    if (detail) status.textContent += " " + detail;
  }

  function showError(name, message) {
    var p = document.getElementById("err-" + name);
    if (!p) return;
    p.textContent = message || "";
    p.closest("fieldset").classList.toggle("has-error", !!message);
  }

  function conflictBox(name) { return form.querySelector('[data-conflict-for="' + name + '"]'); }

  function labelFor(name, value) {
    var el = field(name);
    if (value === "") return "—";
    if (el instanceof RadioNodeList) {
      var option = Array.prototype.find.call(el, function (r) { return r.value === value && r.closest("label"); });
      if (option) return option.closest("label").textContent.replace(/\s+/g, " ").trim();
    }
    return value;
  }

  function showConflict(name, conflict) {
    var box = conflictBox(name);
    if (!box) return;
    box.querySelector("[data-by]").textContent = conflict.by;
    box.querySelector("[data-at]").textContent = conflict.at;
    box.querySelector("[data-theirs]").textContent = labelFor(name, conflict.theirs);
    box.querySelector('[data-keep="theirs"]').dataset.value = conflict.theirs;
    box.hidden = false;
  }

  function hideConflict(name) {
    var box = conflictBox(name);
    if (box) box.hidden = true;
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-keep]");
    if (!button) return;
    var box = button.closest("[data-conflict-for]");
    var name = box.dataset.conflictFor;
    var theirs = box.querySelector('[data-keep="theirs"]').dataset.value;
    setBase(name, theirs);  // either way, the other version has now been seen
    if (button.dataset.keep === "theirs") {
      setValue(name, theirs);
      delete pending[name];
    } else {
      pending[name] = valueOf(name);
      schedule(0);
    }
    store();
    hideConflict(name);
  });

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(flush, delay === undefined ? 700 : delay);
  }

  function flush() {
    var names = Object.keys(pending).filter(function (n) { return field(n); });
    if (!names.length) return;
    if (inflight) { schedule(); return; }
    var batch = {};
    var base = {};
    names.forEach(function (n) {
      batch[n] = pending[n];
      var b = baseInput(n);
      if (b) base[n] = b.value;
    });
    inflight = true;
    show("saving");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      // the ordering number: a save that arrives late never overwrites a newer one
      body: JSON.stringify({ answers: batch, base: base, seq: Date.now() })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok || response.status === 422 || data.error === "conflict") {
          (data.saved || []).forEach(function (n) { setBase(n, batch[n]); hideConflict(n); });
          (data.saved || []).concat(data.stale || []).forEach(function (n) {
            if (pending[n] === batch[n]) delete pending[n];
            showError(n, "");
          });
          Object.keys(data.conflicts || {}).forEach(function (n) {
            if (pending[n] === batch[n]) delete pending[n];
            showConflict(n, data.conflicts[n]);
          });
          Object.keys(data.errors || {}).forEach(function (n) {
            showError(n, data.errors[n]);
            if (pending[n] === batch[n]) delete pending[n];
          });
          store();
          if (typeof data.answered === "number") {
            document.querySelectorAll("[data-answered]").forEach(function (el) { el.textContent = data.answered; });
            document.querySelectorAll("progress").forEach(function (el) { el.value = data.answered; });
          }
          show(Object.keys(pending).length ? "saving" : "saved");
          if (Object.keys(pending).length) schedule();
        } else if (response.status === 401 || data.error === "csrf") {
          show("login");
        } else {
          show("offline", data.message || "");
          schedule(10000);
        }
      });
    }).catch(function () {
      show("offline");
      schedule(5000);
    }).finally(function () { inflight = false; });
  }

  // Answers typed earlier but never acknowledged come back first, then are sent.
  Object.keys(pending).forEach(function (n) { setValue(n, pending[n]); });
  if (Object.keys(pending).length) schedule(0);

  // a form post carries the same ordering number as an autosave would
  form.addEventListener("submit", function () {
    var seq = form.querySelector("input[name=seq]") || form.appendChild(Object.assign(document.createElement("input"), { type: "hidden", name: "seq" }));
    seq.value = String(Date.now());
  });
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);
  function onChange(event) {
    var name = event.target.name;
    if (!name || name === "csrf_token" || name === "go") return;
    var value = valueOf(name);
    if (pending[name] === value) return;
    // a field that merely lost focus, holding what the server already has, is no new answer
    if (!(name in pending) && baseInput(name) && baseInput(name).value === value) return;
    pending[name] = value;
    store();
    schedule();
  }
  window.addEventListener("online", function () { schedule(0); });
  // leaving the page (a step link, closing the tab): send what is still waiting, even as the page goes
  window.addEventListener("pagehide", function () {
    var names = Object.keys(pending).filter(function (n) { return field(n); });
    if (!names.length) return;
    var batch = {};
    var base = {};
    names.forEach(function (n) { batch[n] = pending[n]; if (baseInput(n)) base[n] = baseInput(n).value; });
    clearTimeout(timer);
    fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: JSON.stringify({ answers: batch, base: base, seq: Date.now() })
    }).catch(function () {});  // if it fails, the answers are still in localStorage for next time
  });
})();

// Job pages: follow a background job until its result can be downloaded.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box) return;
  var state = box.querySelector(".job-state");
  var bar = box.querySelector("progress");
  var link = box.querySelector("[data-job-download]");
  function poll() {
    fetch(box.dataset.jobStatusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.value = job.percent;
        if (job.status === "done") {
          state.textContent = state.dataset.doneText;
          link.hidden = false;
        } else if (job.status === "failed") {
          state.textContent = state.dataset.failedText;
        } else {
          state.textContent = state.dataset.runningText.replace("{done}", job.done).replace("{total}", job.total || "…");
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
