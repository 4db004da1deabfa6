// A small SCORM 1.2 course: bookmarks the slide, records a quiz as
// interactions, and sets the score; the LMS decides passed/failed from the
// mastery score in the manifest.
"use strict";
function findAPI(w) {
  for (let i = 0; w && i < 10; i++) {
    if (w.API) return w.API;
    if (w.parent === w) break;
    w = w.parent;
  }
  return window.opener ? findAPI(window.opener) : null;
}
const api = findAPI(window);
const slides = document.querySelectorAll(".slide");
const answers = { q1: "closed", q2: "stairs", q3: "assembly" };
let current = 0;
let finished = false;

function show(n) {
  current = Math.max(0, Math.min(slides.length - 1, n));
  slides.forEach((s, i) => { s.hidden = i !== current; });
  document.getElementById("prev").disabled = current === 0;
  document.getElementById("next").disabled = current === slides.length - 1;
  if (api) api.LMSSetValue("cmi.core.lesson_location", String(current));
}

function finish() {
  if (finished || !api) return;
  finished = true;
  const status = api.LMSGetValue("cmi.core.lesson_status");
  if (status !== "passed" && status !== "failed" && status !== "completed") api.LMSSetValue("cmi.core.exit", "suspend");
  api.LMSFinish("");
}

if (api) {
  api.LMSInitialize("");
  if (api.LMSGetValue("cmi.core.lesson_status") === "not attempted") api.LMSSetValue("cmi.core.lesson_status", "incomplete");
  const bookmark = parseInt(api.LMSGetValue("cmi.core.lesson_location"), 10);
  show(Number.isNaN(bookmark) ? 0 : bookmark);
} else {
  show(0);
}
document.getElementById("prev").addEventListener("click", () => show(current - 1));
document.getElementById("next").addEventListener("click", () => show(current + 1));
document.getElementById("quiz").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  let right = 0;
  Object.keys(answers).forEach((q, i) => {
    const given = form.get(q) || "";
    const ok = given === answers[q];
    if (ok) right++;
    if (api) {
      const p = "cmi.interactions." + i + ".";
      api.LMSSetValue(p + "id", q);
      api.LMSSetValue(p + "type", "choice");
      api.LMSSetValue(p + "student_response", given || "none");
      api.LMSSetValue(p + "result", ok ? "correct" : "wrong");
    }
  });
  const score = Math.round((right / 3) * 100);
  document.getElementById("result").textContent = `You answered ${right} of 3 correctly (${score}%).`;
  if (api) {
    api.LMSSetValue("cmi.core.score.raw", String(score));
    api.LMSSetValue("cmi.core.score.min", "0");
    api.LMSSetValue("cmi.core.score.max", "100");
    api.LMSSetValue("cmi.core.lesson_status", "completed");
    api.LMSCommit("");
  }
});
window.addEventListener("pagehide", finish);
