// Checks of the commit protocol of LecternRuntime with scripted transports,
// run by TestShimCommitProtocol after harness.js. runProtocol(states)
// resolves to {failures, checks}.
"use strict";
async function runProtocol(states) {
  const failures = [];
  let checks = 0;
  const check = (label, got, want) => {
    checks++;
    const g = JSON.stringify(got), w = JSON.stringify(want);
    if (g !== w) failures.push(label + ": got " + g + ", want " + w);
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const tick = () => new Promise((r) => setTimeout(r, 0));
  // fake records every request and answers with reply(body, mode, n).
  function fake(reply) {
    const log = [];
    return {
      log,
      send(url, body, mode) {
        const b = JSON.parse(JSON.stringify(body));
        log.push({ url, mode, ...b });
        const res = reply(b, mode, log.length);
        if (res instanceof Error) throw res;
        return mode === "sync" ? res : Promise.resolve(res);
      },
    };
  }
  const ok = (b) => ({ status: 200, body: { seq: b.seq } });
  const seqs = (log) => log.map((r) => r.seq);
  const make = (version, transport, more) => LecternRuntime.create({
    schema: schemas[version], state: JSON.parse(JSON.stringify(states[version])), transport,
    token: "tok", url: "/rt/commit", timing: false, ...more });
  // Sealed storage: KEY is this course's key, OTHER another course's.
  const KEY = "ab".repeat(32), OTHER = "cd".repeat(32);
  const vaultOf = (storage, key = KEY) => LecternRuntime.sealedStore(storage, key);

  { // Batches keep their order and sequence numbers; the ack's nav answers request_valid.
    const navs = [], terms = [];
    const tr = fake((b) => ({ status: 200, body: { seq: b.seq, nav: { continue: true, choice: { x: false } } } }));
    const s = make("2004", tr, { seq: 5, onNav: (n) => navs.push(n), onTerminated: (r) => terms.push(r) });
    const api = s.api;
    check("order: Initialize", api.Initialize(""), "true");
    check("order: request_valid before any ack", api.GetValue("adl.nav.request_valid.continue"), "unknown");
    api.SetValue("cmi.location", "p1");
    check("order: Commit", api.Commit(""), "true");
    api.SetValue("cmi.location", "p2");
    api.SetValue("cmi.suspend_data", "s");
    check("order: second Commit", api.Commit(""), "true");
    check("order: Commit without changes sends nothing", [api.Commit(""), tr.log.length], ["true", 2]);
    check("order: request_valid from the ack", [api.GetValue("adl.nav.request_valid.continue"),
      api.GetValue("adl.nav.request_valid.choice.{target=x}"), api.GetValue("adl.nav.request_valid.previous")],
      ["true", "false", "unknown"]);
    check("order: nav changes reported once", navs.length, 1);
    api.SetValue("adl.nav.request", "{target=x}choice");
    check("order: Terminate", api.Terminate(""), "true");
    check("order: requests", tr.log.map((r) => [r.token, r.seq, r.mode, r.terminate, r.changes]), [
      ["tok", 6, "sync", false, [{ element: "cmi.location", value: "p1" }]],
      ["tok", 7, "sync", false, [{ element: "cmi.location", value: "p2" }, { element: "cmi.suspend_data", value: "s" }]],
      ["tok", 8, "sync", true, [{ element: "adl.nav.request", value: "{target=x}choice" }]],
    ]);
    check("order: navigation request after Terminate", terms, [{ kind: "choice", target: "x" }]);
    check("order: nothing pending", s.pending(), []);
  }

  { // A late answer to an earlier batch (an async request that a Commit
    // overtook) does not bring back the navigation state it carried.
    const navs = [];
    let release;
    const late = new Promise((r) => { release = r; });
    const tr = fake((b, mode) => mode === "sync"
      ? { status: 200, body: { seq: b.seq, nav: { continue: true } } }
      : late.then(() => ({ status: 200, body: { seq: b.seq, nav: { continue: false } } })));
    const s = make("2004", tr, { onNav: (n) => navs.push(n) });
    const api = s.api;
    api.Initialize("");
    api.SetValue("cmi.location", "p1");
    s.hidden(); // sends batch 1 asynchronously; its answer waits
    api.SetValue("cmi.location", "p2");
    check("late: Commit", api.Commit(""), "true");
    release();
    await sleep(10);
    check("late: requests", tr.log.map((r) => [r.seq, r.mode === "sync"]), [[1, false], [1, true], [2, true]]);
    check("late: navigation state from the last batch", [navs, api.GetValue("adl.nav.request_valid.continue")], [[{ continue: true }], "true"]);
  }

  { // Many changes become several batches within the server's limits.
    const tr = fake(ok);
    const api = make("2004", tr).api;
    api.Initialize("");
    for (let i = 0; i < 10001; i++) api.SetValue("cmi.location", "p" + i);
    check("split: Commit", api.Commit(""), "true");
    const big = "d".repeat(63990);
    for (let i = 0; i < 40; i++) api.SetValue("cmi.suspend_data", big + i);
    check("split: Terminate", api.Terminate(""), "true");
    check("split: batches", tr.log.map((r) => [r.seq, r.changes.length, r.terminate]),
      [[1, 10000, false], [2, 1, false], [3, 16, false], [4, 16, false], [5, 8, true]]);
    check("split: last value", tr.log[1].changes[0].value, "p10000");
  }

  { // Terminate always sends a batch, even without changes (1.2).
    const tr = fake(ok);
    const api = make("1.2", tr).api;
    api.LMSInitialize("");
    check("finish: LMSFinish", api.LMSFinish(""), "true");
    check("finish: empty terminating batch", tr.log.map((r) => [r.seq, r.terminate, r.changes.length]), [[1, true, 0]]);
  }

  { // A commit the server cannot take fails with 391 and is sent again, first, with the same seq.
    let down = true;
    const vault = await vaultOf(memoryStorage());
    const tr = fake((b) => (down ? { status: 503, body: {} } : ok(b)));
    const s = make("2004", tr, { vault, id: "w" });
    const api = s.api;
    api.Initialize("");
    api.SetValue("cmi.location", "a");
    check("retry: Commit while the server is down", [api.Commit(""), api.GetLastError()], ["false", "391"]);
    const stored = await vault.read("w");
    check("retry: batch stored", stored.map((b) => b.seq), [1]);
    api.SetValue("cmi.location", "b");
    down = false;
    check("retry: Commit once it is back", [api.Commit(""), api.GetLastError()], ["true", "0"]);
    check("retry: seqs", seqs(tr.log), [1, 1, 2]);
    check("retry: storage emptied", await vault.read("w"), null);
  }

  { // A network error (the synchronous request throws) fails the Commit, and keepalive takes the batch.
    let n = 0;
    const tr = fake((b, mode) => (mode === "sync" ? new Error("NetworkError") : (n++, ok(b))));
    const s = make("1.2", tr);
    const api = s.api;
    api.LMSInitialize("");
    api.LMSSetValue("cmi.core.lesson_location", "x");
    check("throw: LMSCommit", [api.LMSCommit(""), api.LMSGetLastError()], ["false", "101"]);
    await tick();
    check("throw: sent with keepalive and acknowledged", [tr.log.map((r) => r.mode), s.pending().length], [["sync", "keepalive"], 0]);
  }

  { // A refused value (422) fails the Commit, names the element, and the rest is saved under the same seq.
    const tr = fake((b, mode, n) => (n === 1
      ? { status: 422, body: { error: "bad value", code: 406, element: "cmi.score.raw", index: 1 } } : ok(b)));
    const s = make("2004", tr);
    const api = s.api;
    api.Initialize("");
    api.SetValue("cmi.location", "a");
    api.SetValue("cmi.score.raw", "5");
    api.SetValue("cmi.suspend_data", "d");
    check("refused: Commit", [api.Commit(""), api.GetLastError()], ["false", "391"]);
    check("refused: diagnostic names the element", api.GetDiagnostic("").includes("cmi.score.raw"), true);
    check("refused: resent without it", tr.log.map((r) => [r.seq, r.changes.map((c) => c.element)]),
      [[1, ["cmi.location", "cmi.score.raw", "cmi.suspend_data"]], [1, ["cmi.location", "cmi.suspend_data"]]]);
    check("refused: next commit works", [api.SetValue("cmi.location", "b"), api.Commit(""), tr.log.at(-1).seq], ["true", "true", 2]);
  }

  { // A refused batch with nothing left to drop ends the retries.
    const tr = fake(() => ({ status: 422, body: { error: "no", code: 351, element: "" } }));
    const api = make("2004", tr).api;
    api.Initialize("");
    check("refused empty: Terminate", [api.Terminate(""), api.GetLastError(), tr.log.length], ["false", "391", 1]);
  }

  { // Superseded: from then on SetValue, Commit and Terminate fail with 391.
    const fatal = [];
    const storage = memoryStorage(), vault = await vaultOf(storage);
    const tr = fake(() => ({ status: 409, body: { error: "Taken over.", code: 391, reason: "superseded" } }));
    const s = make("2004", tr, { vault, onFatal: (m) => fatal.push(m) });
    const api = s.api;
    api.Initialize("");
    api.SetValue("cmi.location", "a");
    check("superseded: Commit", [api.Commit(""), api.GetLastError()], ["false", "391"]);
    check("superseded: diagnostic", api.GetDiagnostic(""),
      "This course was opened in another window; this window can no longer save progress.");
    check("superseded: SetValue", [api.SetValue("cmi.location", "b"), api.GetLastError()], ["false", "391"]);
    check("superseded: GetValue still answers", [api.GetValue("cmi.location"), api.GetLastError()], ["a", "0"]);
    check("superseded: Commit again", [api.Commit(""), api.GetLastError()], ["false", "391"]);
    check("superseded: Terminate", [api.Terminate(""), api.GetLastError()], ["false", "391"]);
    await vault.settled();
    check("superseded: one request, nothing kept", [tr.log.length, storage.length], [1, 0]);
    check("superseded: reported once", fatal.length, 1);
    const api12 = make("1.2", fake(() => ({ status: 409, body: { reason: "superseded" } }))).api;
    api12.LMSInitialize("");
    api12.LMSSetValue("cmi.core.lesson_location", "a");
    check("superseded 1.2: LMSCommit", [api12.LMSCommit(""), api12.LMSGetLastError()], ["false", "101"]);
    check("superseded 1.2: LMSSetValue", [api12.LMSSetValue("cmi.core.lesson_location", "b"), api12.LMSGetLastError()], ["false", "101"]);
  }

  { // Pending batches survive in localStorage sealed, and the next load of the course replays them first, in order.
    localStorage.clear();
    const vault = await vaultOf(localStorage);
    const dead = make("2004", fake(() => ({ status: 0, body: {} })), { vault, id: "old", token: "old" });
    dead.api.Initialize("");
    dead.api.SetValue("cmi.location", "a");
    dead.api.Commit("");
    dead.api.SetValue("cmi.location", "b");
    dead.api.Terminate("");
    check("recover: both batches stored", (await vault.read("old")).map((b) => [b.seq, b.terminate]), [[1, false], [2, true]]);
    const raw = localStorage.getItem("lectern:sealed:old") || "";
    check("recover: sealed, neither token nor values readable", [raw !== "", /old|cmi|location/.test(raw + atob(raw))], [true, false]);
    await vault.write("other", [{ token: "other", seq: 4, changes: [], terminate: false }]);
    // Another course's batches, and a forged entry: never sent, left alone.
    const foreign = await vaultOf(localStorage, OTHER);
    await foreign.write("foreign", [{ token: "f", seq: 1, changes: [{ element: "cmi.location", value: "z" }], terminate: false }]);
    const forged = btoa(String.fromCharCode(...new Uint8Array(40)));
    localStorage.setItem("lectern:sealed:forged", forged);
    localStorage.setItem("unrelated", "x");
    const down = fake(() => ({ status: 502, body: {} }));
    await LecternRuntime.recover({ vault, transport: down, url: "/rt/commit" });
    check("recover: server down keeps everything", [(await vault.read("old")) !== null, (await vault.read("other")) !== null], [true, true]);
    const up = fake((b) => (b.token === "other" ? { status: 410, body: { error: "expired" } } : ok(b)));
    await LecternRuntime.recover({ vault, transport: up, url: "/rt/commit" });
    check("recover: old batches in order", up.log.filter((r) => r.token === "old").map((r) => [r.seq, r.terminate, r.changes]),
      [[1, false, [{ element: "cmi.location", value: "a" }]], [2, true, [{ element: "cmi.location", value: "b" }]]]);
    check("recover: acknowledged and expired batches removed", [localStorage.getItem("lectern:sealed:old"),
      localStorage.getItem("lectern:sealed:other"), localStorage.getItem("unrelated")], [null, null, "x"]);
    check("recover: another course's and forged entries neither sent nor touched", [up.log.some((r) => r.token === "f"),
      (await foreign.read("foreign")).length, localStorage.getItem("lectern:sealed:forged")], [false, 1, forged]);
    await vault.write("r", [{ token: "r", seq: 1, changes: [
      { element: "cmi.location", value: "a" }, { element: "cmi.exit", value: "bad" }], terminate: true }]);
    const picky = fake((b) => (b.changes.some((c) => c.element === "cmi.exit")
      ? { status: 422, body: { element: "cmi.exit", code: 406 } } : ok(b)));
    await LecternRuntime.recover({ vault, transport: picky, url: "/rt/commit" });
    check("recover: refused value dropped, rest saved", picky.log.map((r) => r.changes.length), [2, 1]);
    check("recover: done", localStorage.getItem("lectern:sealed:r"), null);
    // An earlier Lectern's plain batches are sent once and removed.
    localStorage.setItem("lectern:pending:p", JSON.stringify([{ token: "p", seq: 3, changes: [], terminate: false }]));
    const plain = fake(ok);
    await LecternRuntime.recoverPlain({ storage: localStorage, transport: plain, url: "/rt/commit" });
    check("recover plain: sent and removed", [plain.log.map((r) => [r.token, r.seq]), localStorage.getItem("lectern:pending:p")], [[["p", 3]], null]);
    localStorage.clear();
  }

  { // Autocommit: debounced after SetValue, at the latest after maxWait, with backoff on failure.
    let fails = 2;
    const tr = fake((b) => (fails-- > 0 ? { status: 500, body: {} } : ok(b)));
    const s = make("2004", tr, { timing: { debounce: 40, maxWait: 1000, retryMin: 30, retryMax: 60 } });
    const api = s.api;
    api.Initialize("");
    api.SetValue("cmi.location", "a");
    api.SetValue("cmi.location", "b");
    check("auto: nothing sent at once", tr.log.length, 0);
    await sleep(300);
    check("auto: retried until acknowledged", tr.log.map((r) => [r.seq, r.mode, r.changes.length]),
      [[1, "keepalive", 2], [1, "async", 2], [1, "async", 2]]);
    check("auto: nothing pending", s.pending().length, 0);
    const tr2 = fake(ok);
    const s2 = make("2004", tr2, { timing: { debounce: 60, maxWait: 150, retryMin: 30, retryMax: 60 } });
    s2.api.Initialize("");
    for (let i = 0; i < 12; i++) {
      s2.api.SetValue("cmi.location", "v" + i);
      await sleep(25);
    }
    check("auto: maxWait sends during a stream of SetValue", tr2.log.length > 0 && tr2.log[0].changes.length < 12, true);
  }

  { // A synchronous Commit while an autocommit is in flight: the duplicate is harmless and order holds.
    let release;
    const tr = {
      log: [],
      send(url, body, mode) {
        this.log.push({ seq: body.seq, mode });
        if (mode === "sync") return ok(body);
        return new Promise((r) => { release = () => r(ok(body)); });
      },
    };
    const s = make("2004", tr, { timing: { debounce: 10, maxWait: 1000, retryMin: 30, retryMax: 60 } });
    s.api.Initialize("");
    s.api.SetValue("cmi.location", "a");
    await sleep(40);
    s.api.SetValue("cmi.location", "b");
    check("inflight: Commit", s.api.Commit(""), "true");
    release();
    await tick();
    check("inflight: requests", tr.log, [{ seq: 1, mode: "keepalive" }, { seq: 1, mode: "sync" }, { seq: 2, mode: "sync" }]);
    check("inflight: nothing pending", s.pending().length, 0);
  }

  { // Page dismissal: keepalive, and what a SCO does in its unload handler leaves as one batch.
    const tr = fake(ok);
    const storage = memoryStorage(), vault = await vaultOf(storage);
    const s = make("1.2", tr, { vault, id: "h" });
    const api = s.api;
    api.LMSInitialize("");
    api.LMSSetValue("cmi.core.lesson_location", "p1");
    s.pagehide();
    check("hide: draft sent with keepalive", tr.log.map((r) => [r.seq, r.mode]), [[1, "keepalive"]]);
    api.LMSSetValue("cmi.core.lesson_location", "p2");
    api.LMSSetValue("cmi.core.exit", "suspend");
    check("hide: LMSCommit answers at once", api.LMSCommit(""), "true");
    check("hide: LMSFinish answers at once", api.LMSFinish(""), "true");
    await tick();
    check("hide: one terminating batch", tr.log.map((r) => [r.seq, r.mode, r.terminate, r.changes.length]),
      [[1, "keepalive", false, 1], [2, "keepalive", true, 2]]);
    await vault.settled();
    check("hide: acknowledged, nothing stored", [await vault.read("h"), storage.length], [null, 0]);
    check("hide: after LMSFinish", [api.LMSGetValue("cmi.core.lesson_location"), api.LMSGetLastError()], ["", "301"]);
  }
  return { failures, checks };
}
