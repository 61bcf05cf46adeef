#!/usr/bin/env python3
"""tests/bench/soak.sh's driver: JOBS one-file FOREGROUND jobs through the engine's control socket
(created, resumed, completed when TRANSFERRED; one in ten cancelled), IN_FLIGHT at a time, then
IDLE seconds doing nothing. Prints the engine's `stats` at the start, every 1,000 jobs and every
10 s of the idle time as one table row each."""
import json, os, socket, sys, time

sock_path, url, outdir, jobs, in_flight, idle = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
conn = socket.socket(socket.AF_UNIX)
conn.connect(sock_path)
stream = conn.makefile("rwb")

def call(verb, *args):
    stream.write((json.dumps({"verb": verb, "args": list(args)}) + "\n").encode())
    stream.flush()
    reply = json.loads(stream.readline())
    return reply

def row(label, t0):
    s = call("stats")["json"]
    print(f"| {label} | {time.time() - t0:8.1f} | {s['threads']:7d} | {s['descriptors']:11d} | {s['rssKiB'] / 1024:8.1f} |", flush=True)

print("| after | seconds | threads | descriptors | RSS MiB |")
print("|---|---|---|---|---|")
t0 = time.time()
row("start", t0)
running, failed = [], 0
for i in range(jobs):
    job = call("create", f"soak {i}")["text"]
    call("addfile", job, url, os.path.join(outdir, f"f{i}.bin"))
    call("setpriority", job, "FOREGROUND")
    if i % 10 == 9:
        call("cancel", job)
    else:
        call("resume", job)
        running.append(job)
    while len(running) >= in_flight or (i == jobs - 1 and running):
        still = []
        for job in running:
            state = call("getstate", job)["text"].strip()
            if state == "TRANSFERRED":
                if not call("complete", job)["ok"]:
                    failed += 1
            elif state in ("ERROR", "SUSPENDED"):
                failed += 1
                call("cancel", job)
            else:
                still.append(job)
        if len(still) == len(running):
            time.sleep(0.005)
        running = still
    if (i + 1) % 1000 == 0:
        row(f"{i + 1} jobs", t0)
        for name in os.listdir(outdir):
            if not name.startswith("."):   # finished files only: running jobs' .part files stay
                os.unlink(os.path.join(outdir, name))
for k in range(idle // 10):
    time.sleep(10)
    row(f"idle {(k + 1) * 10} s", t0)
listed = call("list")["text"].strip().splitlines()[-1]
print(f"failed jobs: {failed}; {listed}")
sys.exit(1 if failed else 0)
