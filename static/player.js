// The player page (LMS origin): sends the learner's navigation to the player
// frame on the content origin and shows where the learner is. It trusts
// messages only from that frame.
"use strict";
(() => {
  const player = document.getElementById("player");
  const frame = document.getElementById("player-frame");
  if (!player || !frame) return;
  const contentOrigin = new URL(player.dataset.contentOrigin).origin;
  const status = document.getElementById("player-status");
  const controls = document.querySelectorAll("[data-nav]");
  const choices = document.querySelectorAll("[data-nav-choice]");
  const hidden = JSON.parse(player.dataset.hideLmsUi || "{}") || {};
  let busy = false;

  function send(request) {
    if (busy) return;
    busy = true;
    status.textContent = "Saving…";
    frame.contentWindow.postMessage({ type: "lectern:nav", request }, contentOrigin);
  }

  controls.forEach((b) => b.addEventListener("click", () => send({ kind: b.dataset.nav })));
  showCurrent(player.dataset.current);
  choices.forEach((b) => b.addEventListener("click", () => send({ kind: "choice", target: b.dataset.navChoice })));

  function showNav(nav) {
    if (!nav) return;
    controls.forEach((b) => {
      if (b.dataset.nav === "continue") b.disabled = !nav.continue;
      if (b.dataset.nav === "previous") b.disabled = !nav.previous;
    });
    choices.forEach((b) => {
      b.disabled = !(nav.choice && nav.choice[b.dataset.navChoice]);
    });
  }

  // showCurrent marks the running item and hides the controls its package
  // asks to hide (adlnav:presentation hideLMSUI).
  function showCurrent(id) {
    player.dataset.current = id || "";
    choices.forEach((b) => {
      if (b.dataset.navChoice === id) b.setAttribute("aria-current", "step");
      else b.removeAttribute("aria-current");
    });
    const hide = hidden[id] || [];
    controls.forEach((b) => { b.hidden = hide.includes(b.dataset.nav); });
  }

  window.addEventListener("message", (ev) => {
    if (ev.origin !== contentOrigin || ev.source !== frame.contentWindow) return;
    const msg = ev.data || {};
    switch (msg.type) {
      case "lectern:launched":
        busy = false;
        status.textContent = "";
        showCurrent(msg.item && msg.item.id);
        showNav(msg.nav);
        break;
      case "lectern:nav-state":
        showNav(msg.nav);
        break;
      case "lectern:end":
        status.textContent = msg.suspended ? "Your progress is saved." : "You have left the course.";
        window.location.assign("/");
        break;
      case "lectern:error":
        busy = false;
        status.textContent = msg.message || "Something went wrong.";
        break;
    }
  });
})();
