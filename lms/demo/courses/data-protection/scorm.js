// Finds the SCORM 2004 API the way most content does, and ends the session
// when the page goes away.
"use strict";
function findAPI(w) {
  for (let i = 0; w && i < 10; i++) {
    if (w.API_1484_11) return w.API_1484_11;
    if (w.parent === w) break;
    w = w.parent;
  }
  return window.opener ? findAPI(window.opener) : null;
}
const api = findAPI(window);
let terminated = false;
if (api) api.Initialize("");
function terminate() {
  if (terminated || !api) return;
  terminated = true;
  api.Terminate("");
}
window.addEventListener("pagehide", terminate);
