// LTI 1.3 pages (LMS origin): keep an OIDC login's state in the browser and
// check it at launch, through the platform's storage (LTI client-side
// postMessages) when it offers one and a cookie otherwise; post a
// deep-linking answer back to the platform; copy buttons on the admin page.
"use strict";
(() => {
  document.querySelectorAll("[data-copy]").forEach((b) => b.addEventListener("click", () => {
    const field = document.getElementById(b.dataset.copy);
    field.select();
    (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject())
      .catch(() => document.execCommand("copy"))
      .finally(() => { b.textContent = "Copied"; });
  }));

  const el = document.getElementById("lti");
  if (!el) return;
  const d = el.dataset;
  const status = document.getElementById("lti-status");

  // The platform's storage frame: the parent, or a named frame beside us.
  function storageFrame(target) {
    const up = window.parent !== window ? window.parent : window.opener;
    if (!up) return null;
    if (!target || target === "_parent") return up;
    try { return up.frames[target] || null; } catch (e) { return null; }
  }

  // ask sends one LTI postMessage and waits for its answer.
  function ask(subject, fields) {
    return new Promise((resolve, reject) => {
      const frame = storageFrame(d.target);
      if (!frame) { reject(new Error("no storage frame")); return; }
      const id = (crypto.randomUUID && crypto.randomUUID()) || String(Math.random()).slice(2);
      const timer = setTimeout(() => { window.removeEventListener("message", on); reject(new Error("no answer")); }, 5000);
      function on(ev) {
        const m = ev.data || {};
        if (ev.origin !== d.origin || m.message_id !== id) return;
        if (m.subject !== subject + ".response" && m.subject !== "org.imsglobal." + subject + ".response") return;
        clearTimeout(timer);
        window.removeEventListener("message", on);
        if (m.error) reject(new Error(m.error.message || m.error.code || "refused"));
        else resolve(m);
      }
      window.addEventListener("message", on);
      frame.postMessage(Object.assign({ subject, message_id: id }, fields), d.origin);
    });
  }

  function fallback() {
    if (status) status.hidden = true;
    const f = document.getElementById("lti-fallback");
    if (f) f.hidden = false;
  }

  switch (d.step) {
    case "login":
      if (d.storage === "platform") {
        ask("lti.put_data", { key: "state_" + d.state, value: d.state })
          .then(() => ask("lti.put_data", { key: "nonce_" + d.nonce, value: d.nonce }))
          .then(() => window.location.replace(d.auth), fallback);
      } else if (document.cookie.split("; ").some((c) => c.startsWith("lti_probe="))) {
        window.location.replace(d.auth);
      } else {
        fallback();
      }
      break;
    case "launch": {
      const form = document.getElementById("lti-enter");
      if (d.storage !== "platform") { form.submit(); break; }
      ask("lti.get_data", { key: "state_" + d.state })
        .then((m) => { if (m.value !== d.state) throw new Error("mismatch"); })
        .catch(() => { form.elements.check.value = "failed"; })
        .finally(() => form.submit());
      break;
    }
    case "post":
      document.getElementById("lti-post").submit();
      break;
    case "close": {
      const up = window.opener || (window.parent !== window ? window.parent : null);
      if (up) up.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
      break;
    }
  }
})();
