// A minimal SCORM 2004 SCO: find API_1484_11, start, report progress, and keep notes in the
// shared data bucket that the manifest maps with adlcp:data.
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
      api.Commit("");
    },
    score: function (scaled) {
      if (!api) { return; }
      api.SetValue("cmi.score.scaled", String(scaled));
      api.SetValue("cmi.success_status", scaled >= 0.8 ? "passed" : "failed");
      api.SetValue("cmi.completion_status", "completed");
      api.Commit("");
    },
    note: function (text) {
      if (!api) { return; }
      var n = Number(api.GetValue("adl.data._count"));
      for (var i = 0; i < n; i++) {
        if (api.GetValue("adl.data." + i + ".id") === "lectern.fixture.aid.notes") {
          api.SetValue("adl.data." + i + ".store", text);
        }
      }
    }
  };
  window.addEventListener("load", function () { if (api) { api.Initialize(""); } });
  window.addEventListener("pagehide", function () { if (api) { api.Terminate(""); } });
})();
