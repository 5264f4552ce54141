#!/usr/bin/python3
"""oci-profile.py -- where `run` of /bin/true spends its time, per runtime.

Not a benchmark (bench/run skips names with a dot): a tool for whoever makes
cpod's `run` faster.  Same bundle, same private mount namespace and scratch
tmpfs over /sys/fs/cgroup/unified as bench/oci-run, then, per runtime
(interleaved, K runs each, BENCH_PROFILE_N or -n, default 15):

1. phases, traced cheaply: strace --seccomp-bpf stops only at a few marker
   syscalls (exec, clone, unshare, pivot_root, mkdir/rmdir, exit...), so the
   runtime runs nearly at full speed between them:
     start      runtime exec -> first process clone (not thread)
     setup      first clone -> execve("/bin/true") in the container
     true       execve("/bin/true") -> the container's exit_group
     teardown   container exit -> the runtime's own exit
   plus, inside them, the cgroup directories: first to last mkdir (and the
   slowest single mkdir, cpuset's on v1), first to last rmdir;
2. every syscall, traced (strace -f -w -c): count and wall time per syscall
   and run (strace makes each syscall cost ~20-50 us more: compare runtimes,
   not absolute numbers);
3. the slowest syscalls of full traces (strace -f -tt -T -y), grouped.

usage: oci-profile.py --bin CPOD_MINI [-n K] [--runtimes cpod,crun,runc]
                      [--keep] [--timeline RUNTIME]
--timeline prints one full annotated trace of RUNTIME (syscall, duration,
time since the previous syscall of that process).
"""

