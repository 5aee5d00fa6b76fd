"""Bounded SO_REUSEPORT hand-over experiment for azmlinfsrv (traffic to 127.0.0.1 only).

Starts server A (revision 1) on --port with its own health port, sends --n POST /score
requests from --threads threads, and depending on --scenario:
  bind-second        start B on the same port, report whether both serve it;
  rollover           at request 100 start B, wait until B's own health port says Healthy,
                     then SIGTERM A; report errors, latency and which pid served;
  stop-no-successor  at request 250 SIGTERM A with no B (baseline).
--gargs is put in GUNICORN_CMD_ARGS ("" for none); --preload sets WORKER_PRELOAD=true.
Example: python rollover.py --venv /tmp/venv --scenario rollover --preload --threads 8
"""
import argparse
import collections
import http.client
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
p = argparse.ArgumentParser()
p.add_argument("--venv", required=True, help="venv with azureml-inference-server-http")
p.add_argument("--scenario", choices=["bind-second", "rollover", "stop-no-successor"], required=True)
p.add_argument("--port", type=int, default=18894)
p.add_argument("--n", type=int, default=500)
p.add_argument("--threads", type=int, default=4)
p.add_argument("--gargs", default="--reuse-port")
p.add_argument("--preload", action="store_true")
p.add_argument("--init-sleep", default="2", help="seconds init() sleeps (model load)")
p.add_argument("--run-sleep", default="0.01", help="seconds run() sleeps")
p.add_argument("--workers", default="1")
a = p.parse_args()
LOG = tempfile.mkdtemp(prefix=f"azmlinfsrv-{a.scenario}-")
results, events, lock = [], [], threading.Lock()  # results: (i, t, ok, pid-or-error, latency)


def start(name, health_port):
    env = dict(os.environ, PROBE_RUN_SLEEP=a.run_sleep, PROBE_INIT_SLEEP=a.init_sleep,
               SEPERATE_HEALTH_ENDPOINT="true",  # (sic) gives each revision its own health port
               XDG_RUNTIME_DIR=os.path.join(LOG, name))  # own gunicorn control socket
    os.makedirs(env["XDG_RUNTIME_DIR"])
    if a.gargs:
        env["GUNICORN_CMD_ARGS"] = a.gargs
    if a.preload:
        env["WORKER_PRELOAD"] = "true"
    cmd = [os.path.join(a.venv, "bin", "azmlinfsrv"), "--entry_script", os.path.join(HERE, "probe_score.py"),
           "--model_dir", LOG, "--port", str(a.port), "--health_port", str(health_port),
           "--worker_count", a.workers]
    return subprocess.Popen(cmd, env=env, cwd=LOG, stdout=open(f"{LOG}/{name}.out", "w"),
                            stderr=open(f"{LOG}/{name}.err", "w"), start_new_session=True)


def healthy_after(port, proc, limit=30):
    t0 = time.time()
    while time.time() - t0 < limit and proc.poll() is None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            c.request("GET", "/")
            r = c.getresponse()
            if r.status == 200 and r.read() == b"Healthy":
                return round(time.time() - t0, 2)
        except OSError:
            pass
        finally:
            c.close()
        time.sleep(0.05)
    return None


def score(i):
    t = time.time()
    c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=15)
    try:
        c.request("POST", "/score", body="{}", headers={"Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read().decode()
        ok, detail = r.status == 200, (json.loads(body)["pid"] if r.status == 200 else f"HTTP {r.status}")
    except Exception as ex:  # connection refused / reset: what we count
        ok, detail = False, type(ex).__name__
    finally:
        c.close()
    with lock:
        results.append((i, t, ok, detail, time.time() - t))


def controller(procs):
    if a.scenario == "stop-no-successor":
        while len(results) < 250:
            time.sleep(0.01)
    else:
        while len(results) < 100:
            time.sleep(0.01)
        events.append(("start B", time.time()))
        procs["B"] = start("B", a.port + 101)
        events.append((f"B healthy after {healthy_after(a.port + 101, procs['B'])}s", time.time()))
    events.append(("SIGTERM A", time.time()))
    procs["A"].send_signal(signal.SIGTERM)
    procs["A"].wait(timeout=60)
    events.append((f"A exited rc={procs['A'].returncode}", time.time()))


procs = {"A": start("A", a.port + 100)}
print("logs in", LOG, "| A healthy after", healthy_after(a.port + 100, procs["A"]), "s")
if a.scenario == "bind-second":
    procs["B"] = start("B", a.port + 101)
    print("B healthy after", healthy_after(a.port + 101, procs["B"], limit=40), "s; B exit code", procs["B"].poll())
    if procs["B"].poll() is None:
        with ThreadPoolExecutor(a.threads) as ex:
            list(ex.map(score, range(200)))
        print("pids serving the shared port:", collections.Counter(r[3] for r in results))
else:
    th = threading.Thread(target=controller, args=(procs,))
    th.start()
    t0 = time.time()
    with ThreadPoolExecutor(a.threads) as ex:
        list(ex.map(score, range(a.n)))
    th.join()
    for e, t in events:
        print(f"  {t - t0:6.2f}s {e}")
    errs = [r for r in results if not r[2]]
    lat = sorted(r[4] for r in results)
    print(f"requests={len(results)} ok={len(results) - len(errs)} errors={len(errs)} in {time.time() - t0:.1f}s")
    print("errors:", dict(collections.Counter(r[3] for r in errs)), "sent at", [round(r[1] - t0, 2) for r in errs])
    print("served by pid:", dict(collections.Counter(r[3] for r in results if r[2])))
    print(f"latency p50={lat[len(lat) // 2] * 1000:.0f}ms max={lat[-1] * 1000:.0f}ms;",
          "slower than 0.5s:", sum(r[4] > 0.5 for r in results))
for name, pr in procs.items():
    if pr.poll() is None:
        pr.send_signal(signal.SIGTERM)
        try:
            pr.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(pr.pid, signal.SIGKILL)
    print(f"{name} final rc={pr.returncode}")
