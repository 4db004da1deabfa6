// driver.js replaces the ADL conformance suite's Java applet (the object
// NNLMSTestSCODriver in every test SCO page). The runner injects it at
// document start into every frame of the tab (Page.addScriptToEvaluateOnNewDocument),
// with the test case data as CTS_CONFIG. In each frame it replaces alert and
// confirm; in a test SCO page it adds the driver methods to the element
// before the page's onload runs. FORMAT.md §3.3 lists the methods, §2.6–2.8
// the judging. The visit position and the pass/fail flags live in the
// content origin's localStorage, so they survive page loads, relaunches and
// package switches; every event goes to the runner through the CDP binding
// __ctsEvent, in order.
(function (configText) {
  "use strict";
  if (window.__ctsDriver) return; // injected twice (runImmediately + new document)
  window.__ctsDriver = true;

  const emit = (ev) => {
    try {
      if (typeof window.__ctsEvent === "function") window.__ctsEvent(JSON.stringify(ev));
    } catch (_) {
      // the runner is gone; nothing to report to
    }
  };
  const here = () => String(location.href);

  // Dialogs block the page; the suite alerts "Browser not tested." on every
  // driver look-up. Record the rest for the runner.
  let browserAlerts = 0;
  window.alert = function (msg) {
    msg = String(msg);
    if (msg === "Browser not tested.") {
      browserAlerts++;
      return;
    }
    emit({ t: "alert", msg, url: here() });
  };
  // Cancel: the SX-09 page then keeps waiting for the LMS to take it away.
  window.confirm = function (msg) {
    emit({ t: "confirm", msg: String(msg), url: here() });
    return false;
  };
  window.prompt = function (msg) {
    emit({ t: "alert", msg: "prompt: " + String(msg), url: here() });
    return null;
  };

  let config = null;
  const cfg = () => config || (config = JSON.parse(configText));

  // ---- State that outlives the page (content origin localStorage).

  const key = () => "cts:" + cfg().run;
  function load() {
    let st = null;
    try {
      st = JSON.parse(localStorage.getItem(key()) || "null");
    } catch (_) {
      st = null;
    }
    return st || { pos: 0, launch: true, ui: true, results: true, grace: !!cfg().grace, itypes: {}, done: false };
  }
  const save = (st) => localStorage.setItem(key(), JSON.stringify(st));

  // ---- Judging (FORMAT.md §2.6, §2.7).

  const DEC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  function real6(a, b) {
    if (!DEC.test(a) || !DEC.test(b)) return false;
    const x = Number(a) * 1e6, y = Number(b) * 1e6;
    return Math.trunc(x) === Math.trunc(y) || Math.round(x) === Math.round(y);
  }

  const DUR = /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
  function seconds(d) {
    const m = DUR.exec(d);
    if (!m || d === "P" || d.endsWith("T")) return NaN;
    const f = [365 * 86400, 2628029, 86400, 3600, 60, 1];
    let s = 0;
    for (let i = 0; i < 6; i++) if (m[i + 1]) s += Number(m[i + 1]) * f[i];
    return s;
  }
  const duration = (a, b) => {
    const x = seconds(a), y = seconds(b);
    return !Number.isNaN(x) && Math.round(x * 100) === Math.round(y * 100);
  };

  const TS = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;
  function instant(s) {
    const m = TS.exec(s);
    if (!m) return NaN;
    const n = (i, d) => (m[i] === undefined ? d : Number(m[i]));
    let t = Date.UTC(n(1, 0), n(2, 1) - 1, n(3, 1), n(4, 0), n(5, 0), n(6, 0)) / 1000;
    const z = m[8];
    if (z && z !== "Z") {
      const sign = z[0] === "-" ? -1 : 1;
      const digits = z.slice(1).replace(":", "");
      t -= sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || 0) * 60);
    }
    return t;
  }
  const timestamp = (a, b) => a === b || (!Number.isNaN(instant(a)) && instant(a) === instant(b));

  const chars = (s) => Array.from(s);
  // spmString: identical, or the expected value cut to the element's SPM.
  function spmString(x, v, spm) {
    if (x === v) return true;
    const c = chars(x);
    return c.length > spm && c.slice(0, spm).join("") === v;
  }
  function langSplit(s) {
    const m = /^\{lang=([^}]*)\}/.exec(s);
    return m ? { lang: m[1].toLowerCase(), text: s.slice(m[0].length) } : { lang: "en", text: s };
  }
  function langString(x, v, spm) {
    const a = langSplit(x), b = langSplit(v);
    return langTag(a.lang) === langTag(b.lang) && spmString(a.text, b.text, spm);
  }
  function langTag(s) {
    const parts = s.toLowerCase().split("-");
    const iso3 = cfg().iso3 || {};
    if (parts[0].length === 3 && iso3[parts[0]]) parts[0] = iso3[parts[0]];
    return parts.join("-");
  }
  const sameSet = (a, b) => {
    if (a.length !== b.length) return false;
    const rest = b.slice();
    for (const x of a) {
      const i = rest.indexOf(x);
      if (i < 0) return false;
      rest.splice(i, 1);
    }
    return true;
  };

  // delims strips the leading {case_matters=…}{order_matters=…} (and, for
  // long-fill-in, {lang=…}) and returns their effective values.
  function delims(s, withLang) {
    const d = { case_matters: "false", order_matters: "true", lang: "en" };
    for (;;) {
      const m = /^\{(case_matters|order_matters|lang)=([^}]*)\}/.exec(s);
      if (!m || (m[1] === "lang" && !withLang)) break;
      d[m[1]] = m[2].toLowerCase();
      s = s.slice(m[0].length);
    }
    return { d, rest: s };
  }
  const items = (s) => (s === "" ? [] : s.split("[,]"));

  // response compares a learner_response or a correct_responses pattern.
  function response(type, x, v, isPattern) {
    switch (type) {
      case "choice":
        return sameSet(items(x), items(v));
      case "fill-in": {
        const a = delims(x, false), b = delims(v, false);
        if (a.d.case_matters !== b.d.case_matters || a.d.order_matters !== b.d.order_matters) return false;
        const fold = a.d.case_matters !== "true";
        const norm = (it) => {
          const l = langSplit(it);
          return langTag(l.lang) + "|" + (fold ? l.text.toLowerCase() : l.text);
        };
        const ia = items(a.rest).map(norm), ib = items(b.rest).map(norm);
        if (a.d.order_matters === "false") return sameSet(ia, ib);
        return ia.length === ib.length && ia.every((s, i) => s === ib[i]);
      }
      case "long-fill-in": {
        const a = delims(x, true), b = delims(v, true);
        if (a.d.case_matters !== b.d.case_matters || langTag(a.d.lang) !== langTag(b.d.lang)) return false;
        return a.d.case_matters === "true" ? a.rest === b.rest : a.rest.toLowerCase() === b.rest.toLowerCase();
      }
      case "performance": {
        const a = delims(x, false), b = delims(v, false);
        if (a.d.order_matters !== b.d.order_matters) return false;
        const ia = items(a.rest), ib = items(b.rest);
        if (a.d.order_matters === "false") return sameSet(ia, ib);
        return ia.length === ib.length && ia.every((s, i) => s === ib[i]);
      }
      case "matching":
      case "sequencing": {
        const ia = items(x), ib = items(v);
        return ia.length === ib.length && ia.every((s, i) => s === ib[i]);
      }
      case "numeric": {
        if (!isPattern || !x.includes("[:]")) return real6(x, v);
        const a = x.split("[:]"), b = v.split("[:]");
        if (a.length !== 2 || b.length !== 2) return false;
        return [0, 1].every((i) => (a[i] === "" ? b[i] === "" : real6(a[i], b[i])));
      }
      default: // true-false, likert, other, and no type at all
        return x === v;
    }
  }

  const VOCAB = new Set([
    "cmi.completion_status", "cmi.success_status", "cmi.credit", "cmi.entry", "cmi.mode", "cmi.time_limit_action",
    "cmi.learner_preference.audio_captioning", "cmi.interactions.n.type", "cmi.objectives.n.success_status",
    "cmi.objectives.n.completion_status",
  ]);
  const REAL = new Set([
    "cmi.score.scaled", "cmi.score.raw", "cmi.score.min", "cmi.score.max", "cmi.objectives.n.score.scaled",
    "cmi.objectives.n.score.raw", "cmi.objectives.n.score.min", "cmi.objectives.n.score.max", "cmi.progress_measure",
    "cmi.objectives.n.progress_measure", "cmi.completion_threshold", "cmi.scaled_passing_score",
    "cmi.learner_preference.audio_level", "cmi.learner_preference.delivery_speed", "cmi.interactions.n.weighting",
  ]);
  const DURATION = new Set(["cmi.max_time_allowed", "cmi.total_time", "cmi.interactions.n.latency"]);
  const TIMESTAMP = new Set(["cmi.comments_from_learner.n.timestamp", "cmi.interactions.n.timestamp"]);
  const STRING_SPM = {
    "cmi.location": 1000, "cmi.suspend_data": 64000, "cmi.launch_data": 4000,
    "cmi.comments_from_learner.n.location": 250, "adl.data.n.store": 64000,
  };
  const LANG_SPM = {
    "cmi.comments_from_learner.n.comment": 4000, "cmi.interactions.n.description": 250,
    "cmi.objectives.n.description": 250,
  };

  // equivalent is the type-aware comparison of rules 6 and 8.
  function equivalent(elem, x, v, type) {
    const tmpl = elem.replace(/\.\d+(?=\.|$)/g, ".n");
    if (tmpl.endsWith("._children")) return sameSet(x.split(","), v.split(","));
    if (tmpl === "adl.nav.request_valid.continue" || tmpl === "adl.nav.request_valid.previous") {
      return v === "true" || v === "false" || v === "unknown";
    }
    if (VOCAB.has(tmpl)) return x === v;
    if (REAL.has(tmpl)) return real6(x, v);
    if (DURATION.has(tmpl)) return duration(x, v);
    if (TIMESTAMP.has(tmpl)) return timestamp(x, v);
    if (tmpl in STRING_SPM) return spmString(x, v, STRING_SPM[tmpl]);
    if (tmpl in LANG_SPM) return langString(x, v, LANG_SPM[tmpl]);
    if (tmpl === "cmi.learner_preference.language") return langTag(x) === langTag(v);
    if (tmpl === "cmi.interactions.n.result") return x === v || real6(x, v);
    if (tmpl === "cmi.interactions.n.learner_response") return response(type, x, v, false);
    if (tmpl === "cmi.interactions.n.correct_responses.n.pattern") return response(type, x, v, true);
    return x === v;
  }

  // judge applies the first rule of §2.7 that fits; it returns "" when the
  // command passed, else why not.
  function judge(c, elem, v, e, id, type) {
    const errWhy = e === c.r ? "" : `error code ${e}, want ${c.r}`;
    const valueWhy = (ok, want) => (ok ? errWhy : `returned ${quote(v)}, want ${want}` + (errWhy ? "; " + errWhy : ""));
    switch (c.m) {
      case "COI":
        return ""; // judged where it runs
      case "GES":
        if (c.x === "less255") return valueWhy(v.length < 255, "fewer than 255 characters");
        if (c.x === "emptyCS") return valueWhy(v === "", '""');
        return valueWhy(v === c.x, quote(c.x));
      case "GeDi":
        return valueWhy(v.length < 255, "fewer than 255 characters");
      case "GET": {
        if (elem.includes("learner_name")) return errWhy;
        if (/^adl\.nav\.request_valid\.(choice|jump)/.test(elem)) {
          return v === "true" || v === "false" || v === "unknown" ? "" : `returned ${quote(v)}, want true, false or unknown`;
        }
        if (elem.startsWith("cmi.comments_from_lms") && !elem.endsWith("._children")) {
          const ok = e === "0" || e === "301" || e === "403" || (elem === "cmi.comments_from_lms" && e === "401");
          return ok ? "" : `error code ${e}, want 0, 301 or 403`;
        }
        let x = c.x;
        if (elem === "cmi.learner_id") x = cfg().learnerId;
        if (x !== "" && !elem.endsWith("._count")) return valueWhy(equivalent(elem, x, v, type), quote(x) + " or an equivalent");
        if (x === "" && id !== undefined && elem.endsWith(".id")) return valueWhy(v === id, quote(id));
        if (x === "" && v.startsWith("{")) return valueWhy(equivalent(elem, "", v, type), '""');
        return valueWhy(v === x, quote(x));
      }
      default:
        return valueWhy(v === c.x, quote(c.x));
    }
  }

  function quote(s) {
    s = String(s);
    return JSON.stringify(s.length > 120 ? s.slice(0, 120) + "…" : s);
  }

  // ---- Running commands (§2.4–2.6), through the page's own functions.

  function api(fn, ...args) {
    try {
      const r = window[fn](...args);
      return r === undefined || r === null ? "" : String(r);
    } catch (err) {
      return "<exception: " + err + ">";
    }
  }

  // findIndex resolves an &id& placeholder without reporting the look-ups.
  function findIndex(elem) {
    const m = /&([^&]*)&/.exec(elem);
    if (!m) return { elem };
    const id = m[1];
    const coll = elem.slice(0, m.index).includes("data") ? "adl.data" : "cmi.objectives";
    const n = parseInt(api("doGetValue", coll + "._count"), 10) || 0;
    for (let i = 0; i < n; i++) {
      if (api("doGetValue", `${coll}.${i}.id`) === id) return { elem: elem.replace(m[0], String(i)), id };
    }
    return { missing: id };
  }

  function call(c, elem) {
    switch (c.m) {
      case "I": return { call: `Initialize(${quote(c.a)})`, v: api("doInitialize", c.a) };
      case "C": return { call: `Commit(${quote(c.a)})`, v: api("doCommit", c.a) };
      case "T": return { call: 'Terminate("")', v: api("doTerminate", "") };
      case "GET": return { call: `GetValue(${quote(elem)})`, v: api("doGetValue", elem) };
      case "SET": return { call: `SetValue(${quote(elem)}, ${quote(c.v)})`, v: api("doSetValue", elem, c.v) };
      case "GES": return { call: `GetErrorString(${quote(c.a)})`, v: api("doGetErrorString", c.a) };
      case "GeDi": return { call: `GetDiagnostic(${quote(c.a)})`, v: api("doGetDiagnostic", c.a) };
      case "GLE": return { call: "GetLastError()", v: api("doGetLastError") };
    }
    return { call: c.m, v: "" };
  }

  // exec runs one command and returns a failure record, or null.
  function exec(c, i, st, page) {
    if (c.m === "COI") {
      const want = c.ids;
      const n = parseInt(api("doGetValue", "cmi.objectives._count"), 10) || 0;
      const got = [];
      for (let k = 0; k < n; k++) got.push(api("doGetValue", `cmi.objectives.${k}.id`));
      const ok = n === want.length && got.every((id) => want.includes(id));
      return ok ? null : { i, line: c.l, call: "objective ids", want: want.join(","), got: got.join(","), why: `the LMS has objectives [${got.join(",")}], want exactly [${want.join(",")}]` };
    }
    let elem = c.e, id;
    if (elem && elem.includes("&")) {
      const r = findIndex(elem);
      if (r.missing !== undefined) {
        const what = elem.slice(0, elem.indexOf("&")).includes("data") ? "an adl.data record" : "an objective";
        return { i, line: c.l, call: `${c.m} ${elem}`, why: `Attempted to access ${what} with the id "${r.missing}" but "${r.missing}" was not found` };
      }
      elem = r.elem;
      id = r.id;
    }
    const r = call(c, elem);
    const e = api("doGetLastError");
    if (c.m === "SET" && r.v === "true") {
      const t = /^cmi\.interactions\.(\d+)\.type$/.exec(elem);
      if (t) st.itypes[t[1]] = c.v;
      if (elem === "adl.nav.request") page.navRequest = c.v;
    }
    let type = c.h;
    if (!type) {
      const t = /^cmi\.interactions\.(\d+)\./.exec(elem);
      if (t) type = st.itypes[t[1]] || "";
    }
    const why = judge(c, elem, r.v, e, id, type);
    if (!why) return null;
    return { i, line: c.l, call: r.call, want: c.x, wantErr: c.r, got: r.v.length > 200 ? r.v.slice(0, 200) + "…" : r.v, gotErr: e, why };
  }

  // ---- The driver object.

  function attach(els) {
    const page = { pos: -1, launched: false, terminated: false, ui: true, cmd: true, navRequest: "", cuiText: null, completed: false };
    const visit = () => cfg().visits[page.pos];

    const driver = {
      evalID(s) {
        s = String(s);
        const bang = s.indexOf("!");
        const tc = bang < 0 ? s : s.slice(0, bang), act = bang < 0 ? "" : s.slice(bang + 1);
        const st = load();
        if (tc !== cfg().tc) {
          emit({ t: "evalID", ok: false, tc, act, pos: st.pos, why: `You have launched the wrong LMS Test Content Package: ${tc}, want ${cfg().tc}` });
          return false;
        }
        const v = cfg().visits[st.pos];
        if (st.done || !v) {
          st.launch = false;
          save(st);
          emit({ t: "evalID", ok: false, tc, act, pos: st.pos, why: `the LMS launched activity ${act} after the last visit` });
          return false;
        }
        if (act !== v.act) {
          if (st.grace) {
            emit({ t: "pre-start", act, want: v.act, pos: st.pos });
            return false;
          }
          st.launch = false;
          save(st);
          emit({ t: "evalID", ok: false, tc, act, want: v.act, pos: st.pos, why: `Expected Activity ${v.act} - LMS Launched Activity ${act}` });
          return false;
        }
        st.grace = false;
        save(st);
        page.pos = st.pos;
        page.launched = true;
        emit({ t: "evalID", ok: true, act, pos: st.pos, url: here() });
        return st.launch;
      },
      getUITestQuestions() {
        const v = visit();
        if (!v || !v.uiq) return "";
        emit({ t: "ui-questions", pos: page.pos });
        return v.uiq;
      },
      evaluateUIResults(answers) {
        const v = visit(), st = load();
        answers = String(answers);
        const ok = !!v && answers === v.uia;
        if (!ok) {
          page.ui = false;
          st.ui = false;
          save(st);
        }
        emit({ t: "ui-answers", pos: page.pos, answers, want: v ? v.uia : "", ok });
        return st.ui;
      },
      runCommands() {
        const v = visit(), st = load();
        if (!v) return false;
        const failures = [];
        let failed = 0;
        v.commands.forEach((c, i) => {
          const f = exec(c, i, st, page);
          if (f) {
            failed++;
            if (failures.length < 200) failures.push(f);
          }
        });
        if (failed) {
          page.cmd = false;
          st.results = false;
        }
        save(st);
        emit({ t: "commands", pos: page.pos, count: v.commands.length, failed, failures, navRequest: page.navRequest });
        return st.results;
      },
      curUserInstructions() {
        if (page.cuiText !== null) return page.cuiText;
        const v = visit();
        if (!v) return "";
        const st = load();
        if (st.pos === page.pos) {
          st.pos = page.pos + 1;
          if (v.grace) st.grace = true;
          save(st);
        }
        page.cuiText = v.text || "";
        const onUnload = typeof window.completeTest === "function" && /doTerminate/.test(String(window.completeTest));
        emit({ t: "visit-end", pos: page.pos, ok: page.ui && page.cmd, navRequest: page.navRequest, terminatesOnUnload: onUnload, alerts: browserAlerts });
        return page.cuiText;
      },
      getScoStatus() {
        return page.terminated ? "terminated" : "";
      },
      writeToLog(log, type, msg) {
        type = Number(type);
        if (type === 3 || type === 4) {
          // The suite only logged these; a SCO that says FAILED fails here.
          page.cmd = false;
          const st = load();
          st.results = false;
          save(st);
        }
        emit({ t: "log", log: String(log), type, msg: String(msg), pos: page.pos });
      },
      terminateTest() {
        page.terminated = true;
        const st = load();
        st.results = false;
        save(st);
        emit({ t: "terminate-test", pos: page.pos });
      },
      completed() {
        if (page.completed) return;
        page.completed = true;
        const st = load();
        if (page.launched && !st.done && st.pos >= cfg().visits.length) {
          st.done = true;
          save(st);
          emit({ t: "completed", finished: true, pos: page.pos, launch: st.launch, ui: st.ui, results: st.results });
        } else {
          emit({ t: "completed", finished: false, pos: page.pos });
        }
      },
      failed() {
        page.cmd = false;
        const st = load();
        st.results = false;
        save(st);
        emit({ t: "failed", pos: page.pos });
      },
      setSCOStatus() {},
      alertFailure() {},
      testTerminate() {},
    };
    for (const el of els) for (const [name, fn] of Object.entries(driver)) el[name] = fn;

    // Report Terminate as it returns: the runner acts only after it.
    const terminate = window.doTerminate;
    if (typeof terminate === "function") {
      window.doTerminate = function () {
        const r = terminate.apply(this, arguments);
        emit({ t: "terminate", pos: page.pos, result: String(r) });
        return r;
      };
    }
  }

  function setup() {
    const outer = document.getElementById("NNLMSTestSCODriver");
    if (!outer) return;
    const inner = document.getElementById("LMSTestSCODriver");
    attach(inner ? [outer, inner] : [outer]);
  }

  // Exposed for the driver's own tests.
  window.__ctsJudge = { judge, equivalent, seconds, instant, response, load: () => load() };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup, { once: true });
  else setup();
})(CTS_CONFIG);
