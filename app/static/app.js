// Autosave for the self-check pages, and single submission of forms marked data-once.
// Every typed answer goes to localStorage first and leaves it only once the server
// acknowledges it, so a closed tab, a lost connection or an ended session loses nothing.
(function () {
  "use strict";

  // Back to a page of a draft (after submitting, say): the browser may show the page it kept
  // in memory; ask the server again, which knows what can still be changed.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.querySelector("meta[name=reload-when-restored]")) location.reload();
  });

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
  // This page load is one writer: it numbers its saves 1, 2, 3… (a counter, never the clock),
  // and the server orders by that number only the saves of this same page.
  var writer = form.dataset.pageId;
  var seq = 0;
  // In localStorage, per item: the answer not yet acknowledged, the value the page had seen
  // when it was typed (its `base`), and the other version it conflicts with, if any ("held":
  // not sent again until the user chooses).
  var state = load();
  var timer = null;
  var inflight = false;
  var offline = null;  // null, "offline" or "login": the connection's trouble, if any

  function load() {
    var raw;
    try { raw = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { raw = {}; }
    if (!raw.answers) raw = { answers: raw };  // the earlier format: item → value
    return { answers: raw.answers || {}, base: raw.base || {}, held: raw.held || {} };
  }

  function store() {
    if (Object.keys(state.answers).length) localStorage.setItem(key, JSON.stringify(state));
    else localStorage.removeItem(key);
  }

  // What this page last saw on the server, per item: sent with each save so that the
  // server can tell when someone else changed an answer meanwhile.
  function baseInput(name) { return form.querySelector('input[type=hidden][name="base:' + name + '"]'); }
  function setBase(name, value) { var el = baseInput(name); if (el) el.value = value; }
  function seenBase(name) {
    if (name in state.base) return state.base[name];
    var el = baseInput(name);
    return el ? el.value : undefined;
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
    typed.forEach(function (i, n) { i.value = parts[n] || ""; count(i); });
  }

  function forget(name) {
    delete state.answers[name];
    delete state.base[name];
    delete state.held[name];
  }

  function waiting() {
    return Object.keys(state.answers).filter(function (n) { return field(n) && !state.held[n]; });
  }

  // The status line says "saved" only when nothing waits, no error shows and no conflict is open.
  function show() {
    var open = form.querySelectorAll("[data-conflict-for]:not([hidden])").length;
    var errors = form.querySelectorAll("fieldset.has-error").length;
    var which = offline || (waiting().length ? "saving" : open ? "conflict" : errors ? "error" : "saved");
    if (which === "saved" && !status.dataset.state) return;  // nothing typed yet: nothing to report
    status.textContent = status.dataset[which + "Text"] || "";
    status.className = "autosave-status " + which;
    status.dataset.state = which;
    if (which === "login") {
      var link = document.createElement("a");
      link.href = form.dataset.loginUrl;
      link.textContent = " " + status.dataset.loginLink;
      status.appendChild(link);
    }
  }

  function showError(name, message) {
    var p = document.getElementById("err-" + name);
    if (!p) return;
    p.textContent = message || "";
    p.closest("fieldset").classList.toggle("has-error", !!message);
    inputs(name).forEach(function (i) {
      if (i.type === "radio" || i.type === "checkbox") return;
      if (message) i.setAttribute("aria-invalid", "true"); else i.removeAttribute("aria-invalid");
    });
  }

  // Text answers: the characters counted as the server counts them (code points, without the
  // spaces around), not the UTF-16 units of `maxlength`, which cut pasted text silently.
  function count(el) {
    var counter = form.querySelector('[data-counter-for="' + el.name + '"]');
    if (!counter) return;
    var n = Array.from(el.value.trim()).length;
    counter.querySelector("[data-count]").textContent = n;
    counter.classList.toggle("over", n > Number(counter.dataset.max));
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

  // Another version is on the server: the field keeps what was typed, the box shows theirs,
  // and nothing more is sent for this item until the user picks one.
  function hold(name, conflict) {
    var box = conflictBox(name);
    if (!box) return;
    state.held[name] = conflict;
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
      forget(name);
      showError(name, "");
    } else {
      delete state.held[name];
      state.answers[name] = valueOf(name);
      state.base[name] = theirs;
      schedule(0);
    }
    store();
    hideConflict(name);
    show();
  });

  function showFlags(open) {
    if (!open) return;
    form.querySelectorAll("[data-flag]").forEach(function (box) { box.hidden = open.indexOf(box.dataset.flag) < 0; });
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(flush, delay === undefined ? 700 : delay);
  }

  function body(names) {
    var batch = {};
    var base = {};
    names.forEach(function (n) {
      batch[n] = state.answers[n];
      var b = seenBase(n);
      if (b !== undefined) base[n] = b;
    });
    seq += 1;
    return { answers: batch, base: base, seq: seq, writer: writer };
  }

  function flush() {
    var names = waiting();
    if (!names.length) return;
    if (inflight) { schedule(); return; }
    var sent = body(names);
    var batch = sent.answers;
    inflight = true;
    offline = null;
    show();
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: JSON.stringify(sent)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok || response.status === 422 || data.error === "conflict") {
          var unchanged = function (n) { return state.answers[n] === batch[n]; };
          (data.saved || []).forEach(function (n) {
            setBase(n, batch[n]);
            hideConflict(n);
            showError(n, "");
            if (unchanged(n)) forget(n); else state.base[n] = batch[n];
          });
          if (data.newer_seq && data.newer_seq >= seq) seq = data.newer_seq;
          (data.stale || []).forEach(function (n) {
            var newer = (data.newer || {})[n];
            showError(n, "");
            if (!newer || newer.theirs === valueOf(n)) {  // the server has what the field shows
              if (newer) setBase(n, newer.theirs);
              if (unchanged(n)) forget(n);
            } else {
              hold(n, newer);
            }
          });
          Object.keys(data.conflicts || {}).forEach(function (n) { hold(n, data.conflicts[n]); });
          Object.keys(data.errors || {}).forEach(function (n) {
            showError(n, data.errors[n]);  // the field keeps what was typed; the server keeps its answer
            if (unchanged(n)) forget(n);
          });
          showFlags(data.flags);
          store();
          if (typeof data.answered === "number") {
            document.querySelectorAll("[data-answered]").forEach(function (el) { el.textContent = data.answered; });
            document.querySelectorAll("progress").forEach(function (el) { el.value = data.answered; });
          }
          if (waiting().length) schedule();
        } else if (response.status === 401 || data.error === "csrf") {
          offline = "login";
        } else {
          offline = "offline";
          schedule(10000);
        }
      });
    }).catch(function () {
      offline = "offline";
      schedule(5000);
    }).finally(function () {
      inflight = false;
      show();
    });
  }

  // Answers typed earlier but never acknowledged come back first, then are sent; conflicts
  // left open come back open.
  Object.keys(state.answers).forEach(function (n) { setValue(n, state.answers[n]); });
  Object.keys(state.held).forEach(function (n) { if (field(n)) hold(n, state.held[n]); });
  form.querySelectorAll("textarea").forEach(count);
  if (waiting().length) schedule(0);
  show();

  // a form post carries the same ordering numbers as an autosave would
  form.addEventListener("submit", function () {
    var sent = body([]);
    ["seq", "writer"].forEach(function (name) {
      var input = form.querySelector('input[type=hidden][name="' + name + '"]') ||
        form.appendChild(Object.assign(document.createElement("input"), { type: "hidden", name: name }));
      input.value = String(sent[name]);
    });
  });
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);
  // Last year's answer, offered above an item (a hidden "prefilled:<item>" and a "confirm:<item>"
  // box): confirming saves it as the answer; changing the item answers it. Either way the mark goes.
  function settle(name) {
    var mark = form.querySelector('[data-prefilled-for="' + name + '"]');
    if (mark) mark.remove();
  }
  function onChange(event) {
    var name = event.target.name;
    if (!name || name === "csrf_token" || name === "go" || name.indexOf("prefilled:") === 0) return;
    var confirmed = event.target.dataset.confirmPrefill;
    if (confirmed) {
      if (!event.target.checked) return;
      settle(confirmed);
      state.base[confirmed] = seenBase(confirmed);
      state.answers[confirmed] = valueOf(confirmed);
      store();
      schedule();
      show();
      return;
    }
    settle(name);
    if (event.target.tagName === "TEXTAREA") count(event.target);
    var value = valueOf(name);
    if (state.answers[name] === value) return;
    // a field holding what the server already has (it lost focus, or an invalid entry was put
    // back) is no new answer, and nothing is wrong with it
    if (!(name in state.answers) && baseInput(name) && baseInput(name).value === value) {
      showError(name, "");
      show();
      return;
    }
    if (!(name in state.answers)) state.base[name] = seenBase(name);
    state.answers[name] = value;
    store();
    if (!state.held[name]) schedule();
    show();
  }
  window.addEventListener("online", function () { schedule(0); });
  // leaving the page (a step link, closing the tab): send what is still waiting, even as the page goes
  window.addEventListener("pagehide", function () {
    var names = waiting();
    if (!names.length) return;
    clearTimeout(timer);
    fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: JSON.stringify(body(names))
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
          state.textContent = job.message;
        } else {
          state.textContent = job.total
            ? state.dataset.runningText.replace("{done}", job.done).replace("{total}", job.total) +
              (job.message ? " " + job.message : "")
            : job.message || state.dataset.waitingText;
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
