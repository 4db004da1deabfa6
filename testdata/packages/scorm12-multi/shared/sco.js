// A minimal SCORM 1.2 SCO: find the LMS API, start, and report completion when asked.
(function () {
  "use strict";
  function findAPI(win) {
    for (var hops = 0; win && hops < 10; hops++) {
      if (win.API) { return win.API; }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = findAPI(window) || (window.opener ? findAPI(window.opener) : null);
  window.sco = {
    complete: function (score) {
      if (!api) { return; }
      if (typeof score === "number") { api.LMSSetValue("cmi.core.score.raw", String(score)); }
      api.LMSSetValue("cmi.core.lesson_status", "completed");
      api.LMSCommit("");
    }
  };
  window.addEventListener("load", function () { if (api) { api.LMSInitialize(""); } });
  window.addEventListener("pagehide", function () { if (api) { api.LMSFinish(""); } });
})();
