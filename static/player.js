// The player page (LMS origin): sends the learner's navigation to the player
// frame on the content origin and shows where the learner is. It trusts
// messages only from that frame. It also runs the page itself: the outline
// toggle (remembered per course), full screen, the skip links, and the
// question before a control ends a session the content has not finished.
"use strict";
(() => {
  const player = document.getElementById("player");
  if (!player) return;
  const $ = (id) => document.getElementById(id);
  const frame = $("player-frame");
  const status = $("player-status");
  const single = "single" in player.dataset;
  const review = "review" in player.dataset;

  // Outline: closed by default for a one-SCO course and on narrow screens;
  // the learner's choice is remembered per course.
  const toggle = $("outline-toggle");
  const outlineKey = "lectern:outline:" + player.dataset.course;
  const remembered = (() => { try { return localStorage.getItem(outlineKey); } catch (_) { return null; } })();
  const narrow = () => matchMedia("(max-width:60rem)").matches;
  function showOutline(open, remember) {
    player.classList.toggle("outline-closed", !open);
    toggle.setAttribute("aria-expanded", String(open));
    if (remember) try { localStorage.setItem(outlineKey, open ? "open" : "closed"); } catch (_) { /* private mode */ }
  }
  showOutline(remembered ? remembered === "open" : !single && !narrow(), false);
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    showOutline(open, true);
    if (open) { const b = $("player-outline").querySelector("a, button:not(:disabled)"); if (b) b.focus(); }
  });

  // Skip links: from the outline to the content or the controls.
  document.querySelectorAll("[data-skip]").forEach((a) => a.addEventListener("click", (e) => {
    e.preventDefault();
    if (a.dataset.skip === "frame" && frame) frame.focus();
    else $("player-controls").focus(); // the group: Tab goes on to its first control
  }));

  // Full screen: the whole player (bar and frame), so the controls stay.
  const fs = $("fullscreen-toggle");
  if (document.fullscreenEnabled && player.requestFullscreen) {
    fs.hidden = false;
    fs.addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else player.requestFullscreen().catch(() => { status.textContent = "Full screen is not available here."; });
    });
    document.addEventListener("fullscreenchange", () => {
      const on = document.fullscreenElement === player;
      fs.setAttribute("aria-pressed", String(on));
      fs.querySelector(".bar-label").textContent = on ? " Leave full screen" : " Full screen";
    });
  }

  if (!frame) return;
  const contentOrigin = new URL(player.dataset.contentOrigin).origin;
  const controls = document.querySelectorAll("[data-nav]");
  const choices = document.querySelectorAll("[data-nav-choice]");
  const hidden = JSON.parse(player.dataset.hideLmsUi || "{}") || {};
  let busy = false;
  // What the running SCO has reported: {completion, success}.
  let progress = {};
  const finished = () => review || progress.completion === "completed" || progress.success === "passed" || progress.success === "failed";
  // The course's rolled-up status as the server last sent it (SCORM 2004:
  // the root activity's, whose rules may finish a course without every
  // part, or not with every part); null for SCORM 1.2.
  let course = null;
  const done = (word) => word === "completed" || word === "passed" || word === "failed";
  // courseFinished: the whole course is done, not only the part on screen.
  // SCORM 1.2 has no roll-up: every part the outline shows is done, the
  // running one as it last reported.
  function courseFinished() {
    if (review || single) return finished();
    if (course) return course.completion === "completed" || course.success === "passed";
    return leaves().every((b) => b.dataset.navChoice === player.dataset.current ? finished() : done(b.dataset.status));
  }
  // leaves: the outline's items without a visible item inside (a cluster
  // whose children are all hidden is one part to the learner).
  const shown = (b) => !b.closest("[hidden]");
  const leaves = () => [...choices].filter((b) => shown(b) &&
    ![...b.parentElement.querySelectorAll("[data-nav-choice]")].some((c) => c !== b && shown(c)));
  // questionFor says whether a control should ask before it ends the
  // session.
  function questionFor(kind) {
    switch (kind) {
      case "abandon": return !finished();
      case "exit-course": case "exitAll": return !courseFinished();
      case "continue": return lastItem() && !courseFinished();
    }
    return false;
  }
  // refresh has the frame send what the SCO has set so far and resolves
  // once the server's answer (with the course's new status) is in, or
  // after a few seconds without one.
  let refreshed = null;
  function refresh() {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { refreshed = null; resolve(); }, 6000);
      refreshed = () => { clearTimeout(timer); refreshed = null; resolve(); };
      frame.contentWindow.postMessage({ type: "lectern:flush" }, contentOrigin);
    });
  }

  function send(request) {
    if (busy) return;
    busy = true;
    status.textContent = "Saving…";
    frame.contentWindow.postMessage({ type: "lectern:nav", request }, contentOrigin);
  }

  // ask shows the question before a request that would end the session
  // while the content has not reported completion. The answer is "go",
  // "save" (save and leave instead) or "stay".
  const dialog = $("player-confirm");
  function ask(title, text, goLabel, offerSave) {
    return new Promise((resolve) => {
      $("confirm-h").textContent = title;
      $("confirm-text").textContent = text;
      $("confirm-go").textContent = goLabel;
      $("confirm-go").hidden = !goLabel;
      $("confirm-save").hidden = !offerSave;
      $("confirm-save").classList.toggle("secondary", !!goLabel);
      dialog.returnValue = "";
      dialog.addEventListener("close", () => resolve(dialog.returnValue || "stay"), { once: true });
      dialog.showModal();
    });
  }
  const unfinished = "You have not finished this course yet.";
  async function request(kind) {
    if (busy) return;
    if (questionFor(kind) && course && kind !== "abandon") {
      // The course's status may not hold what the SCO set since its last
      // commit: the rules decide with it before the learner is asked.
      busy = true;
      status.textContent = "Saving…";
      player.dataset.deciding = ""; // for tests: the question may follow
      await refresh();
      delete player.dataset.deciding;
      busy = false;
      status.textContent = "";
    }
    if (!questionFor(kind)) return send({ kind: kind === "exit-course" ? "exitAll" : kind });
    let answer = "go";
    switch (kind) {
      case "exit-course": // a one-SCO course's Exit: leaving keeps the place
        answer = await ask("Leave the course?", unfinished + " Your progress is saved: you can continue where you left off.", "", true);
        break;
      case "exitAll":
        answer = await ask("Finish the course now?", unfinished + " If you finish now, your result is what you have done so far. Save and leave to continue later.", "Finish now", true);
        break;
      case "abandon":
        answer = await ask("Abandon this part?", "What you did in this part since you opened it is not kept.", "Abandon this part", false);
        break;
      case "continue": // from the last part
        answer = await ask("Go on past the last part?", unfinished + " Going on from the last part closes the course for now: you can open it again to finish it.", "Go on", true);
        break;
    }
    if (answer === "go") send({ kind: kind === "exit-course" ? "exitAll" : kind });
    else if (answer === "save") send({ kind: "suspendAll" });
  }
  // lastItem: the running item is the last one the outline shows.
  function lastItem() {
    const all = leaves();
    return all.length > 0 && all[all.length - 1].dataset.navChoice === player.dataset.current;
  }

  controls.forEach((b) => b.addEventListener("click", () => request(b.dataset.nav)));
  document.querySelectorAll("[data-exit]").forEach((b) => b.addEventListener("click", () => request("exit-course")));
  showCurrent(player.dataset.current);
  choices.forEach((b) => b.addEventListener("click", () => send({ kind: "choice", target: b.dataset.navChoice })));

  function setStatus(b, word) {
    b.dataset.status = word || "";
    const t = b.querySelector(".status-text");
    if (t) t.textContent = word ? ` (${word})` : "";
  }

  function showNav(nav) {
    if (!nav) return;
    if (nav.course) course = nav.course;
    controls.forEach((b) => {
      if (b.dataset.nav === "continue") b.disabled = !nav.continue;
      if (b.dataset.nav === "previous") b.disabled = !nav.previous;
    });
    choices.forEach((b) => {
      const id = b.dataset.navChoice;
      b.disabled = !(nav.choice && nav.choice[id]);
      // SCORM 2004: why an item cannot be chosen, whether it is hidden,
      // and its status icon.
      if (nav.hidden) b.hidden = !!nav.hidden[id]; // the button only: an invisible item's children still show
      if (nav.why) {
        const why = (!b.disabled && "") || nav.why[id] || "";
        b.title = why;
        // On the entry too, unless the button is hidden: then the entry
        // holds only its children, and the reason is not theirs.
        b.parentElement.title = b.hidden ? "" : why;
      }
      if (nav.status) setStatus(b, nav.status[id]);
    });
  }

  // showProgress records what the running SCO reported and shows it on
  // its outline item.
  function showProgress(p) {
    progress = p || {};
    const word = progress.success === "passed" || progress.success === "failed" ? progress.success
      : progress.completion === "completed" ? "completed" : progress.completion === "incomplete" ? "incomplete" : "";
    const b = [...choices].find((c) => c.dataset.navChoice === player.dataset.current);
    if (b && word) setStatus(b, word);
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
        showProgress(msg.progress);
        break;
      case "lectern:nav-state":
        showNav(msg.nav);
        break;
      case "lectern:flushed":
        showNav(msg.nav);
        if (refreshed) refreshed();
        break;
      case "lectern:progress":
        showProgress(msg.progress);
        break;
      case "lectern:terminated":
        // The content ended its session without asking for anything next.
        // A one-SCO course has nothing else: it ends (or, unfinished, is
        // saved to continue), and the end page follows.
        if (single && !busy) send({ kind: finished() ? "exitAll" : "suspendAll" });
        else if (!busy) status.textContent = "This part is finished. Choose what to do next.";
        break;
      case "lectern:idle":
        busy = false;
        status.textContent = "Choose what to do next from the course outline.";
        showCurrent("");
        showNav(msg.nav);
        if (toggle.getAttribute("aria-expanded") !== "true") showOutline(true, false);
        break;
      case "lectern:end":
        status.textContent = msg.suspended ? "Your progress is saved." : "You have left the course.";
        // An LTI window has no Lectern sign-in to go home to: it shows its
        // own end page. Otherwise the course's end page.
        if ($("player-exit")) $("player-exit").submit();
        else window.location.assign(player.dataset.result || "/");
        break;
      case "lectern:ended":
        // The launch ended as this page loaded (a reload of a SCO that
        // finished on unload): open the course again, which resumes it.
        if (player.dataset.relaunch) window.location.replace(player.dataset.relaunch);
        else { busy = false; status.textContent = msg.message || "This session has ended."; }
        break;
      case "lectern:error":
        busy = false;
        status.textContent = msg.message || "Something went wrong.";
        break;
    }
  });
})();
