// Test harness for static/scorm-api.js, loaded by lms/web/shim_test.go into a
// blank page. runSegment runs API calls on a fresh LecternRuntime over a
// state, with a transport that acknowledges every commit, and reports each
// call's answer, last error and diagnostic, the final state and the batches
// sent (after a pagehide, so that changes not yet committed are sent too).
"use strict";
const schemas = {};
async function loadSchemas() {
  for (const v of ["1.2", "2004"]) schemas[v] = await (await fetch("/schema/" + v + ".json")).json();
  return true;
}
function memoryStorage() {
  const m = new Map();
  return {
    get length() { return m.size; },
    key: (i) => [...m.keys()][i] ?? null,
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}
function callName(schema, call) {
  let name = call.replace(/^LMS/, "");
  if (name === "Finish") name = "Terminate";
  return schema.functions[name];
}
function runSegment(seg) {
  const schema = schemas[seg.version];
  const batches = [];
  const transport = {
    send(url, body, mode) {
      batches.push({ mode, ...JSON.parse(JSON.stringify(body)) });
      const res = { status: 200, body: { seq: body.seq } };
      return mode === "sync" ? res : Promise.resolve(res);
    },
  };
  const s = LecternRuntime.create({ schema, state: seg.state, nav: seg.nav, transport, token: "t",
    storage: memoryStorage(), timing: false });
  const api = s.api;
  const fn = (f) => api[schema.functions[f]];
  const results = seg.calls.map((c) => {
    const name = callName(schema, c.call);
    const ret = name ? api[name](...(c.args || [])) : "";
    return { ret, err: fn("GetLastError")(), diag: fn("GetDiagnostic")("") };
  });
  s.pagehide();
  return { results, state: s.state(), batches };
}
