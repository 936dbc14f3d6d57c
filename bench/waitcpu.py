#!/usr/bin/env python3
"""CPU per second of a long wait, start-up excluded.

Each round runs every command twice against a loopback port that refuses
(bound, not listening) and opens it after SHORT and after LONG seconds; the
waiter's own user+system time comes from wait4's rusage, which is fair on a
loaded machine. The runs of all commands are interleaved, so they share the
load. Per command it prints the median CPU of each run and

    (median CPU of LONG - median CPU of SHORT) / (LONG - SHORT)

in ms per second waited: what polling costs once start-up is paid.

  bench/waitcpu.py [-n ROUNDS] [--short S] [--long S] -- CMD... [-- CMD...]
  ({addr} is replaced by 127.0.0.1:PORT, {port} by PORT)

Example: bench/waitcpu.py -n 3 -- ./initbox wait '{addr}' -- dockerize -wait 'tcp://{addr}'
"""
import argparse, os, socket, statistics, subprocess, threading, time


def run(cmd, delay):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))  # bound, not listening: connects are refused
    port = srv.getsockname()[1]
    argv = [a.replace("{addr}", f"127.0.0.1:{port}").replace("{port}", str(port)) for a in cmd]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opener = threading.Timer(delay, lambda: srv.listen(64))
    opener.start()
    killer = threading.Timer(delay + 30, proc.kill)
    killer.start()
    _, status, ru = os.wait4(proc.pid, 0)
    killer.cancel()
    opener.cancel()
    srv.close()
    if status != 0:
        raise SystemExit(f"FAIL: {' '.join(argv)}: wait status {status}")
    return (ru.ru_utime + ru.ru_stime) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3, help="rounds")
    ap.add_argument("--short", type=float, default=1.0)
    ap.add_argument("--long", type=float, default=31.0)
    ap.add_argument("cmds", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmds, cur = [], []
    for w in a.cmds + ["--"]:
        if w == "--":
            if cur:
                cmds.append(cur)
            cur = []
        else:
            cur.append(w)
    short = {i: [] for i in range(len(cmds))}
    long_ = {i: [] for i in range(len(cmds))}
    # Each command's long runs go in parallel with the others' (they mostly
    # sleep), its short runs one after another.
    for _ in range(a.n):
        results = {}
        threads = [threading.Thread(target=lambda i=i, c=c: results.__setitem__(i, run(c, a.long)))
                   for i, c in enumerate(cmds)]
        for t in threads:
            t.start()
        for i, c in enumerate(cmds):
            short[i].append(run(c, a.short))
        for t in threads:
            t.join()
        for i in results:
            long_[i].append(results[i])
    for i, c in enumerate(cmds):
        s, l = statistics.median(short[i]), statistics.median(long_[i])
        per_s = (l - s) / (a.long - a.short)
        print(f"cpu_ms short={s:.2f} long={l:.2f} per_s_after_startup={per_s:.3f} "
              f"short_s={a.short:g} long_s={a.long:g} n={a.n} cmd={' '.join(c)}")


if __name__ == "__main__":
    main()
