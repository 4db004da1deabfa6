// A minimal SCORM 2004 SCO: find API_1484_11, start, and report progress when asked.
(function () {
  "use strict";
  function findAPI(win) {
    for (var hops = 0; win && hops < 10; hops++) {
      if (win.API_1484_11) { return win.API_1484_11; }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = findAPI(window) || (window.opener ? findAPI(window.opener) : null);
  window.sco = {
    progress: function (measure) {
      if (!api) { return; }
      api.SetValue("cmi.progress_measure", String(measure));
      if (measure >= 1) { api.SetValue("cmi.completion_status", "completed"); }
      api.Commit("");
    },
    score: function (scaled) {
      if (!api) { return; }
      api.SetValue("cmi.score.scaled", String(scaled));
      api.SetValue("cmi.completion_status", "completed");
      api.Commit("");
    }
  };
  window.addEventListener("load", function () { if (api) { api.Initialize(""); } });
  window.addEventListener("pagehide", function () { if (api) { api.Terminate(""); } });
})();
