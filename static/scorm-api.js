// scorm-api.js runs in the player frame (content origin). It hosts the SCORM
// run-time API for the SCO in the nested iframe #sco: GetValue/SetValue answer
// synchronously from the launch's state, checked against the data-model schema
// exported by scorm/cmi (the same rules the server re-applies; see
// scorm/cmi/doc.go).
//
// Accepted changes go to /rt/commit in batches numbered seq = last + 1, which
// do not change once formed (but for dropping a value the server refused), are
// stored in localStorage sealed (lectern:sealed:<random id>, see sealedStore)
// until acknowledged, and are sent in order: synchronously on Commit and
// Terminate, so that the answer is true; asynchronously after SetValue
// (autocommit, retried with backoff); with keepalive requests while the page
// is being dismissed, when synchronous requests are forbidden. The next player
// frame sends whatever is left before it starts.
//
// window.LecternRuntime = {create, recover, httpTransport} is the testable
// part; boot() at the bottom wires it to the page when #lectern-config exists.
"use strict";
(() => {
  const PENDING = "lectern:pending:"; // before sealing: + launch token, in plain text (only read, to recover)
  const SEALED = "lectern:sealed:"; // + a random id per player frame, see sealedStore
  const SUPERSEDED = "This course was opened in another window; this window can no longer save progress.";
  const UNREACHABLE = "The server could not be reached; the changes are kept in this browser and will be sent again.";

  // ---- Diagnostics, worded exactly as scorm/cmi words them (Go's %q, clip).

  const isPrint = (c) => c === " " || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(c);
  const ESC = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", '"': '\\"', "\\": "\\\\" };
  function q(s) {
    let out = '"';
    for (const c of s) {
      const n = c.codePointAt(0);
      if (ESC[c]) out += ESC[c];
      else if (isPrint(c)) out += c;
      else if (n < 0x80) out += "\\x" + n.toString(16).padStart(2, "0");
      else if (n < 0x10000) out += "\\u" + n.toString(16).padStart(4, "0");
      else out += "\\U" + n.toString(16).padStart(8, "0");
    }
    return out + '"';
  }
  const qList = (list) => "[" + list.map(q).join(" ") + "]";
  // clip shortens a quoted value to 64 bytes of UTF-8, as the Go side does.
  function clip(s) {
    const b = new TextEncoder().encode(s);
    if (b.length <= 64) return s;
    let i = 64;
    while (i > 0 && (b[i] & 0xc0) === 0x80) i--;
    return new TextDecoder().decode(b.subarray(0, i)) + "…";
  }
  const codePoints = (s) => {
    let n = 0;
    for (const _ of s) n++;
    return n;
  };

  // ---- The data model: schema + state, mirroring scorm/cmi/access.go.

  const compiled = new WeakMap();
  function compile(schema) {
    let m = compiled.get(schema);
    if (m) return m;
    const rx = (src) => (src ? new RegExp(src, "u") : null);
    const types = new Map();
    for (const [name, t] of Object.entries(schema.types)) {
      types.set(name, { ...t, vocab: t.vocab || [], re: rx(t.regex), urn: rx(t.urn) });
    }
    const byName = new Map();
    const targets = [];
    for (const el of schema.elements) {
      const e = { ...el, re: new RegExp(el.pattern, "u"), typ: types.get(el.type) };
      if (el.name.includes("{target=")) targets.push(e);
      else byName.set(el.name, e);
    }
    m = {
      schema, types, byName, targets,
      containers: new Map(Object.entries(schema.containers)),
      collections: new Set(schema.collections),
      fixed: new Set(schema.fixedCollections || []),
      interactions: new Map(Object.entries(schema.interactions || {})),
      lang: rx(schema.languageRegex),
      languages: new Set((schema.languages || "").split(" ")),
      regions: new Set((schema.regions || "").split(" ")),
      sep: schema.separators || {},
    };
    compiled.set(schema, m);
    return m;
  }

  // How elements marked "evaluate" answer GetValue (doc.go, GetValue step 7).
  const EVALUATE = {
    completion: ["cmi.completion_threshold", "cmi.progress_measure", "completed", "incomplete"],
    success: ["cmi.scaled_passing_score", "cmi.score.scaled", "passed", "failed"],
  };

  const MAX_INDEX = 2 ** 30; // indices beyond any collection (cmi's maxIndex)

  // normalize replaces index segments by "n"; null for a literal "n" (the
  // placeholder of templates, never a real name). An index with a leading
  // zero ("01") is always out of range, like one too large.
  function normalize(name) {
    if (("." + name + ".").includes(".n.")) return null;
    const idx = [], cut = [], segs = [];
    let start = 0;
    for (const seg of name.split(".")) {
      if (/^[0-9]+$/.test(seg)) {
        idx.push(seg.length > 1 && seg[0] === "0" ? MAX_INDEX : Math.min(Number(seg), MAX_INDEX));
        cut.push(start - 1);
        segs.push("n");
      } else {
        segs.push(seg);
      }
      start += seg.length + 1;
    }
    return { tmpl: segs.join("."), idx, cut };
  }

  // indexAt is the index segment after the dot at cut, as the SCO wrote it.
  const indexAt = (name, cut) => name.slice(cut + 1).split(".")[0];

  // validLanguage: language_type syntax, and the ISO 639 / ISO 3166 code
  // lists (scorm/cmi/language.go).
  function validLanguage(m, s) {
    if (!m.lang.test(s)) return false;
    const sub = s.toLowerCase().split("-");
    if (sub[0] === "i" || sub[0] === "x") return true;
    return m.languages.has(sub[0]) && sub.slice(1).every((t) => t.length !== 2 || m.regions.has(t));
  }
  const BAD_LANGUAGE = "is not a valid language code (RFC 3066, ISO 639, ISO 3166)";

  function instantiate(tmpl, idx) {
    let k = 0;
    return tmpl.split(".").map((s) => (s === "n" && k < idx.length ? String(idx[k++]) : s)).join(".");
  }

  class Fail {
    constructor(kind, diag) { this.kind = kind; this.diag = diag; }
  }
  const fail = (kind, diag) => new Fail(kind, diag);

  function model(schema, state) {
    const m = compile(schema);
    const v2004 = schema.version === "2004";
    const values = new Map(Object.entries(state.values || {}));
    const counts = new Map(Object.entries(state.counts || {}));
    const shared = state.shared || [];
    const count = (path) => counts.get(path) || 0;
    const setCount = (path, n) => (n ? counts.set(path, n) : counts.delete(path));
    const known = (tmpl) => m.containers.has(tmpl) || m.byName.has(tmpl) || m.targets.some((e) => e.name === tmpl);

    function resolve(name) {
      if (name.includes("{target=")) {
        for (const el of m.targets) {
          const hit = el.re.exec(name);
          if (hit) return { el, name, idx: [], cut: [], target: hit[1] };
        }
        return null;
      }
      const n = normalize(name);
      const el = n && m.byName.get(n.tmpl);
      return el ? { el, name, idx: n.idx, cut: n.cut, target: "" } : null;
    }

    // indexError checks that every index of a name addresses an existing record.
    function indexError(name, idx, cut) {
      for (let l = 0; l < idx.length; l++) {
        const coll = name.slice(0, cut[l]);
        if (idx[l] >= count(coll)) return fail("getIndex", `${coll} has ${count(coll)} records, there is no index ${indexAt(name, cut[l])}`);
      }
      return null;
    }

    // keyword answers _children, _count and _version; undefined for other names.
    function keyword(name, set) {
      const i = name.lastIndexOf(".");
      const kw = name.slice(i + 1), parent = name.slice(0, i);
      if (i < 0 || (kw !== "_children" && kw !== "_count" && kw !== "_version")) return undefined;
      const n = normalize(parent);
      if (!n || !known(n.tmpl)) return fail("undefined", `${parent} is not a data model element`);
      if (set) return fail("keywordSet", `${name} is a keyword and read only`);
      if (kw === "_version") return parent === "cmi" ? schema.dataModelVersion : fail("noVersion", "only cmi has _version");
      if (kw === "_children" && !m.containers.get(n.tmpl)) return fail("noChildren", `${parent} does not have _children`);
      if (kw === "_count" && !m.collections.has(n.tmpl)) return fail("noCount", `${parent} is not a collection and has no _count`);
      return indexError(parent, n.idx, n.cut) || (kw === "_count" ? String(count(parent)) : m.containers.get(n.tmpl));
    }

    function get(name, nav) {
      if (name === "") return fail("getEmpty", "the element name is empty");
      const kw = keyword(name, false);
      if (kw !== undefined) return kw;
      const r = resolve(name);
      if (!r) return fail("undefined", `${name} is not a data model element`);
      const el = r.el;
      if (el.access === "wo") return fail("writeOnly", `${name} is write only`);
      const bad = indexError(name, r.idx, r.cut);
      if (bad) return bad;
      if (el.source === "nav") {
        return navValid(nav, el.name.slice("adl.nav.request_valid.".length).split(".")[0], r.target);
      }
      if (el.source === "shared") {
        if (!(shared[r.idx[0]] || {}).readable) {
          return fail("writeOnly", `adl.data.${r.idx[0]} is not readable by this SCO (readSharedData=false)`);
        }
        if (!values.get(name)) return fail("notInitialized", `${name} has no value yet`); // empty: never written
      }
      const ev = EVALUATE[el.evaluate];
      if (ev && values.has(ev[0])) {
        if (!values.has(ev[1])) return "unknown";
        return atof(values.get(ev[1])) >= atof(values.get(ev[0])) ? ev[2] : ev[3];
      }
      if (values.has(name)) return values.get(name);
      if (el.default !== undefined) return el.default;
      return fail("notInitialized", `${name} has no value yet`);
    }

    function set(name, value) {
      if (name === "") return fail("setEmpty", "the element name is empty");
      const kw = keyword(name, true);
      if (kw !== undefined) return kw;
      const r = resolve(name);
      if (!r) return fail("undefined", `${name} is not a data model element`);
      const el = r.el, idx = r.idx, last = idx.length - 1;
      if (el.access === "ro") return fail("readOnly", `${name} is read only`);
      // Records are appended in order: index == _count creates one.
      let create = -1;
      for (let l = 0; l < idx.length; l++) {
        const coll = name.slice(0, r.cut[l]);
        const n = create >= 0 ? 0 : count(coll);
        if (idx[l] > n || (m.fixed.has(coll) && idx[l] >= n)) {
          return fail("setIndex", `${coll} has ${n} records: index ${indexAt(name, r.cut[l])} is out of order (the next one is ${n})`);
        }
        if (idx[l] === n) {
          if (v2004 && (l < last || !el.key)) return fail("dependency", `${coll}.${idx[l]} does not exist: set its identifier first`);
          if (create < 0) create = l;
        }
      }
      if (el.dependsOn) {
        const dep = instantiate(el.dependsOn, idx);
        if (!values.has(dep)) return fail("dependency", `${dep} must be set before ${name}`);
      }
      if (el.source === "shared" && !(shared[idx[0]] || {}).writable) {
        return fail("readOnly", `adl.data.${idx[0]} is not writable by this SCO (writeSharedData=false)`);
      }
      let format = null;
      if (el.type === "pattern" || el.type === "response") {
        const type = values.get(instantiate(el.dependsOn, idx)); // the interaction's type
        format = m.interactions.get(type);
        if (!format) return fail("dependency", "the interaction has no valid type");
        if (create === last && format.maxPatterns > 0 && idx[last] >= format.maxPatterns) {
          return fail("setFailure", `a ${type} interaction has at most ${format.maxPatterns} correct response(s)`);
        }
      }
      const bad = check(el, format, value);
      if (bad) return bad;
      if (el.writeOnce && values.has(name) && values.get(name) !== value) {
        return fail("setFailure", `${name} is already ${q(clip(values.get(name)))} and cannot change`);
      }
      if (el.unique || (format && el.type === "pattern" && format.uniquePatterns)) {
        const coll = name.slice(0, r.cut[last]);
        const suffix = name.slice(name.indexOf(".", r.cut[last] + 1));
        for (let j = 0; j < count(coll); j++) {
          const other = values.get(`${coll}.${j}${suffix}`);
          if (j === idx[last] || other === undefined) continue;
          if ((el.unique && other === value) || (format && samePattern(format.uniquePatterns, other, value))) {
            return fail("setFailure", `${coll}.${j} already has this value; values must be unique`);
          }
        }
      }
      // Apply.
      if (create >= 0) {
        for (let l = create; l <= last; l++) {
          const coll = name.slice(0, r.cut[l]);
          setCount(coll, count(coll) + 1);
        }
      }
      if (el.clears && values.has(name) && values.get(name) !== value) {
        for (const c of el.clears) {
          const p = instantiate(c, idx);
          if (m.collections.has(c)) clearCollection(p);
          else values.delete(p);
        }
      }
      values.set(name, value);
      return null;
    }

    function clearCollection(path) {
      const prefix = path + ".";
      for (const k of [...values.keys()]) if (k.startsWith(prefix)) values.delete(k);
      for (const k of [...counts.keys()]) if (k.startsWith(prefix)) counts.delete(k);
      counts.delete(path);
    }

    function check(el, format, value) {
      if (format) return checkResponse(el.type === "pattern" ? format.pattern : format.response, value);
      const maxLen = el.maxLengthFrom === "suspendData" ? state.suspendDataMax : el.maxLength || 0;
      return checkValue(el.typ, value, el.min, el.max, maxLen);
    }

    // checkValue's order of checks is the contract with scorm/cmi/types.go.
    function checkValue(t, v, min, max, maxLen) {
      let text = v;
      const end = v.indexOf("}");
      if (t.lang && v.startsWith("{lang=") && end >= 0) {
        const lang = v.slice(6, end);
        if (!validLanguage(m, lang)) return fail("type", `${q(clip(lang))} ${BAD_LANGUAGE}`);
        text = v.slice(end + 1);
      }
      if (t.vocab.includes(text)) return null;
      if (t.re) {
        if (!t.re.test(text)) {
          return fail("type", t.vocab.length
            ? `${q(clip(text))} is neither one of ${qList(t.vocab)} nor a valid value`
            : `${q(clip(text))} does not have the required format`);
        }
      } else if (t.vocab.length) {
        return fail("type", `${q(clip(text))} is not one of ${qList(t.vocab)}`);
      }
      if (t.language && text !== "" && !validLanguage(m, text)) return fail("type", `${q(clip(text))} ${BAD_LANGUAGE}`);
      if (t.urn && /^urn:/i.test(text) && !t.urn.test(text)) {
        return fail("type", `${q(clip(text))} is not a valid URN (urn:<NID>:<NSS>, RFC 2141)`);
      }
      if (t.numeric && text !== "") {
        const f = Number(text);
        if (Number.isNaN(f)) return fail("type", `${q(clip(text))} is not a number`);
        if (!Number.isFinite(f)) return fail("range", `${q(clip(text))} is too large`);
        if (min !== undefined && f < min) return fail("range", `${text} is below the minimum ${min}`);
        if (max !== undefined && f > max) return fail("range", `${text} is above the maximum ${max}`);
      }
      const limit = maxLen || t.maxLength || 0;
      if (limit > 0 && text.length > limit) {
        const n = codePoints(text);
        if (n > limit) return fail("range", `value has ${n} characters, more than the maximum of ${limit}`);
      }
      return null;
    }

    // checkResponse validates learner_response and pattern values
    // (scorm/cmi/response.go); every failure is a type mismatch.
    function checkResponse(f, v) {
      const rest = stripDelimiters(f.delimiters || [], v);
      if (rest instanceof Fail) return rest;
      if (!f.list) return checkItem(f.item, rest);
      if (rest === "") return f.allowEmpty ? null : fail("type", "the value must not be empty");
      const items = rest.split(m.sep.list);
      for (let i = 0; i < items.length; i++) {
        const bad = checkItem(f.item, items[i]);
        if (bad) return fail(bad.kind, `item ${i + 1}: ${bad.diag}`);
      }
      if (f.unique) {
        for (let i = 1; i < items.length; i++) {
          if (items.slice(0, i).includes(items[i])) return fail("type", `item ${q(clip(items[i]))} appears twice`);
        }
      }
      return null;
    }

    function stripDelimiters(names, v) {
      const seen = [];
      while (names.length && v.startsWith("{")) {
        const eq = v.indexOf("="), end = v.indexOf("}");
        if (eq < 0 || end < eq) break;
        const name = v.slice(1, eq);
        if (!names.includes(name) || seen.includes(name)) break;
        const val = v.slice(eq + 1, end);
        if (name === "lang") {
          if (!validLanguage(m, val)) return fail("type", `${q(clip(val))} ${BAD_LANGUAGE}`);
        } else if (val !== "true" && val !== "false") {
          return fail("type", `the value of {${name}=…} must be true or false`);
        }
        seen.push(name);
        v = v.slice(end + 1);
      }
      return v;
    }

    function checkItem(it, v) {
      if (it.range) return checkRange(v);
      if (!it.pair) return checkPart(it.type, v, it.maxLength);
      const i = v.indexOf(m.sep.pair);
      const left = v.slice(0, i), right = v.slice(i + m.sep.pair.length);
      if (i < 0 || right.includes(m.sep.pair)) {
        return fail("type", `${q(clip(v))} must be two parts separated by exactly one ${m.sep.pair}`);
      }
      if (it.optionalParts && left === "" && right === "") return fail("type", `both parts of ${q(v)} are empty`);
      if (left !== "" || !it.optionalParts) {
        const bad = checkPart(it.left, left, 0);
        if (bad) return bad;
      }
      if (right !== "" || !it.optionalParts) {
        if (it.rightRange && right.includes(m.sep.range)) return checkRange(right);
        return checkPart(it.right, right, it.rightMaxLength);
      }
      return null;
    }

    function checkPart(type, v, maxLen) {
      const bad = checkValue(m.types.get(type), v, undefined, undefined, maxLen || 0);
      return bad && fail("type", bad.diag);
    }

    function checkRange(v) {
      const i = v.indexOf(m.sep.range);
      const lo = v.slice(0, i), hi = v.slice(i + m.sep.range.length);
      if (i < 0 || hi.includes(m.sep.range)) {
        return fail("type", `${q(clip(v))} must be a range min${m.sep.range}max with exactly one ${m.sep.range}`);
      }
      const bounds = [0, 0];
      for (const [k, s] of [lo, hi].entries()) {
        if (s === "") continue;
        if (!m.types.get("real").re.test(s)) return fail("type", `range bound ${q(clip(s))} is not a real number`);
        bounds[k] = Number(s);
        if (!Number.isFinite(bounds[k])) return fail("type", `range bound ${q(clip(s))} is too large`);
      }
      if (lo !== "" && hi !== "" && bounds[0] > bounds[1]) {
        return fail("type", `range minimum ${lo} is greater than its maximum ${hi}`);
      }
      return null;
    }

    function samePattern(rule, a, b) {
      if (rule === "list") return a === b;
      if (rule !== "set") return false;
      if (a === "" || b === "") return a === b;
      const x = a.split(m.sep.list).sort(), y = b.split(m.sep.list).sort();
      return x.length === y.length && x.every((s, i) => s === y[i]);
    }

    return {
      get, set,
      value: (name) => values.get(name),
      toJSON: () => ({
        version: schema.version,
        values: Object.fromEntries(values),
        counts: Object.fromEntries(counts),
        shared,
        suspendDataMax: state.suspendDataMax,
      }),
    };
  }

  // Go's strconv.ParseFloat as cmi uses it: an unparsable value counts as 0.
  function atof(s) {
    const f = s === "" ? NaN : Number(s);
    return Number.isNaN(f) ? 0 : f;
  }

  // navValid answers adl.nav.request_valid.* from the server's nav object
  // {continue, previous, choice: {id: bool}, jump: {id: bool}}.
  function navValid(nav, request, target) {
    let v = nav ? nav[request] : undefined;
    if (target) v = v && typeof v === "object" && Object.hasOwn(v, target) ? v[target] : undefined;
    return v === true ? "true" : v === false ? "false" : "unknown";
  }

  // parseNavRequest turns an adl.nav.request value into {kind, target}.
  function parseNavRequest(s) {
    const m = /^\{target=(.+)\}(choice|jump)$/u.exec(s);
    return m ? { kind: m[2], target: m[1] } : { kind: s };
  }

  // ---- Delivery of batches.

  // outcome classifies a server answer to a commit.
  function outcome(res) {
    const s = res.status;
    if (s >= 200 && s < 300) return "ok";
    if (s === 422) return "refused";
    // A sequence gap heals once the earlier batch arrives (keepalive requests
    // may overtake each other), so it is retried like a network error.
    if (s === 0 || s >= 500 || s === 408 || s === 429 || (s === 409 && res.body.reason === "sequence")) return "retry";
    return "fatal"; // superseded, terminated, expired, unknown token: it can never apply
  }

  // withoutRefused drops the change the server refused (422) from a batch, so
  // that the rest can still be saved under the same sequence number: a
  // refused batch was not applied and did not use up its number. It returns
  // null when there is nothing left to drop (the batch itself is refused).
  function withoutRefused(batch, body) {
    const changes = batch.changes;
    let i = Number.isInteger(body.index) && changes[body.index] && changes[body.index].element === body.element
      ? body.index : changes.findIndex((c) => c.element === body.element);
    if (!changes.length) return null;
    if (i < 0) i = 0; // the server named nothing we sent: drop something, so that retries end
    return { ...batch, changes: changes.filter((_, k) => k !== i) };
  }

  // localStore is window.localStorage, or null where storage is blocked.
  function localStore() {
    try {
      return window.localStorage;
    } catch (_) {
      return null;
    }
  }

  function readPending(storage, key) {
    try {
      const list = JSON.parse(storage.getItem(key) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (_) {
      return [];
    }
  }

  function writePending(storage, key, list) {
    try {
      if (list.length) storage.setItem(key, JSON.stringify(list));
      else storage.removeItem(key);
    } catch (_) {
      // Storage full or disabled: the batches still live in memory.
    }
  }

  // ---- Sealed storage.
  //
  // Every package runs on the one content origin, so every package can read
  // its localStorage. Pending batches hold the launch token, which is all a
  // commit needs: stored in plain text, another course's package could read
  // them and commit as that launch. So they are sealed (AES-GCM) with a key
  // the LMS derives for the learner and the course and hands to the player
  // frame in its URL's fragment (never sent to a server, never stored). A
  // package can read only what its own player frame holds: its own course's
  // key; other courses' batches are opaque to it, and any change to them
  // makes them fail to open. The next load of the same course opens them and
  // sends them (acknowledged ones are acknowledged again, then removed).
  // Where WebCrypto is missing (a page not served over https), batches live
  // in memory only.

  function toBase64(u8) {
    let s = "";
    for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
    return btoa(s);
  }

  function fromBase64(text) {
    const b = atob(text), u8 = new Uint8Array(b.length);
    for (let i = 0; i < b.length; i++) u8[i] = b.charCodeAt(i);
    return u8;
  }

  // sealedStore keeps lists of batches in storage, each under an id and
  // sealed with the key (64 hex digits). It resolves to null when it cannot
  // seal: no storage, no key, no WebCrypto.
  async function sealedStore(storage, hex) {
    if (!storage || !/^[0-9a-f]{64}$/.test(hex || "") || !(window.crypto && crypto.subtle)) return null;
    const raw = new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
    const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    const enc = new TextEncoder(), dec = new TextDecoder();
    let chain = Promise.resolve();
    async function seal(id, json) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(id) }, key, enc.encode(json)));
      const out = new Uint8Array(iv.length + ct.length);
      out.set(iv);
      out.set(ct, iv.length);
      return toBase64(out);
    }
    const vault = {
      // write replaces the list under id (an empty list removes it); writes
      // land in the order they were made.
      write(id, list) {
        const json = list.length ? JSON.stringify(list) : "";
        chain = chain.then(async () => {
          try {
            if (!json) storage.removeItem(SEALED + id);
            else storage.setItem(SEALED + id, await seal(id, json));
          } catch (_) {
            // Storage full or disabled: the batches still live in memory.
          }
        });
        return chain;
      },
      // read opens the list under id; null when there is none or it does not
      // open with this key (another course's, or tampered with).
      async read(id) {
        await chain; // what was written is read back
        try {
          const u8 = fromBase64(storage.getItem(SEALED + id) || "");
          if (u8.length < 13) return null;
          const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: u8.subarray(0, 12), additionalData: enc.encode(id) }, key, u8.subarray(12));
          const list = JSON.parse(dec.decode(plain));
          return Array.isArray(list) ? list : null;
        } catch (_) {
          return null;
        }
      },
      // settled resolves once every write made so far is in storage.
      settled: () => chain,
      // all opens every list this key opens: [{id, list}].
      async all() {
        const ids = [];
        try {
          for (let i = 0; i < storage.length; i++) {
            const k = storage.key(i);
            if (k && k.startsWith(SEALED)) ids.push(k.slice(SEALED.length));
          }
        } catch (_) {
          return [];
        }
        const out = [];
        for (const id of ids) {
          const list = await vault.read(id);
          if (list) out.push({ id, list });
        }
        return out;
      },
    };
    return vault;
  }

  const newId = () => toBase64(crypto.getRandomValues(new Uint8Array(12))).replace(/[+/=]/g, (c) => ({ "+": "-", "/": "_", "=": "" })[c]);

  // recover sends every batch that earlier player frames of this course left
  // sealed in the vault, in order, before a new launch starts. Acknowledged
  // batches (also those a closing page sent with keepalive) and hopeless
  // ones are removed; on a network error the rest stays for the next load.
  async function recover({ vault, transport, url }) {
    if (!vault) return;
    for (const { id, list: found } of await vault.all()) {
      let list = found;
      while (list.length) {
        const batch = list[0];
        const res = await transport.send(url, batch, "async");
        const out = outcome(res);
        if (out === "retry") break;
        // Re-read before writing: a live window may have added batches.
        const now = (await vault.read(id)) || [];
        const same = (b) => b.token === batch.token && b.seq === batch.seq;
        if (out === "ok") list = now.filter((b) => !same(b));
        else if (out === "refused") list = now.map((b) => (same(b) ? withoutRefused(b, res.body) : b)).filter(Boolean);
        else list = now.filter((b) => b.token !== batch.token); // fatal: that launch can never take them
        await vault.write(id, list);
      }
    }
  }

  // recoverPlain sends, and removes, the batches an earlier Lectern left in
  // plain text (lectern:pending:<token>); nothing is stored that way now.
  async function recoverPlain({ storage = localStore(), transport, url }) {
    if (!storage) return;
    const keys = [];
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i);
      if (k && k.startsWith(PENDING)) keys.push(k);
    }
    for (const key of keys) {
      for (;;) {
        const batch = readPending(storage, key)[0];
        if (!batch) break;
        const res = await transport.send(url, batch, "async");
        const out = outcome(res);
        // Re-read before writing: a live window of the same token may have
        // added batches meanwhile.
        const list = readPending(storage, key);
        if (out === "ok") writePending(storage, key, list.filter((b) => b.seq !== batch.seq));
        else if (out === "refused") {
          writePending(storage, key, list.map((b) => (b.seq === batch.seq ? withoutRefused(b, res.body) : b)).filter(Boolean));
        } else if (out === "fatal") writePending(storage, key, []);
        else break;
      }
    }
  }

  // httpTransport posts JSON: "sync" with a synchronous XMLHttpRequest (it
  // throws during page dismissal, and on network errors), "async" and
  // "keepalive" with fetch. Answers are {status, body}; status 0 is a network
  // error.
  function httpTransport() {
    const parse = (text) => {
      try {
        const v = JSON.parse(text);
        return v && typeof v === "object" ? v : {};
      } catch (_) {
        return {};
      }
    };
    return {
      send(url, body, mode) {
        const json = JSON.stringify(body);
        if (mode === "sync") {
          const xhr = new XMLHttpRequest();
          xhr.open("POST", url, false);
          xhr.setRequestHeader("Content-Type", "application/json");
          xhr.send(json);
          return { status: xhr.status, body: parse(xhr.responseText) };
        }
        // keepalive lets the request outlive the page, within a 64 KiB quota
        // for all keepalive bodies in flight; a larger batch fails here and
        // stays in localStorage for the next load.
        return fetch(url, {
          method: "POST", body: json, keepalive: mode === "keepalive", cache: "no-store",
          headers: { "Content-Type": "application/json" },
          signal: AbortSignal.timeout ? AbortSignal.timeout(30000) : undefined,
        }).then(
          async (r) => ({ status: r.status, body: parse(await r.text()) }),
          () => ({ status: 0, body: {} }),
        );
      },
    };
  }

  // ---- The API instance.

  const PHASES = ["before Initialize", "after Initialize", "after Terminate"];
  // Keepalive requests have a 64 KiB quota for all bodies in flight; the
  // pump leaves room for the last batch of a dismissal.
  const KEEPALIVE_MAX = 32768;
  // A batch stays under the server's limits (lms/runtime.MaxChanges, and a
  // body of 4 MiB by default: a million UTF-16 units is at most 3 MiB).
  const BATCH_CHANGES = 10000, BATCH_CHARS = 1 << 20;

  // create returns a session: session.api is the object to install as
  // window.API / window.API_1484_11. Options:
  //   schema, state      the cmi.Schema and cmi.State documents
  //   nav                the server's nav object (request_valid answers)
  //   transport          {send(url, body, mode)}, see httpTransport
  //   token, seq, url    launch token, last applied seq, commit endpoint
  //   vault, id          where batches are kept until acknowledged (see
  //                      sealedStore; null: memory only), and under what id
  //   timing             {debounce, maxWait, retryMin, retryMax} in ms, false: no autocommit
  //   onNav(nav), onTerminated(request|null), onFatal(message),
  //   onValue(element, value) after each accepted SetValue
  function create(opts) {
    const { schema, transport, token = "", url = "/rt/commit" } = opts;
    const vault = opts.vault || null, id = opts.id || newId();
    const timing = opts.timing === false ? null
      : { debounce: 5000, maxWait: 60000, retryMin: 1000, retryMax: 60000, ...opts.timing };
    const dm = model(schema, opts.state);
    let nav = opts.nav || {};
    let phase = 0, lastErr = 0, diag = "";
    let draft = []; // changes accepted since the last batch
    let queue = []; // formed batches not yet acknowledged, in seq order
    let lastSeq = opts.seq || 0;
    let navSeq = lastSeq; // the batch whose answer gave the navigation state
    let dead = ""; // why this window can no longer save (superseded, expired, …)
    let pumping = false, retryDelay = 0;
    let debounceTimer = 0, maxTimer = 0, retryTimer = 0;
    let terminateNav = null, terminatedNotified = false;
    // Page dismissal: calls answer at once and their changes leave with
    // keepalive requests. While held (the SCO frame has yet to unload),
    // changes gather into one batch that release() sends.
    let leaving = false, held = false, endQueued = false, endTerminate = false;
    const inflight = new Set(); // seqs with a keepalive request in flight

    const setErr = (code, text) => { lastErr = code; diag = text; };
    const save = () => vault && vault.write(id, queue.map((b) => ({ ...b })));

    function enter(call) {
      const c = schema.callCodes[call][phase];
      if (c) {
        setErr(c, `${call} is not allowed ${PHASES[phase]}`);
        return false;
      }
      setErr(0, "");
      return true;
    }

    // form turns the draft into the next batch, or several within the
    // server's limits. A terminating batch is formed even without changes,
    // because the server must learn the session ended.
    function form(terminate) {
      if (terminate && queue.some((b) => b.terminate)) terminate = false; // a retried Terminate
      if (!draft.length && !terminate) return;
      let changes = [], size = 0;
      const add = (last) => queue.push({ token, seq: ++lastSeq, changes, terminate: last && terminate });
      for (const c of draft) {
        const n = c.element.length + c.value.length + 32;
        if (changes.length && (changes.length >= BATCH_CHANGES || size + n > BATCH_CHARS)) {
          add(false);
          changes = [];
          size = 0;
        }
        changes.push(c);
        size += n;
      }
      add(true);
      draft = [];
      save();
    }

    function stopTimers() {
      clearTimeout(debounceTimer);
      clearTimeout(maxTimer);
      clearTimeout(retryTimer);
      debounceTimer = maxTimer = 0;
    }

    function die(message) {
      if (dead) return;
      dead = message;
      queue = [];
      draft = [];
      save();
      if (opts.onFatal) opts.onFatal(message);
    }

    // handle applies the server's answer to a batch and returns its outcome.
    // Answers for batches already settled by another path are ignored.
    function handle(batch, sent, res) {
      const out = outcome(res);
      // The navigation state of a later batch wins: the answer to an
      // earlier one (a keepalive request that was overtaken) may come last.
      if (out === "ok" && res.body.nav && batch.seq > navSeq) {
        navSeq = batch.seq;
        if (JSON.stringify(res.body.nav) !== JSON.stringify(nav)) {
          nav = res.body.nav;
          if (opts.onNav) opts.onNav(nav);
        }
      }
      if (out === "fatal") {
        die(res.body.reason === "superseded" ? SUPERSEDED : res.body.error || `The server refused the commit (${res.status}).`);
      }
      const i = queue.indexOf(batch);
      if (i < 0 || batch.changes !== sent) return out;
      if (out === "ok") {
        queue.splice(i, 1);
        save();
        if (batch.terminate && !terminatedNotified) {
          terminatedNotified = true;
          if (opts.onTerminated) opts.onTerminated(terminateNav);
        }
      } else if (out === "refused") {
        const rest = withoutRefused(batch, res.body);
        if (rest) queue[i] = rest;
        else queue.splice(i, 1);
        save();
      }
      return out;
    }

    // flushSync sends every batch with synchronous requests so that Commit's
    // answer is true. It returns "" on success, else the diagnostic.
    function flushSync() {
      let refused = "";
      while (queue.length && !dead) {
        const batch = queue[0], sent = batch.changes;
        let res;
        try {
          res = transport.send(url, batch, "sync");
        } catch (_) {
          // A network error, or a page dismissal the player did not see
          // coming (Chrome forbids synchronous requests then): keepalive
          // requests carry the batches, which stay stored until acknowledged.
          fireKeepalive();
          return UNREACHABLE;
        }
        const out = handle(batch, sent, res);
        if (out === "refused") refused = `The server refused the value of ${res.body.element}: ${res.body.error || ""}`.trim();
        if (out === "retry") {
          schedulePump(true);
          return res.status === 0 ? UNREACHABLE : `The server could not save the changes (${res.status}); they will be sent again.`;
        }
      }
      return dead || refused;
    }

    // fireKeepalive sends, in order and without waiting, every batch that has
    // no keepalive request in flight. The requests may outlive the page (a
    // 64 KiB quota applies: a larger batch fails and stays in localStorage).
    function fireKeepalive() {
      for (const batch of queue) {
        if (inflight.has(batch.seq)) continue;
        inflight.add(batch.seq);
        const sent = batch.changes;
        let req;
        try {
          req = Promise.resolve(transport.send(url, batch, "keepalive"));
        } catch (_) {
          req = Promise.resolve({ status: 0, body: {} });
        }
        req.then((res) => {
          inflight.delete(batch.seq);
          if (handle(batch, sent, res) === "retry" && !leaving) schedulePump(true);
        });
      }
    }

    // pump sends the batches one at a time, asynchronously, and retries with
    // exponential backoff while the server cannot be reached. A first try
    // uses keepalive when the batch is small, so that it survives the page
    // going away meanwhile; retries do not (the quota may be what failed).
    async function pump() {
      if (pumping || dead || leaving) return;
      pumping = true;
      clearTimeout(retryTimer);
      try {
        while (queue.length && !dead && !leaving) {
          const batch = queue[0], sent = batch.changes;
          const keepalive = !retryDelay && new TextEncoder().encode(JSON.stringify(batch)).length < KEEPALIVE_MAX;
          if (keepalive) inflight.add(batch.seq);
          const res = await transport.send(url, batch, keepalive ? "keepalive" : "async");
          if (keepalive) inflight.delete(batch.seq);
          if (handle(batch, sent, res) === "retry") {
            schedulePump(true);
            return;
          }
        }
        retryDelay = 0;
      } finally {
        pumping = false;
      }
    }

    function schedulePump(backoff) {
      if (!timing || dead) return;
      clearTimeout(retryTimer);
      if (backoff) retryDelay = Math.min(timing.retryMax, retryDelay ? retryDelay * 2 : timing.retryMin);
      retryTimer = setTimeout(() => pump(), backoff ? retryDelay : 0);
    }

    function autocommit() {
      stopTimers();
      form(false);
      pump();
    }

    // atTaskEnd delivers what a handler did during dismissal (SetValue,
    // Commit, Terminate) as one batch when it returns: separate keepalive
    // requests could overtake each other, and the server refuses a gap.
    function atTaskEnd(terminate) {
      endTerminate = endTerminate || terminate;
      if (endQueued || held) return;
      endQueued = true;
      queueMicrotask(() => {
        endQueued = false;
        if (!held) sendNow();
      });
    }

    function sendNow() {
      form(endTerminate);
      endTerminate = false;
      fireKeepalive();
    }

    // changed is called after each accepted SetValue.
    function changed() {
      if (leaving) return atTaskEnd(false);
      if (!timing) return;
      clearTimeout(debounceTimer);
      debounceTimer = setTimeout(autocommit, timing.debounce);
      if (!maxTimer) maxTimer = setTimeout(autocommit, timing.maxWait);
    }

    // commit forms a batch and delivers everything; false sets the error.
    function commit(terminate) {
      if (dead) return setErr(schema.commitFailureCode, dead), false;
      stopTimers();
      if (leaving) {
        // The answer cannot wait for the server.
        atTaskEnd(terminate);
        return true;
      }
      form(terminate);
      const problem = flushSync();
      if (problem) return setErr(schema.commitFailureCode, problem), false;
      return true;
    }

    const str = (a) => (a === undefined || a === null ? "" : String(a));
    const onlyEmpty = (param) => {
      if (str(param) === "") return true;
      setErr(schema.argumentCode, "the parameter must be an empty string");
      return false;
    };

    const methods = {
      Initialize(param) {
        if (!enter("Initialize") || !onlyEmpty(param)) return "false";
        phase = 1;
        return "true";
      },
      Terminate(param) {
        if (!enter("Terminate") || !onlyEmpty(param)) return "false";
        const req = dm.value("adl.nav.request");
        terminateNav = req && req !== "_none_" ? parseNavRequest(req) : null;
        if (!commit(true)) return "false";
        phase = 2;
        return "true";
      },
      GetValue(element) {
        if (!enter("GetValue")) return "";
        const v = dm.get(str(element), nav);
        if (v instanceof Fail) {
          setErr(schema.codes[v.kind], v.diag);
          return "";
        }
        return v;
      },
      SetValue(element, value) {
        if (!enter("SetValue")) return "false";
        if (dead) return setErr(schema.commitFailureCode, dead), "false";
        const name = str(element), val = str(value);
        const bad = dm.set(name, val);
        if (bad) {
          setErr(schema.codes[bad.kind], bad.diag);
          return "false";
        }
        draft.push({ element: name, value: val });
        changed();
        if (opts.onValue && !leaving) {
          try { opts.onValue(name, val); } catch (_) { /* the player's display only */ }
        }
        return "true";
      },
      Commit(param) {
        if (!enter("Commit") || !onlyEmpty(param)) return "false";
        return commit(false) ? "true" : "false";
      },
      GetLastError: () => String(lastErr),
      GetErrorString(c) {
        const s = str(c);
        return /^[+-]?[0-9]+$/.test(s) ? schema.errors[String(Number(s))] || "" : "";
      },
      GetDiagnostic(c) {
        const s = str(c);
        if (s === "" || s === String(lastErr)) return diag || schema.errors[String(lastErr)] || "";
        return methods.GetErrorString(s);
      },
    };

    const api = {};
    for (const [f, impl] of Object.entries(methods)) api[schema.functions[f]] = (...args) => impl(...args);
    if (schema.version === "2004") api.version = "1.0";

    return {
      api,
      // leave: the page (or the SCO frame) is being dismissed. With hold,
      // changes wait for release(), so that the SCO's own unload handlers
      // still add to the one last batch. The API keeps working throughout.
      leave(hold) {
        leaving = true;
        held = held || !!hold;
        stopTimers();
      },
      release() {
        held = false;
        if (leaving) sendNow();
      },
      // stay: the dismissal was cancelled or only the SCO frame went away;
      // back to normal delivery.
      stay() {
        leaving = held = false;
        form(endTerminate);
        endTerminate = false;
        pump();
      },
      // pagehide sends everything now with keepalive.
      pagehide() {
        leaving = true;
        held = false;
        stopTimers();
        sendNow();
      },
      // hidden (visibilitychange): the page may be killed without pagehide,
      // as on mobile; send now.
      hidden() {
        if (leaving) return;
        form(false);
        pump();
      },
      // flush forms a batch of what is left and resolves true once the server
      // has everything, false when it gives up (dead, or timeout in ms).
      async flush(timeout = 30000) {
        form(false);
        const end = Date.now() + timeout;
        for (let wait = 250; queue.length && !dead && Date.now() < end; wait = Math.min(wait * 2, 4000)) {
          if (!pumping) await pump();
          if (queue.length && !dead) await new Promise((r) => setTimeout(r, wait));
        }
        return !queue.length && !dead;
      },
      setNav(n) { nav = n || {}; },
      state: () => dm.toJSON(),
      pending: () => queue.map((b) => ({ ...b })),
      get dead() { return dead; },
    };
  }

  // ---- The player frame page.

  function boot() {
    const config = document.getElementById("lectern-config");
    if (!config) return;
    const cfg = config.dataset;
    const sco = document.getElementById("sco");
    const status = document.getElementById("lectern-status");
    const transport = httpTransport();
    // The sealing key comes in the fragment of this frame's URL, from the
    // LMS's player page (see sealedStore).
    const sealKey = new URLSearchParams(location.hash.slice(1)).get("k") || "";
    const post = (msg) => {
      if (window.parent !== window) window.parent.postMessage(msg, cfg.lmsOrigin);
    };
    const say = (text) => { if (status) status.textContent = text; };
    const failed = (message) => {
      say(message);
      post({ type: "lectern:error", message });
    };
    let session = null, navigating = false, playerLeaving = false, nav = {};

    async function start() {
      const schemaP = fetch(cfg.schema).then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))));
      schemaP.catch(() => {}); // awaited below
      let vault = null;
      try {
        vault = await sealedStore(localStore(), sealKey);
      } catch (_) {
        // No sealing here: batches live in memory only.
      }
      await recoverPlain({ transport, url: cfg.commit });
      await recover({ vault, transport, url: cfg.commit });
      const res = await transport.send(cfg.start, { token: cfg.token }, "async");
      if (res.status === 409 && res.body.reason === "terminated") {
        // The session ended as this frame loaded (the SCO finished on
        // unload and the page was reloaded): the player opens it again.
        say(res.body.error || "This session has ended.");
        post({ type: "lectern:ended", message: res.body.error });
        return;
      }
      if (res.status !== 200) {
        failed(res.body.error || (res.status ? `The course could not start (${res.status}).` : "The server could not be reached."));
        return;
      }
      let schema;
      try {
        schema = await schemaP;
      } catch (_) {
        failed("The course player could not load its data model.");
        return;
      }
      const launch = res.body;
      if (schema.version !== launch.version) {
        failed(`The course uses SCORM ${launch.version}, the player was set up for ${schema.version}.`);
        return;
      }
      session = create({
        schema, state: launch.state, nav: launch.nav, seq: launch.seq, token: cfg.token, url: cfg.commit, transport, vault,
        onNav: (n) => {
          nav = n;
          post({ type: "lectern:nav-state", nav });
        },
        onTerminated: (request) => {
          if (request) navigate(request, false);
          else if (!navigating && !playerLeaving) post({ type: "lectern:terminated" });
        },
        onValue: (element) => {
          if (!playerLeaving && /status$/.test(element)) post({ type: "lectern:progress", progress: progressOf(session.state().values) });
        },
        onFatal: failed,
      });
      nav = launch.nav || {};
      window[schema.apiName] = session.api;
      watchDismissal();
      sco.src = launch.launch;
      post({ type: "lectern:launched", item: launch.item, nav: launch.nav, progress: progressOf((launch.state || {}).values || {}) });
    }

    // progressOf is what the SCO has reported, for the player's outline and
    // its question before leaving: {completion, success}.
    function progressOf(values) {
      const ls = values["cmi.core.lesson_status"];
      if (ls) {
        return { completion: ["passed", "completed", "failed"].includes(ls) ? "completed" : ls,
          success: ls === "passed" || ls === "failed" ? ls : "unknown" };
      }
      return { completion: values["cmi.completion_status"] || "unknown", success: values["cmi.success_status"] || "unknown" };
    }

    // scoWindow is the SCO frame's window while it shows a page we may watch.
    function scoWindow() {
      try {
        const w = sco.contentWindow;
        return w && w.location.href !== "about:blank" && w.document ? w : null;
      } catch (_) {
        return null; // not same-origin
      }
    }

    // afterScoUnload calls fn once the SCO frame's page has run its unload
    // handlers (or its pagehide handlers, where unload events are disabled).
    // Listeners added now run after the SCO's own.
    function afterScoUnload(w, fn) {
      const policy = w.document.featurePolicy;
      const unloadFires = !(policy && policy.allowsFeature && !policy.allowsFeature("unload"));
      w.addEventListener(unloadFires ? "unload" : "pagehide", fn, { once: true });
    }

    // watchDismissal keeps the session informed of page dismissal. Chrome
    // unloads the player before the SCO frame (beforeunload of both, then the
    // player's pagehide and unload, then the SCO's pagehide and unload), and
    // forbids synchronous requests throughout; a SCO that saves in its own
    // handlers must find the API working and its changes must leave as one
    // last batch.
    function watchDismissal() {
      const leave = (e) => {
        if (e.type === "pagehide") playerLeaving = true;
        const w = e.persisted ? null : scoWindow();
        session.leave(!!w);
        if (w) afterScoUnload(w, () => session.release());
        else session.release();
        if (e.type === "beforeunload") {
          // The unload may be cancelled, or take a while to start.
          setTimeout(() => { if (!playerLeaving) session.stay(); }, 0);
        }
      };
      addEventListener("beforeunload", leave, true);
      addEventListener("pagehide", leave, true);
      addEventListener("pageshow", (e) => {
        if (e.persisted) {
          playerLeaving = false;
          session.stay();
        }
      });
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "hidden") session.hidden();
      });
      // The SCO frame may also go away alone: the LMS navigates, or the SCO
      // moves to another page of its own.
      sco.addEventListener("load", () => {
        if (!playerLeaving) session.stay();
        const w = scoWindow();
        if (!w) return;
        const scoLeave = () => {
          if (playerLeaving) return;
          session.leave(true);
          afterScoUnload(w, () => session.release());
        };
        w.addEventListener("beforeunload", scoLeave, true);
        w.addEventListener("pagehide", scoLeave, true);
      });
    }

    // unloadSco blanks the SCO frame so that its unload handlers run (and
    // their API calls go out) before the navigation request.
    function unloadSco() {
      return new Promise((resolve) => {
        if (!scoWindow()) return resolve();
        const done = () => { clearTimeout(timer); resolve(); };
        const timer = setTimeout(done, 5000);
        sco.addEventListener("load", done, { once: true });
        sco.src = "about:blank";
      });
    }

    async function navigate(request, fromLMS) {
      if (navigating || !session) return;
      navigating = true;
      try {
        if (fromLMS) await unloadSco();
        if (!(await session.flush())) {
          failed(session.dead || "Your progress could not be saved: the server cannot be reached. Try again in a moment.");
          if (fromLMS && !session.dead) location.reload(); // relaunch the SCO we unloaded
          return;
        }
        const res = await transport.send(cfg.nav, { token: cfg.token, request }, "async");
        if (res.status === 200 && res.body.player) {
          location.replace(res.body.player + (sealKey ? "#k=" + sealKey : ""));
        } else if (res.status === 200 && res.body.end) {
          sco.src = "about:blank";
          sco.hidden = true;
          say("You have left the course.");
          post({ type: "lectern:end", suspended: !!res.body.suspended });
        } else if (res.status === 200 && res.body.none) {
          // Nothing delivered and the session goes on: the learner
          // chooses next; this launch carries that request.
          sco.src = "about:blank";
          sco.hidden = true;
          nav = res.body.nav || {};
          session.setNav(nav);
          say("Choose what to do next from the course outline.");
          post({ type: "lectern:idle", nav });
        } else {
          post({ type: "lectern:error", message: res.body.error || "That navigation request is not allowed now." });
          if (fromLMS) location.reload(); // stay: relaunch the SCO we unloaded
        }
      } finally {
        navigating = false;
      }
    }

    addEventListener("message", (e) => {
      if (e.origin !== cfg.lmsOrigin || e.source !== window.parent) return;
      const d = e.data;
      if (d && d.type === "lectern:flush") {
        // The player is about to ask whether to end the course: it needs
        // the course's status with what the SCO has set so far, as a
        // Commit would send it.
        const answer = (ok) => post({ type: "lectern:flushed", ok, nav });
        if (!session || navigating) answer(false);
        else session.flush(5000).then(answer, () => answer(false));
        return;
      }
      if (!d || d.type !== "lectern:nav" || !d.request || typeof d.request.kind !== "string") return;
      // A request the server already said it refuses does not unload the SCO.
      if (navValid(nav, d.request.kind, d.request.target) === "false") {
        post({ type: "lectern:error", message: "That navigation request is not allowed now." });
        return;
      }
      navigate(d.request, true);
    });

    start().catch((e) => failed(`The course could not start: ${e.message}`));
  }

  window.LecternRuntime = { create, recover, recoverPlain, sealedStore, httpTransport };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