import argparse
import importlib.machinery
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def load_oci_run():
    loader = importlib.machinery.SourceFileLoader("oci_run", os.path.join(HERE, "oci-run"))
    spec = importlib.util.spec_from_loader("oci_run", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


OR = load_oci_run()
MARKERS = ("execve,execveat,clone,clone3,vfork,fork,unshare,pivot_root,exit_group,"
           "mkdir,mkdirat,rmdir,unlinkat,seccomp")
LINE = re.compile(r"^(\d+)\s+(\d+):(\d+):(\d+\.\d+)\s+(.*)$")
DUR = re.compile(r"<(\d+\.\d+)>$")


def parse(path):
    """[(pid, t_seconds, text, duration or None)] with resumed calls joined."""
    out, pending = [], {}
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            pid, h, mi, s, rest = m.groups()
            t = int(h) * 3600 + int(mi) * 60 + float(s)
            if rest.endswith("<unfinished ...>"):
                pending[pid] = (t, rest[:-len("<unfinished ...>")])
                continue
            if rest.startswith("<... ") and pid in pending:
                t0, head = pending.pop(pid)
                rest = head + " ... " + rest.split("resumed>", 1)[-1]
                t = t0
            d = DUR.search(rest)
            out.append((pid, t, rest, float(d.group(1)) if d else None))
    return out


def name_of(text):
    return text.split("(", 1)[0]


def phases(events, cid):
    ev = events
    if not ev:
        return None
    t_start = ev[0][1]
    t_end = ev[-1][1]
    clone = next((e for e in ev if name_of(e[2]) in ("clone", "clone3", "vfork", "fork")
                  and "CLONE_THREAD" not in e[2]), None)
    exe = next((e for e in ev if name_of(e[2]) == "execve" and '"/bin/true"' in e[2]), None)
    if not clone or not exe:
        return None
    texit = next((e for e in ev if e[0] == exe[0] and e[1] > exe[1]
                  and (name_of(e[2]) == "exit_group" or e[2].startswith("+++"))), None)
    cg_mk = [e for e in ev if name_of(e[2]) in ("mkdir", "mkdirat")
             and "/sys/fs/cgroup" in e[2] and cid in e[2]]
    cg_rm = [e for e in ev if (name_of(e[2]) == "rmdir" or
                               (name_of(e[2]) == "unlinkat" and "AT_REMOVEDIR" in e[2]))
             and "/sys/fs/cgroup" in e[2] and cid in e[2]]
    r = {
        "total": t_end - t_start,
        "start": clone[1] - t_start,
        "setup": exe[1] - clone[1],
        "true": (texit[1] - exe[1]) if texit else float("nan"),
        "teardown": (t_end - texit[1]) if texit else float("nan"),
        "cg_mkdirs": len(cg_mk),
        "cg_mkdir_window": (cg_mk[-1][1] + (cg_mk[-1][3] or 0) - cg_mk[0][1]) if cg_mk else 0,
        "cg_mkdir_max": max((e[3] or 0) for e in cg_mk) if cg_mk else 0,
        "cg_rmdir_window": (cg_rm[-1][1] + (cg_rm[-1][3] or 0) - cg_rm[0][1]) if cg_rm else 0,
    }
    slow = max(cg_mk, key=lambda e: e[3] or 0) if cg_mk else None
    r["cg_mkdir_max_where"] = slow[2][:80] if slow else ""
    return r


def inner(cfgpath):
    with open(cfgpath) as f:
        cfg = json.load(f)
    me = os.readlink("/proc/self/ns/mnt")
    if me == cfg["outer_mntns"] or me == os.readlink(f"/proc/{os.getppid()}/ns/mnt"):
        OR.die("inner: not in a private mount namespace")
    if OR.mounted(OR.UNIFIED):
        subprocess.run(["umount", OR.UNIFIED], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=755", "cpod-bench",
                    OR.UNIFIED], check=True)
    tmp, tag, rts = cfg["tmp"], cfg["tag"], cfg["runtimes"]

    def cmd(rt, cid):
        return [cfg["bins"][rt]] + cfg["pre"][rt] + \
            ["--root", os.path.join(tmp, "root-" + rt), "run", "--bundle", cfg["bundle"], cid]

    def traced(rt, cid, strace_args, out):
        r = subprocess.run(["strace", "-f", "-o", out] + strace_args + ["--"] + cmd(rt, cid),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{rt} {cid}: status {r.returncode}: {r.stderr[-800:]}")

    res = {"phases": {r: [] for r in rts}, "summary": {r: {} for r in rts},
           "slow": {r: [] for r in rts}, "timeline": None}
    try:
        for i in range(2):      # warm-up (page cache, first cpuset...)
            for rt in rts:
                subprocess.run(cmd(rt, f"cpod-bench-{rt}-{tag}-w{i}"), check=True,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        for i in range(cfg["n"]):
            k = i % len(rts)
            for rt in rts[k:] + rts[:k]:
                cid = f"cpod-bench-{rt}-{tag}-p{i}"
                out = os.path.join(tmp, f"phase-{rt}-{i}")
                traced(rt, cid, ["--seccomp-bpf", "-tt", "-T", "-y", "-s", "256",
                                 "-e", "trace=" + MARKERS], out)
                ph = phases(parse(out), cid)
                if ph:
                    res["phases"][rt].append(ph)
        for i in range(cfg["n"]):
            k = i % len(rts)
            for rt in rts[k:] + rts[:k]:
                cid = f"cpod-bench-{rt}-{tag}-c{i}"
                out = os.path.join(tmp, f"sum-{rt}-{i}")
                traced(rt, cid, ["-w", "-c", "-U", "name,calls,errors,total-time"], out)
                with open(out) as f:
                    for line in f:
                        p = line.split()
                        if len(p) < 3 or not p[1].isdigit():
                            continue
                        if p[0] == "total" or p[0].startswith("-"):
                            continue
                        name = p[0]
                        calls = int(p[1])
                        errs = int(p[2]) if len(p) == 4 else 0
                        secs = float(p[-1])
                        s = res["summary"][rt].setdefault(name, [0, 0, 0.0])
                        s[0] += calls
                        s[1] += errs
                        s[2] += secs
        full_n = min(cfg["n"], 5)
        for i in range(full_n):
            for rt in rts:
                cid = f"cpod-bench-{rt}-{tag}-f{i}"
                out = os.path.join(tmp, f"full-{rt}-{i}")
                traced(rt, cid, ["-tt", "-T", "-y", "-s", "96"], out)
                for pid, t, text, d in parse(out):
                    if d is not None:
                        res["slow"][rt].append((group_key(text, cid), d))
                if cfg.get("timeline") == rt and i == full_n - 1:
                    res["timeline"] = timeline(parse(out))
        res["full_n"] = full_n
    except (RuntimeError, subprocess.CalledProcessError) as e:
        res["error"] = str(e)
    finally:
        for rt in rts:
            root = os.path.join(tmp, "root-" + rt)
            for cid in os.listdir(root):
                subprocess.run([cfg["bins"][rt]] + cfg["pre"][rt] +
                               ["--root", root, "delete", "--force", cid], capture_output=True)
        subprocess.run(["umount", OR.UNIFIED], check=True)
        with open(os.path.join(tmp, "profile.json"), "w") as f:
            json.dump(res, f)


def group_key(text, cid):
    """A syscall line without the varying bits: ids, pids, fds, addresses."""
    s = text.split(" = ", 1)[0]
    s = s.replace(cid, "ID")
    s = re.sub(r"\b\d{3,}\b", "N", s)
    s = re.sub(r"0x[0-9a-f]+", "0x", s)
    s = re.sub(r"\b(\d+)<", "<", s)
    s = re.sub(r"\"[^\"]{40,}\"(\.\.\.)?", "\"...\"", s)
    return s[:110]


def timeline(events):
    out, last = [], {}
    t0 = events[0][1] if events else 0
    for pid, t, text, d in events:
        gap = t - last.get(pid, t)
        last[pid] = t + (d or 0)
        out.append((pid, round((t - t0) * 1e3, 3), round((d or 0) * 1e3, 3),
                    round(gap * 1e3, 3), text[:150]))
    return out


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def report(cfg, res):
    rts = cfg["runtimes"]
    n = cfg["n"]
    print(f"oci-profile: `run` of /bin/true, {n} traced runs per runtime, interleaved")
    print()
    print("1. phases (strace --seccomp-bpf, marker syscalls only), median ms")
    cols = ["total", "start", "setup", "true", "teardown", "cg_mkdir_window",
            "cg_mkdir_max", "cg_rmdir_window"]
    heads = ["total", "start", "setup", "true", "teardown", "cg mkdirs", "slowest mk",
             "cg rmdirs"]
    print("   " + f"{'':8}" + "".join(f"{h:>11}" for h in heads))
    for rt in rts:
        ph = res["phases"][rt]
        vals = [med([p[c] for p in ph]) * 1e3 for c in cols]
        print("   " + f"{rt:8}" + "".join(f"{v:11.2f}" for v in vals) +
              f"   ({len(ph)} runs, {med([p['cg_mkdirs'] for p in ph]):.0f} cgroup dirs)")
    print("   start: exec -> first clone; setup: -> execve(/bin/true); true: -> its exit;")
    print("   teardown: -> runtime exit; cg mkdirs/rmdirs: first to last cgroup mkdir/rmdir;")
    print("   slowest mk: the slowest cgroup mkdir (cpuset on v1)")
    print()
    print("2. syscalls per run (strace -f -w -c: wall time inside each syscall, all "
          "processes), top 15")
    for rt in rts:
        s = res["summary"][rt]
        tot_calls = sum(v[0] for v in s.values()) / n
        tot_time = sum(v[2] for v in s.values()) / n
        print(f"   {rt}: {tot_calls:.0f} syscalls, {tot_time * 1e3:.2f} ms in syscalls per run")
        for name, v in sorted(s.items(), key=lambda kv: -kv[1][2])[:15]:
            print(f"     {name:18} {v[2] / n * 1e3:8.2f} ms {v[0] / n:7.1f} calls "
                  f"{v[1] / n:6.1f} errors")
    print()
    fn = res.get("full_n", 0)
    print(f"3. slowest syscalls, full traces (strace -f -tt -T -y), {fn} runs each: "
          "total ms per run, calls per run, median us")
    for rt in rts:
        g = {}
        for k, d in res["slow"][rt]:
            g.setdefault(k, []).append(d)
        print(f"   {rt}:")
        top = sorted(g.items(), key=lambda kv: -sum(kv[1]))[:14]
        for k, ds in top:
            print(f"     {sum(ds) / fn * 1e3:7.2f} ms {len(ds) / fn:5.1f}x "
                  f"{statistics.median(ds) * 1e6:8.0f} us  {k}")
    if res.get("timeline"):
        print()
        print(f"4. one full trace of {cfg['timeline']}: t ms, duration ms, gap ms since the "
              "previous syscall of the same process")
        for pid, t, d, gap, text in res["timeline"]:
            print(f"   {t:9.3f} {d:7.3f} {gap:7.3f} {pid:>7} {text}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=False)
    ap.add_argument("-n", type=int, default=int(os.environ.get("BENCH_PROFILE_N", "15")))
    ap.add_argument("--runtimes", default="cpod,crun,runc")
    ap.add_argument("--timeline", default="")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--inner", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.inner:
        inner(a.inner)
        return 0
    if not a.bin:
        ap.error("--bin is required")
    if os.geteuid() != 0:
        OR.skip("needs root")
    bins = {"cpod": os.path.abspath(a.bin), "runc": "/usr/sbin/runc", "crun": "/usr/bin/crun"}
    pre = {"cpod": ["oci"], "runc": [], "crun": []}
    rts = [r for r in a.runtimes.split(",") if r in bins and os.access(bins[r], os.X_OK)]
    tmp = tempfile.mkdtemp(prefix="cpod-bench-oci-profile.",
                           dir=os.environ.get("BENCH_TMPDIR") or tempfile.gettempdir())
    tag = f"{os.getpid()}{os.urandom(2).hex()}"
    try:
        bundle, _, _ = OR.make_bundle(tmp, bins["runc"] if os.access(bins["runc"], os.X_OK)
                                      else None)
        for rt in rts:
            os.mkdir(os.path.join(tmp, "root-" + rt), 0o700)
        cfg = {"runtimes": rts, "bins": bins, "pre": pre, "bundle": bundle, "tmp": tmp,
               "tag": tag, "n": a.n, "timeline": a.timeline,
               "outer_mntns": os.readlink("/proc/self/ns/mnt")}
        cfgpath = os.path.join(tmp, "cfg.json")
        with open(cfgpath, "w") as f:
            json.dump(cfg, f)
        subprocess.run(["unshare", "-m", "--propagation", "private", "--", PY,
                        os.path.abspath(__file__), "--inner", cfgpath])
        with open(os.path.join(tmp, "profile.json")) as f:
            res = json.load(f)
        if res.get("error"):
            print(f"oci-profile: FAILED: {res['error']}")
            return 1
        report(cfg, res)
        left = OR.find_leftover_cgroups(f"-{tag}-")
        if left:
            print(f"oci-profile: leftover cgroups: {left[:5]}")
            return 1
        return 0
    finally:
        if a.keep:
            print(f"kept {tmp}")
        else:
            subprocess.run(["rm", "-rf", "--one-file-system", tmp])


if __name__ == "__main__":
    sys.exit(main())
