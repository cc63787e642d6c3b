"""stall.py — one-reading ingest POSTs while points are being made (bench/reload/run.sh).

Phase 1 ("alone"): CONNS connections each post one reading, then sleep 1 ms, for SECONDS.
Phase 2 ("during"): the same while one more connection makes NEW points through
POST /api/v1/points (each makes the engine reload its register). Prints one line:
    reload points=N made=K alone_p50_ms=… alone_p99_ms=… during_p50_ms=… during_p99_ms=…
      during_best_p50_ms=…
during_best_p50_ms is the best connection's median: libmicrohttpd serves a
connection's requests on one thread, so a connection that shares the point
maker's thread waits for its requests whatever the engine does; the best one
shows what the engine's lock costs.
"""
import http.client
import json
import sys
import threading
import time

port, token, unit, have, new, conns, seconds = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                                int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]),
                                                float(sys.argv[7]))
port = int(port)
AUTH = {"Authorization": "Bearer " + token}


def poster(lat, stop, k0):
    c = http.client.HTTPConnection("127.0.0.1", port)
    h = dict(AUTH, **{"Content-Type": "text/plain"})
    k = k0
    while not stop.is_set():
        body = "RL-%05d %g\n" % (k % have, 1.0 + (k % 5) * 0.1)
        k += 1
        t = time.perf_counter()
        c.request("POST", "/api/v1/ingest", body, h)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit("ingest answered %d" % r.status)
        lat.append(time.perf_counter() - t)
        time.sleep(0.001)


def q(lat, p):
    s = sorted(lat)
    return 1000 * s[min(len(s) - 1, int(p * len(s)))]


def phase(maker):
    stop = threading.Event()
    lats = [[] for _ in range(conns)]
    ts = [threading.Thread(target=poster, args=(lats[i], stop, i * 7)) for i in range(conns)]
    for t in ts:
        t.start()
    made = maker(stop) if maker else time.sleep(seconds)
    stop.set()
    for t in ts:
        t.join()
    return lats, made


def make_points(stop):
    c = http.client.HTTPConnection("127.0.0.1", port)
    h = dict(AUTH, **{"Content-Type": "application/json"})
    made = 0
    for i in range(have, have + new):
        b = json.dumps({"unit_id": unit, "tag": "RL-%05d" % i, "name": "p%d" % i, "kind": "combustible"})
        c.request("POST", "/api/v1/points", b, h)
        r = c.getresponse()
        r.read()
        if r.status != 201:
            raise SystemExit("points answered %d" % r.status)
        made += 1
    return made


alone, _ = phase(None)
during, made = phase(make_points)
allalone = [x for l in alone for x in l]
allduring = [x for l in during for x in l]
best = min(q(l, 0.5) for l in during if l)
print("reload points=%d made=%d alone_p50_ms=%.2f alone_p99_ms=%.2f during_p50_ms=%.2f during_p99_ms=%.2f "
      "during_best_p50_ms=%.2f" % (have, made, q(allalone, .5), q(allalone, .99), q(allduring, .5),
                                   q(allduring, .99), best))
