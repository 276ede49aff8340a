#!/usr/bin/python3
"""fleet.py — characterize many machines through Slurm (`gort-bench fleet`).

  gort-bench fleet submit [--partition P] [--nodes N | --nodelist LIST] [--exclusive | --shared]
                          [--time LIMIT] [run flags...] --results DIR [--dry-run]
  gort-bench fleet submit --only-missing DIR [--dry-run]
  gort-bench fleet status JOB|DIR
  gort-bench fleet collect DIR

`submit` writes one Slurm job array, one task per node (each task is pinned
to its node), from the template scripts/fleet/job.sbatch.in; each task builds
if needed (`./gort-bench list` under flock: set-up and release build, one node
at a time) and runs `gort-bench run RUN_FLAGS --out DIR` on its node, so its
run directory lands in DIR/<host>/<stamp>/ with the machine context, plus
slurm.json (job, task, node, partition, CPUs Slurm gave it). DIR/fleet.json
lists every submission and its tasks; DIR/fleet-jobs/<job>/ holds the script
as submitted, each task's log (task-<i>.log) and state (task-<i>.json).

`collect` validates every node's run, lists the nodes without one (Slurm
state, the task's own state, the tail of its log), then writes the report
over all valid runs (scripts/report/report.py: cross-CPU page included) and
DIR/fleet-report/fleet.md: the fastest CPU per subsystem, with confidence
intervals.

Slurm is used only through its commands: sinfo, scontrol, sbatch, squeue,
sacct (when accounting is enabled; scontrol otherwise), scancel is yours.

Exit status: 0 success; 1 collect found missing or failed nodes (the report
over the others is still written); 2 bad input or no Slurm (one line on stderr).

Test-only: GORT_FLEET_FAKE_HOSTS=a,b,... at submit makes one task per name,
nodes assigned round-robin, each run under a private UTS namespace whose host
name is that name (root only), so one node can play several machines.
GORT_FLEET_CLI=/path/to/build/DIR/harness/gort-bench at submit: the tasks run
that CLI and skip the set-up and build step (a build directory other than
build/release).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
REPORT_DIR = os.path.join(REPO, "scripts", "report")
TEMPLATE = os.path.join(HERE, "job.sbatch.in")
MANIFEST = "fleet.json"
JOBS = "fleet-jobs"
REPORT_OUT = "fleet-report"
SCHEMA = "gort-fleet/1"
LOG_TAIL = 15
SLURM_TIMEOUT = 60

# `gort-bench run` flags passed through: name -> takes a value.
RUN_FLAGS = {"--suite": True, "--filter": True, "--procs": True, "--pin": True, "--counters": True,
             "--quota": True, "--reps": True, "--timeout": True, "--registry": True, "--bench-dir": True,
             "--go": False, "--no-go": False, "--quiet": False}


class BadInput(Exception):
    """One line on stderr, exit status 2."""


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_json_atomic(path: str, doc) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- Slurm


def slurm(*argv, check=True, timeout=SLURM_TIMEOUT) -> subprocess.CompletedProcess:
    """slurm runs one Slurm command; with check, a failure is BadInput naming it."""
    try:
        p = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise BadInput(f"no Slurm here: {argv[0]} is not on PATH (install slurm-client, or run on a login node)")
    except subprocess.TimeoutExpired:
        raise BadInput(f"{argv[0]} did not answer in {timeout} s (is slurmctld running?)")
    if check and p.returncode != 0:
        msg = (p.stderr.strip() or p.stdout.strip() or f"exit status {p.returncode}").splitlines()[-1]
        raise BadInput(f"{' '.join(argv[:2])}: {msg}")
    return p


def require_slurm() -> None:
    for c in ("sbatch", "squeue", "scontrol", "sinfo"):
        if shutil.which(c) is None:
            raise BadInput(f"no Slurm here: {c} is not on PATH (install slurm-client, or run on a login node)")
    p = slurm("sinfo", "-h", "-o", "%P", check=False)
    if p.returncode != 0:
        msg = (p.stderr.strip() or "no answer").splitlines()[-1]
        raise BadInput(f"Slurm is not reachable: {msg}")


def default_partition() -> str:
    for line in slurm("sinfo", "-h", "-o", "%P").stdout.split():
        if line.endswith("*"):
            return line[:-1]
    raise BadInput("Slurm has no default partition: give --partition")


def check_partition(part: str) -> None:
    p = slurm("scontrol", "show", "partition", part, check=False)
    if p.returncode != 0 or "PartitionName=" not in p.stdout:
        have = sorted({x.rstrip("*") for x in slurm("sinfo", "-h", "-o", "%P").stdout.split()})
        raise BadInput(f"unknown partition '{part}' (Slurm has: {', '.join(have) or 'none'})")


# sinfo %t states a task can be queued on ('*' = not responding: excluded).
USABLE = re.compile(r"^(idle|mix|mixed|alloc|allocated|comp|completing|plnd|planned)[~#!%$@^-]?$")
# Slurm states of a task that is still queued or running.
ACTIVE = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED", "STAGE_OUT",
          "SIGNALING", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "STOPPED"}


def partition_nodes(part: str) -> list[tuple[str, str]]:
    """partition_nodes returns (node, state) of every node of the partition."""
    out = slurm("sinfo", "-h", "-N", "-p", part, "-o", "%N %t").stdout
    seen, nodes = set(), []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] not in seen:
            seen.add(f[0])
            nodes.append((f[0], f[1]))
    return nodes


def expand_hostlist(spec: str) -> list[str]:
    out = slurm("scontrol", "show", "hostnames", spec).stdout.split()
    if not out:
        raise BadInput(f"--nodelist '{spec}' names no node")
    return out


def _array_indices(s: str) -> list[int]:
    """_array_indices expands '3', '0-4', '[0-3,7]%2' to indices."""
    s = s.strip("[]").split("%")[0]
    out = []
    for part in s.split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            if a.isdigit() and b.isdigit():
                out += range(int(a), int(b) + 1)
        elif part.isdigit():
            out.append(int(part))
    return out


def task_states(job_id: str) -> dict[int, dict]:
    """task_states: Slurm's view of each array task of a job: sacct (when
    accounting is on), then scontrol (jobs the controller still holds), then
    squeue (pending and running), later sources winning. Keys: state,
    exit_code, node, reason, elapsed, source."""
    res: dict[int, dict] = {}
    if shutil.which("sacct"):
        p = slurm("sacct", "-n", "-P", "-X", "-j", job_id, "--format=JobID,State,ExitCode,NodeList,Elapsed",
                  check=False)
        if p.returncode == 0:
            for line in p.stdout.splitlines():
                f = line.split("|")
                if len(f) < 5 or "_" not in f[0]:
                    continue
                jid, idx = f[0].split("_", 1)
                if jid != job_id:
                    continue
                for i in _array_indices(idx):
                    res[i] = {"state": f[1].split()[0] if f[1] else "?", "exit_code": f[2], "node": f[3],
                              "elapsed": f[4], "reason": "", "source": "sacct"}
    p = slurm("scontrol", "-o", "show", "job", job_id, check=False)
    if p.returncode == 0:
        for line in p.stdout.splitlines():
            kv = dict(re.findall(r"(\S+?)=(\S*)", line))
            if kv.get("ArrayJobId") != job_id or "ArrayTaskId" not in kv:
                continue
            for i in _array_indices(kv["ArrayTaskId"]):
                res[i] = {"state": kv.get("JobState", "?"), "exit_code": kv.get("ExitCode", ""),
                          "node": kv.get("NodeList", ""), "elapsed": kv.get("RunTime", ""),
                          "reason": kv.get("Reason", "") if kv.get("Reason") not in (None, "None") else "",
                          "stdout": kv.get("StdOut", ""), "source": "scontrol"}
    p = slurm("squeue", "-h", "-r", "-j", job_id, "-o", "%i|%K|%T|%N|%R|%M", check=False)
    if p.returncode == 0:
        for line in p.stdout.splitlines():
            f = line.split("|")
            if len(f) < 6 or not f[0].startswith(job_id + "_"):
                continue
            for i in _array_indices(f[1]):
                old = res.get(i, {})
                res[i] = {**old, "state": f[2], "node": f[3], "elapsed": f[5], "source": "squeue",
                          "reason": f[4] if f[2] == "PENDING" else old.get("reason", "")}
    return res


# ---------------------------------------------------------------- submit


def parse_submit(argv):
    """parse_submit splits fleet options from the `gort-bench run` flags."""
    opts = {"partition": None, "nodes": None, "nodelist": None, "exclusive": None, "time": None,
            "results": None, "dry_run": False, "only_missing": None, "run_args": []}
    i = 0

    def value(flag):
        nonlocal i
        if "=" in argv[i]:
            return argv[i].split("=", 1)[1]
        if i + 1 >= len(argv):
            raise BadInput(f"{flag} needs a value")
        i += 1
        return argv[i]
    while i < len(argv):
        a = argv[i]
        name = a.split("=", 1)[0]
        if name == "--partition":
            opts["partition"] = value(name)
        elif name == "--nodes":
            v = value(name)
            if not v.isdigit() or int(v) < 1:
                raise BadInput(f"--nodes '{v}': expected a positive integer")
            opts["nodes"] = int(v)
        elif name == "--nodelist":
            opts["nodelist"] = value(name)
        elif a == "--exclusive":
            opts["exclusive"] = True
        elif a in ("--shared", "--no-exclusive"):
            opts["exclusive"] = False
        elif name == "--time":
            opts["time"] = value(name)
        elif name == "--results":
            opts["results"] = value(name)
        elif name == "--only-missing":
            opts["only_missing"] = value(name)
        elif a == "--dry-run":
            opts["dry_run"] = True
        elif name == "--out":
            raise BadInput("--out is set by the fleet: give --results DIR")
        elif name in RUN_FLAGS:
            if RUN_FLAGS[name]:
                opts["run_args"] += [name, value(name)]
            else:
                opts["run_args"].append(a)
        else:
            raise BadInput(f"unknown option '{a}' (fleet options: --partition --nodes --nodelist --exclusive "
                           f"--shared --time --results --only-missing --dry-run; run flags: "
                           f"{' '.join(sorted(RUN_FLAGS))})")
        i += 1
    if opts["nodes"] is not None and opts["nodelist"] is not None:
        raise BadInput("give --nodes N or --nodelist LIST, not both")
    if opts["only_missing"] is not None:
        if opts["results"] not in (None, opts["only_missing"]):
            raise BadInput("--only-missing DIR is the results directory: do not also give --results")
        opts["results"] = opts["only_missing"]
    if not opts["results"]:
        raise BadInput("--results DIR is required (a directory every node can write, e.g. on a shared filesystem)")
    return opts


def check_results_dir(d: str, create: bool, dry_run: bool = False) -> str:
    d = os.path.abspath(d)
    if re.search(r"[\s%]", d):
        raise BadInput(f"--results '{d}': whitespace and '%' are not allowed in the path (Slurm's --output)")
    probe_dir = d
    if probe_is_enough := (not create and not os.path.isdir(d) and dry_run):
        # --dry-run creates nothing: the nearest existing parent must be writable.
        while not os.path.isdir(probe_dir):
            probe_dir = os.path.dirname(probe_dir)
    try:
        if create:
            os.makedirs(d, exist_ok=True)
        elif not os.path.isdir(d) and not probe_is_enough:
            raise BadInput(f"{d}: no such results directory")
        probe = os.path.join(probe_dir, f".fleet-probe-{os.getpid()}")
        with open(probe, "w"):
            pass
        os.unlink(probe)
    except OSError as e:
        raise BadInput(f"--results '{d}': cannot write there ({e.strerror or e})")
    return d


def plan_tasks(opts, partition: str) -> list[dict]:
    """plan_tasks: one task per node (pinned to it), or with the test-only
    GORT_FLEET_FAKE_HOSTS one task per fake host, nodes round-robin."""
    avail = partition_nodes(partition)
    names = [n for n, _ in avail]
    if opts["nodelist"]:
        nodes = expand_hostlist(opts["nodelist"])
        unknown = [n for n in nodes if n not in names]
        if unknown:
            raise BadInput(f"--nodelist: {', '.join(unknown)} not in partition '{partition}' "
                           f"(it has: {', '.join(names) or 'no nodes'})")
        nodes = list(dict.fromkeys(nodes))
    else:
        usable = [n for n, s in avail if USABLE.match(s)]
        want = opts["nodes"] if opts["nodes"] is not None else len(usable)
        if want == 0 or len(usable) < want:
            raise BadInput(f"partition '{partition}' has {len(usable)} usable node(s) "
                           f"({', '.join(f'{n}:{s}' for n, s in avail) or 'none'}), {want or 'at least 1'} wanted")
        nodes = usable[:want]
    fakes = [x for x in os.environ.get("GORT_FLEET_FAKE_HOSTS", "").split(",") if x]
    if fakes:
        return [{"index": i, "node": nodes[i % len(nodes)], "label": f, "fake_host": True}
                for i, f in enumerate(fakes)]
    return [{"index": i, "node": n, "label": n, "fake_host": False} for i, n in enumerate(nodes)]


def prebuilt() -> bool:
    return bool(os.environ.get("GORT_FLEET_CLI"))


def cli_command() -> list[str]:
    """cli_command: the CLI the tasks run (after the wrapper's build step)."""
    c = os.environ.get("GORT_FLEET_CLI")
    return [os.path.abspath(c)] if c else [os.path.join(REPO, "build", "release", "harness", "gort-bench")]


def render(results: str, sub: dict) -> str:
    """render fills the template for one submission (its tasks re-indexed 0..n-1)."""
    with open(TEMPLATE, encoding="utf-8") as f:
        text = f.read()
    directives = []
    if sub.get("partition"):
        directives.append(f"#SBATCH --partition={sub['partition']}")
    if sub.get("exclusive"):
        directives.append("#SBATCH --exclusive")
    if sub.get("time"):
        directives.append(f"#SBATCH --time={sub['time']}")
    cases = []
    for t in sub["tasks"]:
        fake = f" fake_host={shlex.quote(t['label'])}" if t.get("fake_host") else ""
        cases.append(f"  {t['index']}) node={shlex.quote(t['node'])} label={shlex.quote(t['label'])}{fake} ;;")
    repl = {
        "@JOB_NAME@": "gort-fleet",
        "@ARRAY@": f"0-{len(sub['tasks']) - 1}",
        "@RESULTS@": results,
        "@DIRECTIVES@": "\n".join(directives),
        "@RESULTS_Q@": shlex.quote(results),
        "@REPO_Q@": shlex.quote(REPO),
        "@CLI@": " ".join(shlex.quote(x) for x in sub["cli"]),
        "@BUILD@": "" if sub.get("prebuilt") else " ".join(
            shlex.quote(x) for x in ["flock", os.path.join(REPO, "build", ".fleet-build.lock"),
                                     os.path.join(REPO, "gort-bench"), "list"]),
        "@RUN_ARGS@": " ".join(shlex.quote(x) for x in sub["run_args"]),
        "@TASKS@": "\n".join(cases),
    }
    for k, v in repl.items():
        text = text.replace(k, v)
    return text


def load_manifest(results: str) -> dict:
    path = os.path.join(results, MANIFEST)
    m = read_json(path)
    if m is None:
        raise BadInput(f"{path}: missing or unreadable (not a fleet results directory: use fleet submit --results)")
    if m.get("schema") != SCHEMA or not isinstance(m.get("submissions"), list):
        raise BadInput(f"{path}: not a {SCHEMA} manifest")
    return m


def cmd_submit(argv) -> int:
    opts = parse_submit(argv)
    results = check_results_dir(opts["results"], create=opts["only_missing"] is None and not opts["dry_run"],
                                dry_run=opts["dry_run"] and opts["only_missing"] is None)
    manifest = None
    if opts["only_missing"] is not None:
        manifest = load_manifest(results)
        last = manifest["submissions"][-1]
        require_slurm()
        nodes = collect_nodes(results, manifest, query_slurm=True)
        missing = []
        for n in nodes:
            if n["run"] is not None:
                continue
            st = n.get("slurm", {}).get("state", "")
            if st in ACTIVE:
                print(f"fleet: {n['label']}: task {n['task']['job_id']}_{n['task']['index']} is still {st}; "
                      "not re-submitted", file=sys.stderr)
                continue
            missing.append(n)
        if not missing:
            print(f"fleet: every node of {results} has a valid run or a task still queued; nothing to submit",
                  file=sys.stderr)
            return 0
        sub = {"partition": opts["partition"] or last.get("partition"),
               "exclusive": last.get("exclusive", True) if opts["exclusive"] is None else opts["exclusive"],
               "time": opts["time"] or last.get("time"),
               "run_args": opts["run_args"] or last.get("run_args", []),
               "cli": cli_command(), "prebuilt": prebuilt(),
               "only_missing": True,
               "tasks": [{"index": i, "node": n["task"]["node"], "label": n["label"],
                          "fake_host": bool(n["task"].get("fake_host"))} for i, n in enumerate(missing)]}
        if sub["partition"]:
            check_partition(sub["partition"])
    else:
        require_slurm()
        part = opts["partition"] or default_partition()
        check_partition(part)
        sub = {"partition": part, "exclusive": opts["exclusive"] is not False, "time": opts["time"],
               "run_args": opts["run_args"], "cli": cli_command(), "prebuilt": prebuilt(), "only_missing": False,
               "tasks": plan_tasks(opts, part)}
    script = render(results, sub)
    sbatch = ["sbatch", "--parsable", "--hold"]
    pins = [["scontrol", "update", f"JobId=JOB_{t['index']}", f"ReqNodeList={t['node']}"] for t in sub["tasks"]]
    if opts["dry_run"]:
        print(script, end="")
        print("\n# would run: " + " ".join(sbatch) + " <this script>   (prints JOB)")
        for p in pins:
            print("# then:      " + " ".join(p))
        print("# then:      scontrol release JOB")
        return 0
    p = subprocess.run(sbatch, input=script, capture_output=True, text=True, timeout=SLURM_TIMEOUT)
    if p.returncode != 0:
        msg = (p.stderr.strip() or f"exit status {p.returncode}").splitlines()[-1]
        raise BadInput(f"sbatch: {msg}")
    job = p.stdout.strip().split(";")[0]
    if not job.isdigit():
        raise BadInput(f"sbatch printed no job id ({p.stdout.strip()!r})")
    jobdir = os.path.join(results, JOBS, job)
    try:
        os.makedirs(jobdir, exist_ok=True)
        with open(os.path.join(jobdir, "job.sbatch"), "w", encoding="utf-8") as f:
            f.write(script)
        sub.update({"job_id": job, "submitted_utc": now_utc(), "submit_host": socket.gethostname()})
        if manifest is None:
            manifest = read_json(os.path.join(results, MANIFEST)) or {"schema": SCHEMA, "submissions": []}
            manifest.setdefault("submissions", [])
            manifest["schema"] = SCHEMA
        manifest["results"] = results
        manifest["submissions"].append(sub)
        write_json_atomic(os.path.join(results, MANIFEST), manifest)
        # Pin each task to its node, then let the array run.
        for t in sub["tasks"]:
            slurm("scontrol", "update", f"JobId={job}_{t['index']}", f"ReqNodeList={t['node']}")
        slurm("scontrol", "release", job)
    except BaseException as e:
        subprocess.run(["scancel", job], capture_output=True)
        if isinstance(e, OSError):
            raise BadInput(f"{results}: cannot record job {job} ({e}); it was cancelled")
        raise
    labels = ", ".join(f"{t['label']}@{t['node']}" if t["label"] != t["node"] else t["node"] for t in sub["tasks"])
    print(f"fleet: submitted job {job}: {len(sub['tasks'])} task(s) ({labels}); results in {results}; "
          f"follow with: gort-bench fleet status {job}", file=sys.stderr)
    print(job)
    return 0


# ---------------------------------------------------------------- task side


def cmd_task_record(argv) -> int:
    """task-record MARKER key=value...: called by the batch script to record
    the task's state; with a finished run, also writes RUN_DIR/slurm.json."""
    if not argv:
        raise BadInput("task-record MARKER key=value...")
    marker = argv[0]
    doc = read_json(marker) or {}
    for kv in argv[1:]:
        k, _, v = kv.partition("=")
        doc[k] = int(v) if k == "rc" and v.lstrip("-").isdigit() else v
    env = {k: v for k, v in os.environ.items() if k.startswith("SLURM") and k not in ("SLURM_CONF",)}
    doc.update({"host": socket.gethostname(), "slurm_node": os.environ.get("SLURMD_NODENAME"),
                "job_id": os.environ.get("SLURM_JOB_ID"), "array_job_id": os.environ.get("SLURM_ARRAY_JOB_ID"),
                "array_task_id": os.environ.get("SLURM_ARRAY_TASK_ID")})
    doc.setdefault("started_utc", now_utc())
    if doc.get("state") != "running":
        doc["finished_utc"] = now_utc()
    rd = doc.get("run_dir") or ""
    if rd and os.path.isfile(os.path.join(rd, "run.json")):
        run = read_json(os.path.join(rd, "run.json")) or {}
        doc["run_host"] = (run.get("context") or {}).get("host")
        ctx = {"schema": SCHEMA, "job_id": doc["job_id"], "array_job_id": doc["array_job_id"],
               "array_task_id": doc["array_task_id"], "node": doc["slurm_node"], "planned_node": doc.get("node"),
               "label": doc.get("label"), "host": doc["host"], "run_host": doc["run_host"],
               "partition": os.environ.get("SLURM_JOB_PARTITION"), "cluster": os.environ.get("SLURM_CLUSTER_NAME"),
               "cpus_on_node": os.environ.get("SLURM_CPUS_ON_NODE"), "job_cpus": os.environ.get("SLURM_JOB_CPUS_PER_NODE"),
               "submit_host": os.environ.get("SLURM_SUBMIT_HOST"), "rc": doc.get("rc"), "env": env,
               "started_utc": doc["started_utc"], "finished_utc": doc.get("finished_utc")}
        write_json_atomic(os.path.join(rd, "slurm.json"), ctx)
    elif rd:
        doc["run_dir_note"] = "no run.json there"
    write_json_atomic(marker, doc)
    return 0


# ---------------------------------------------------------------- status and collect


def log_tail(path: str, n: int = LOG_TAIL) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [x.rstrip("\n") for x in f.readlines()[-n:]]
    except OSError:
        return []


def _valid_run(path):
    """_valid_run: the loaded Run, or (None, why)."""
    sys.path.insert(0, REPORT_DIR)
    from runs import InputError, load_run
    try:
        return load_run(path), None
    except InputError as e:
        return None, str(e)


def collect_nodes(results: str, manifest: dict, query_slurm: bool = True) -> list[dict]:
    """collect_nodes: one record per machine label (latest task wins), with its
    valid run (newest first among its tasks' runs and DIR/<host>/*), or why not."""
    latest: dict[str, dict] = {}
    history: dict[str, list] = {}
    for sub in manifest["submissions"]:
        for t in sub.get("tasks", []):
            rec = {"job_id": sub.get("job_id"), **t}
            latest[t["label"]] = rec
            history.setdefault(t["label"], []).append(rec)
    states_cache: dict[str, dict] = {}
    nodes = []
    for label, task in latest.items():
        cands, why = [], []
        hosts = {label}
        for rec in reversed(history[label]):
            m = read_json(os.path.join(results, JOBS, str(rec["job_id"]), f"task-{rec['index']}.json")) or {}
            rec["marker"] = m
            if m.get("run_dir"):
                cands.append(m["run_dir"])
            for h in (m.get("host"), m.get("run_host")):
                if h:
                    hosts.add(h)
        for h in sorted(hosts):
            hd = os.path.join(results, h)
            if os.path.isdir(hd):
                cands += [os.path.join(hd, s) for s in sorted(os.listdir(hd), reverse=True)
                          if not s.startswith(".") and os.path.isfile(os.path.join(hd, s, "run.json"))]
        run = None
        for c in dict.fromkeys(cands):
            r, err = _valid_run(c)
            if r is not None:
                run = r
                break
            why.append(err)
        rec = {"label": label, "task": task, "marker": task.get("marker", {}), "run": run, "invalid": why,
               "log": os.path.join(results, JOBS, str(task["job_id"]), f"task-{task['index']}.log")}
        if run is None and query_slurm and task.get("job_id"):
            j = str(task["job_id"])
            if j not in states_cache:
                try:
                    states_cache[j] = task_states(j)
                except BadInput as e:
                    states_cache[j] = {"error": str(e)}
            st = states_cache[j]
            rec["slurm"] = ({"state": "unknown", "reason": st["error"]} if "error" in st
                            else st.get(task["index"], {"state": "unknown",
                                                        "reason": "Slurm no longer knows this task"}))
        nodes.append(rec)
    return nodes


def progress_line(log: str) -> str:
    for line in reversed(log_tail(log, 40)):
        if line.startswith("[") or line.startswith("fleet:"):
            return line.strip()
    return ""


def cmd_status(argv) -> int:
    if len(argv) != 1:
        raise BadInput("usage: gort-bench fleet status JOB|DIR")
    arg = argv[0]
    if os.path.isdir(arg):
        results = os.path.abspath(arg)
        manifest = load_manifest(results)
        jobs = [str(s.get("job_id")) for s in manifest["submissions"]]
    elif arg.isdigit():
        require_slurm()
        jobs = [arg]
        st = task_states(arg)
        out = next((v.get("stdout") for v in st.values() if v.get("stdout")), "")
        m = re.match(r"(.*)/" + JOBS + r"/\d+/task-\d+\.log$", out or "")
        if not st:
            raise BadInput(f"Slurm knows no array job {arg} (finished long ago? use fleet status DIR)")
        if not m:
            raise BadInput(f"job {arg} is not a fleet job (its output is {out or 'unknown'})")
        results = m.group(1)
        manifest = load_manifest(results)
    else:
        raise BadInput(f"'{arg}': neither a job id nor a results directory")
    have_slurm = shutil.which("squeue") is not None
    rows = []
    for sub in manifest["submissions"]:
        j = str(sub.get("job_id"))
        if j not in jobs:
            continue
        try:
            st = task_states(j) if have_slurm else {}
        except BadInput:
            st = {}
        for t in sub["tasks"]:
            mk = read_json(os.path.join(results, JOBS, j, f"task-{t['index']}.json")) or {}
            s = st.get(t["index"], {})
            log = os.path.join(results, JOBS, j, f"task-{t['index']}.log")
            run = mk.get("run_dir") if mk.get("run_dir") and os.path.isfile(
                os.path.join(mk["run_dir"], "run.json")) else ""
            rows.append([f"{j}_{t['index']}", t["label"], s.get("node") or t["node"],
                         s.get("state", "unknown") + (f" ({s['reason']})" if s.get("reason") else ""),
                         mk.get("state", "not started"), s.get("elapsed", ""),
                         run or progress_line(log)])
    hdr = ["task", "machine", "node", "Slurm", "task state", "elapsed", "run directory / progress"]
    widths = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
    for r in [hdr] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    done = sum(1 for r in rows if r[6] and os.path.isdir(r[6]))
    print(f"{done}/{len(rows)} task(s) have a run directory; results in {results}")
    return 0


def subsystem_fastest(runs, base, resamples: int = 1000, seed: int = 20261127):
    """subsystem_fastest: per subsystem, each machine's geomean time ratio vs
    the baseline over the benchmarks both have (crosscpu.compare's pairing
    and orientation), with a 95% bootstrap CI (each benchmark's samples
    resampled on both sides, the geomean recomputed), and the fastest CPU."""
    import numpy as np
    import crosscpu
    out = {}
    per = {}
    for r in runs:
        if r is base:
            continue
        idx = {crosscpu.key(e): e for e in base.entries}
        pairs: dict[str, list] = {}
        for e in r.entries:
            b = idx.get(crosscpu.key(e))
            if b is None or b.unit != e.unit or not (b.median > 0 and e.median > 0):
                continue
            num, den = (b, e) if crosscpu.higher_better(e) else (e, b)
            pairs.setdefault(e.subsystem or "other", []).append((num.samples, den.samples))
        for sub, ps in pairs.items():
            rng = np.random.default_rng(seed)
            logs = np.zeros(resamples)
            point = 0.0
            for a, b in ps:
                a = np.asarray(a, float)
                b = np.asarray(b, float)
                point += np.log(np.median(a) / np.median(b))
                ma = np.median(a[rng.integers(0, a.size, (resamples, a.size))], axis=1)
                mb = np.median(b[rng.integers(0, b.size, (resamples, b.size))], axis=1)
                logs += np.log(ma / mb)
            g = float(np.exp(point / len(ps)))
            lo, hi = np.exp(np.quantile(logs / len(ps), [0.025, 0.975]))
            per.setdefault(sub, []).append({"machine": r.machine, "run": r.run_id, "ratio": g, "lo": float(lo),
                                            "hi": float(hi), "n_bench": len(ps)})
    for sub, rows in sorted(per.items()):
        rows.append({"machine": base.machine, "run": base.run_id, "ratio": 1.0, "lo": 1.0, "hi": 1.0,
                     "n_bench": max(x["n_bench"] for x in rows), "baseline": True})
        rows.sort(key=lambda x: x["ratio"])
        best, second = rows[0], rows[1] if len(rows) > 1 else None
        # The baseline's interval is [1, 1]: one test covers every pairing.
        separable = second is None or best["hi"] < second["lo"]
        out[sub] = {"fastest": best["machine"], "separable": bool(separable),
                    "runner_up": second["machine"] if second else None, "machines": rows}
    return out


def cmd_collect(argv) -> int:
    if len(argv) != 1:
        raise BadInput("usage: gort-bench fleet collect DIR")
    results = os.path.abspath(argv[0])
    if not os.path.isdir(results):
        raise BadInput(f"{results}: no such results directory")
    manifest = load_manifest(results)
    nodes = collect_nodes(results, manifest)
    ok = [n for n in nodes if n["run"] is not None]
    bad = [n for n in nodes if n["run"] is None]
    for n in ok:
        r = n["run"]
        fails = (read_json(os.path.join(r.path, "run.json")) or {}).get("failures") or []
        n["failures"] = len(fails)
        print(f"ok       {n['label']}: {r.path} ({r.cpu_model}, {len(r.entries)} entries"
              + (f", {len(fails)} process failure(s) recorded" if fails else "") + ")")
    for n in bad:
        s = n.get("slurm", {})
        t = n["task"]
        mk = n["marker"]
        print(f"MISSING  {n['label']} (node {t['node']}, task {t['job_id']}_{t['index']}): Slurm {s.get('state', '?')}"
              + (f" exit {s['exit_code']}" if s.get("exit_code") else "")
              + (f" ({s['reason']})" if s.get("reason") else "")
              + f"; task state {mk.get('state', 'never started')}"
              + (f", exit status {mk['rc']}" if "rc" in mk else ""))
        for w in n["invalid"]:
            print(f"         invalid run: {w}")
        tail = log_tail(n["log"])
        print(f"         log {n['log']}" + (":" if tail else ": (none: the task never started)"))
        for line in tail:
            print(f"         | {line}")
    outdir = os.path.join(results, REPORT_OUT)
    if not ok:
        print(f"fleet: no node has a valid run in {results}; nothing to report", file=sys.stderr)
        return 1
    sys.path.insert(0, REPORT_DIR)
    import contextlib
    import io
    import report
    runs = [n["run"] for n in ok]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = report.main([r.path for r in runs] + ["--out", outdir])
    if rc != 0:
        print(f"fleet: the report failed (status {rc})", file=sys.stderr)
        return 2
    fastest = subsystem_fastest(runs, runs[0]) if len(runs) > 1 else {}
    write_fleet_page(outdir, results, manifest, nodes, runs, fastest)
    for sub, f in fastest.items():
        best = f["machines"][0]
        print(f"fastest  {sub}: {f['fastest']} (geomean time ratio vs baseline {best['ratio']:.3f} "
              f"[{best['lo']:.3f}, {best['hi']:.3f}])" + ("" if f["separable"] else
                                                          f", not separable from {f['runner_up']}"))
    print(f"fleet: {len(ok)}/{len(nodes)} node(s) with a valid run; report {os.path.join(outdir, 'report.md')}, "
          f"summary {os.path.join(outdir, 'fleet.md')}"
          + (f"; re-run the missing ones: gort-bench fleet submit --only-missing {results}" if bad else ""))
    return 1 if bad else 0


def write_fleet_page(outdir, results, manifest, nodes, runs, fastest):
    sys.path.insert(0, REPORT_DIR)
    from writers import H, P, Table, UL, to_html, to_markdown, write_atomic
    base = runs[0]
    rows = []
    for n in nodes:
        r = n["run"]
        t = n["task"]
        s = n.get("slurm", {})
        rows.append([n["label"], t["node"], f"{t['job_id']}_{t['index']}",
                     "valid run" if r else f"MISSING (Slurm {s.get('state', '?')}, task {n['marker'].get('state', 'never started')})",
                     r.cpu_model if r else "–", os.path.relpath(r.path, results) if r else "–"])
    blocks = [H(1, "gort-bench fleet"),
              P(f"Results directory {results}: {len(manifest['submissions'])} submission(s), {len(nodes)} machine(s), "
                f"{len(runs)} with a valid run. Full report: report.md (cross-CPU page: crosscpu.md)."),
              H(2, "Machines"), Table(["machine", "node", "last task", "state", "CPU", "run"], rows)]
    missing = [n for n in nodes if n["run"] is None]
    if missing:
        blocks.append(P("Re-run only the missing machines: gort-bench fleet submit --only-missing " + results))
    blocks.append(H(2, "Fastest CPU per subsystem", "fastest"))
    if not fastest:
        blocks.append(P("Needs valid runs from at least two machines."))
    else:
        blocks.append(P(f"Per subsystem, each machine's geometric mean over the benchmarks it shares with the "
                        f"baseline ({base.machine}, run {base.run_id}) of the time ratio run ÷ baseline (ratio of "
                        f"medians, higher-is-better units inverted: < 1 = faster), with a 95% bootstrap confidence "
                        f"interval (every benchmark's repetitions resampled on both sides). 'separable' says "
                        f"whether the fastest machine's interval excludes the runner-up's."))
        trows = []
        for sub, f in fastest.items():
            for m in f["machines"]:
                trows.append([sub, m["machine"] + (" (baseline)" if m.get("baseline") else ""),
                              f"{m['ratio']:.3f}", f"[{m['lo']:.3f}, {m['hi']:.3f}]", str(m["n_bench"]),
                              ("FASTEST" + ("" if f["separable"] else " (not separable)"))
                              if m is f["machines"][0] else ""])
        blocks.append(Table(["subsystem", "machine", "geomean time ratio", "95% CI", "benchmarks", ""], trows))
        blocks.append(UL([f"{sub}: {f['fastest']}" + ("" if f["separable"] else f" (not separable from {f['runner_up']})")
                          for sub, f in fastest.items()]))
    write_atomic(os.path.join(outdir, "fleet.md"), to_markdown(blocks))
    write_atomic(os.path.join(outdir, "fleet.html"), to_html(blocks, "gort-bench fleet", outdir))
    summary = {"results": results, "machines": [
        {"label": n["label"], "node": n["task"]["node"], "job": f"{n['task']['job_id']}_{n['task']['index']}",
         "run": n["run"].path if n["run"] else None,
         "slurm_state": n.get("slurm", {}).get("state"), "task_state": n["marker"].get("state")} for n in nodes],
        "fastest": fastest}
    write_json_atomic(os.path.join(outdir, "fleet.json"), summary)


USAGE = ("usage: gort-bench fleet submit [--partition P] [--nodes N | --nodelist LIST] [--exclusive|--shared] "
         "[--time T] [run flags...] --results DIR [--dry-run]\n"
         "       gort-bench fleet submit --only-missing DIR [--dry-run]\n"
         "       gort-bench fleet status JOB|DIR\n"
         "       gort-bench fleet collect DIR")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    fn = {"submit": cmd_submit, "status": cmd_status, "collect": cmd_collect, "task-record": cmd_task_record}.get(cmd)
    try:
        if fn is None:
            raise BadInput(f"unknown command '{cmd}' (submit, status, collect)")
        if "-h" in rest or "--help" in rest:
            print(USAGE)
            return 0
        return fn(rest)
    except BadInput as e:
        print(f"gort-bench fleet {cmd}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
