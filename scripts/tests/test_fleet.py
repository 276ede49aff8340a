"""test_fleet.py — `gort-bench fleet` against a real single-node Slurm cluster.

The fixture starts a throwaway cluster from Debian's packages (munged,
slurmctld, slurmd) under a temporary directory: its own munge key and socket,
a slurm.conf on free ports (SLURM_CONF points at it; /etc is not touched),
one node `gortnode` with 8 CPUs configured (config_overrides) so two array
tasks share it. Everything is stopped and removed afterwards, jobs first.

Two array tasks on one node become two machines through the test-only
GORT_FLEET_FAKE_HOSTS (each run in a UTS namespace with its own host name:
root only). Without root the module skips; any other reason Slurm cannot be
started is a failure with the daemons' logs.

The tasks use the ./gort-bench wrapper and the release build (scripts/test.sh
builds it first); GORT_FLEET_CLI=build/<dir>/harness/gort-bench in the
environment uses that CLI instead (developer machines without build/release).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FLEET = os.path.join(REPO, "scripts", "fleet", "fleet.py")
WRAPPER = os.path.join(REPO, "gort-bench")
PYTHON = "/usr/bin/python3"
NODE = "gortnode"
PART = "gortq"
SUITE = ["--filter", "^(GoschedPingPong|ChanPingPong)$", "--reps", "3", "--no-go", "--timeout", "60"]
JOB_TIMEOUT = 150     # seconds for one submission's tasks to finish
DAEMONS = ("munged", "slurmctld", "slurmd")


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no file)\n"


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gort-fleet-slurm-")
        os.chmod(self.dir, 0o755)
        self.procs = {}
        self.conf = os.path.join(self.dir, "slurm.conf")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.env.pop("GORT_FLEET_FAKE_HOSTS", None)

    def logs(self) -> str:
        out = []
        for name in ("munged.log", "slurmctld.log", "slurmd.log", "slurmctld.out", "slurmd.out", "munged.out"):
            out.append(f"--- {name}\n{tail(os.path.join(self.dir, 'log', name))}")
        return "".join(out)

    def run(self, *argv, timeout=60, check=True):
        p = subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
        return p

    def start(self):
        d = self.dir
        for sub in ("munge", "log", "state", f"spool/{NODE}"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        os.chmod(os.path.join(d, "munge"), 0o700)
        key = os.path.join(d, "munge", "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o600)
        sock = os.path.join(d, "munge", "munge.sock")
        host = socket.gethostname().split(".")[0]
        ctld_port, d_port = free_ports(2)
        with open(self.conf, "w") as f:
            f.write(f"""# throwaway single-node cluster for scripts/tests/test_fleet.py
ClusterName=gortfleettest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool/%n
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=3600
KillWait=5
NodeName={NODE} NodeHostname={host} NodeAddr=127.0.0.1 CPUs=8 RealMemory=1000 State=UNKNOWN
PartitionName={PART} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
""")
        missing = [x for x in ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "sinfo", "scancel")
                   if shutil.which(x, path=self.env.get("PATH", "") + ":/usr/sbin:/sbin") is None]
        if missing:
            raise RuntimeError(f"Slurm/munge not installed ({', '.join(missing)} missing): scripts/setup.sh "
                               "installs slurmctld, slurmd, slurm-client and munge")
        sbin = lambda x: shutil.which(x, path=self.env.get("PATH", "") + ":/usr/sbin:/sbin")  # noqa: E731
        self._spawn("munged", [sbin("munged"), "-F", "-f", f"--key-file={key}", f"--socket={sock}",
                               f"--pid-file={d}/munge/munged.pid", f"--log-file={d}/log/munged.log",
                               f"--seed-file={d}/munge/munged.seed"])
        self._wait(lambda: os.path.exists(sock), 15, "munged did not create its socket")
        self._spawn("slurmctld", [sbin("slurmctld"), "-D"])
        self._wait(lambda: self.run("sinfo", "-h", check=False, timeout=10).returncode == 0, 30,
                   "slurmctld does not answer sinfo")
        self._spawn("slurmd", [sbin("slurmd"), "-D", "-N", NODE])

        def idle():
            p = self.run("sinfo", "-h", "-N", "-o", "%N %t", check=False, timeout=10)
            return p.returncode == 0 and f"{NODE} idle" in p.stdout
        self._wait(idle, 60, f"node {NODE} did not become idle")

    def _spawn(self, name, argv):
        out = open(os.path.join(self.dir, "log", f"{name}.out"), "w")
        self.procs[name] = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def _wait(self, cond, timeout, what):
        end = time.time() + timeout
        while time.time() < end:
            for n, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{n} exited with status {p.returncode} while waiting: {what}")
            try:
                if cond():
                    return
            except (subprocess.TimeoutExpired, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{what} within {timeout} s")

    def stop(self):
        """stop: cancel every job, stop the daemons, kill anything still
        carrying this cluster's SLURM_CONF (job steps), remove the directory."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            try:
                self.run("scancel", "--partition", PART, check=False, timeout=15)
                end = time.time() + 20
                while time.time() < end and self.run("squeue", "-h", check=False, timeout=10).stdout.strip():
                    time.sleep(0.5)
            except (subprocess.TimeoutExpired, OSError):
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        marker = f"SLURM_CONF={self.conf}".encode()
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if marker in f.read().split(b"\0") and int(pid) != os.getpid():
                        os.kill(int(pid), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.skip("the Slurm fleet test starts munged/slurmctld/slurmd as root (and uses UTS namespaces)")
    c = Cluster()
    try:
        try:
            c.start()
        except Exception as e:  # a failure, not a skip: the reason and the logs
            pytest.fail(f"could not start the test Slurm cluster: {e}\n{c.logs()}", pytrace=False)
        yield c
    finally:
        c.stop()


def fleet_env(c, fakes=None):
    env = dict(c.env)
    if fakes:
        env["GORT_FLEET_FAKE_HOSTS"] = ",".join(fakes)
    if not env.get("GORT_FLEET_CLI"):
        cli = os.path.join(REPO, "build", "release", "harness", "gort-bench")
        if not os.access(cli, os.X_OK):
            pytest.fail(f"{cli} is not built: scripts/test.sh builds the release flavour before pytest "
                        "(or set GORT_FLEET_CLI to a built gort-bench CLI)", pytrace=False)
    return env


def gb(env, *args, timeout=120):
    """gb runs ./gort-bench fleet ARGS (the wrapper, as a user would)."""
    return subprocess.run([WRAPPER, "fleet", *args], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=REPO)


def wait_job(c, job, results, timeout=JOB_TIMEOUT):
    end = time.time() + timeout
    while time.time() < end:
        if not c.run("squeue", "-h", "-j", job, check=False).stdout.strip():
            return
        time.sleep(1)
    st = subprocess.run([PYTHON, FLEET, "status", results], env=c.env, capture_output=True, text=True).stdout
    logs = ""
    jd = os.path.join(results, "fleet-jobs", job)
    for f in sorted(os.listdir(jd)) if os.path.isdir(jd) else []:
        if f.endswith(".log"):
            logs += f"--- {f}\n{tail(os.path.join(jd, f))}"
    pytest.fail(f"fleet job {job} did not finish within {timeout} s\n{st}\n{logs}\n{c.logs()}", pytrace=False)


def submit(c, env, results, *extra):
    p = gb(env, "submit", "--partition", PART, "--shared", *SUITE, "--results", results, *extra)
    assert p.returncode == 0, f"fleet submit failed: {p.stderr}"
    job = p.stdout.strip()
    assert job.isdigit(), f"fleet submit printed {p.stdout!r}, not a job id"
    return job


def job_logs(results, job):
    jd = os.path.join(results, "fleet-jobs", job)
    return "".join(f"--- {f}\n{tail(os.path.join(jd, f))}" for f in sorted(os.listdir(jd)) if f.endswith(".log"))


def test_bad_input_is_one_line_and_exit_2(cluster, tmp_path):
    env = fleet_env(cluster)
    cases = [
        (["submit", "--partition", "nosuchpart", "--results", str(tmp_path / "r")], "unknown partition 'nosuchpart'"),
        (["submit", "--results", "/proc/gort-fleet/r"], "cannot write there"),
        (["submit", "--nodes", "2", "--nodelist", NODE, "--results", str(tmp_path / "r")], "not both"),
        (["submit", "--bogus", "--results", str(tmp_path / "r")], "unknown option '--bogus'"),
        (["collect", str(tmp_path)], "fleet.json"),
    ]
    for args, want in cases:
        p = subprocess.run([PYTHON, FLEET, *args], env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and want in lines[0], (args, p.stderr)
    # No Slurm on PATH.
    p = subprocess.run([PYTHON, FLEET, "submit", "--results", str(tmp_path / "r")],
                       env=dict(env, PATH="/nonexistent"), capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "no Slurm here" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_dry_run_prints_the_script(cluster, tmp_path):
    env = fleet_env(cluster, ["fleet-a", "fleet-b"])
    res = tmp_path / "dry"
    p = gb(env, "submit", "--partition", PART, *SUITE, "--results", str(res), "--dry-run")
    assert p.returncode == 0, p.stderr
    s = p.stdout
    assert s.startswith("#!/bin/bash") and "#SBATCH --array=0-1" in s and "#SBATCH --exclusive" in s
    assert f"#SBATCH --partition={PART}" in s and f"--output={res}/fleet-jobs/%A/task-%a.log" in s
    assert "0) node=gortnode label=fleet-a" in s and "1) node=gortnode label=fleet-b" in s
    assert "scontrol release JOB" in s
    if env.get("GORT_FLEET_CLI"):
        assert "build=()" in s
    else:   # the wrapper's set-up and build, one node at a time, then the release CLI
        assert f"build=(flock {REPO}/build/.fleet-build.lock {REPO}/gort-bench list)" in s
        assert f"cli=({REPO}/build/release/harness/gort-bench)" in s
    assert not res.exists(), "--dry-run must create nothing"


def test_two_tasks_collect_report(cluster, tmp_path):
    env = fleet_env(cluster, ["fleet-a", "fleet-b"])
    res = str(tmp_path / "fleet")
    job = submit(cluster, env, res)
    st = gb(env, "status", job)
    assert st.returncode == 0 and "fleet-a" in st.stdout and "fleet-b" in st.stdout, st.stdout + st.stderr
    wait_job(cluster, job, res)
    p = gb(env, "collect", res, timeout=180)
    assert p.returncode == 0, f"collect: {p.returncode}\n{p.stdout}\n{p.stderr}\n{job_logs(res, job)}"
    # Both run directories, each with its machine's context and Slurm's.
    for name, idx in (("fleet-a", "0"), ("fleet-b", "1")):
        runs = [d for d in os.listdir(os.path.join(res, name)) if not d.startswith(".")]
        assert len(runs) == 1, runs
        rd = os.path.join(res, name, runs[0])
        run = json.load(open(os.path.join(rd, "run.json")))
        assert run["context"]["host"] == name and run["benchmarks"], rd
        assert {b["name"] for b in run["benchmarks"]} >= {"GoschedPingPong", "ChanPingPong"}
        sl = json.load(open(os.path.join(rd, "slurm.json")))
        assert sl["array_job_id"] == job and sl["array_task_id"] == idx and sl["node"] == NODE
        assert sl["partition"] == PART and sl["rc"] == 0
        assert f"ok       {name}: {rd}" in p.stdout
    out = os.path.join(res, "fleet-report")
    cc = open(os.path.join(out, "crosscpu.md")).read()
    assert "Cross-CPU comparison" in cc and "fleet-a" in cc and "fleet-b" in cc and "95%" in cc
    rep = open(os.path.join(out, "report.md")).read()
    assert "Cross-CPU comparison" in rep and "Claims 301" in rep
    fm = open(os.path.join(out, "fleet.md")).read()
    assert "Fastest CPU per subsystem" in fm and "| chan |" in fm and "| sched |" in fm and "FASTEST" in fm
    summary = json.load(open(os.path.join(out, "fleet.json")))
    assert set(summary["fastest"]) == {"chan", "sched"}
    for f in summary["fastest"].values():
        assert f["fastest"].startswith(("fleet-a", "fleet-b"))
        for m in f["machines"]:
            assert m["lo"] <= m["ratio"] <= m["hi"]
    assert "fastest  chan:" in p.stdout and "fastest  sched:" in p.stdout
    print(p.stdout)


def test_killed_task_is_named_and_only_missing_reruns_it(cluster, tmp_path):
    env = fleet_env(cluster, ["fleet-a", "fleet-b"])
    res = str(tmp_path / "fleet")
    job = submit(cluster, env, res)
    # Kill task 1 once it has started (its state file says running), else at once.
    marker = os.path.join(res, "fleet-jobs", job, "task-1.json")
    end = time.time() + 60
    while time.time() < end:
        try:
            if json.load(open(marker)).get("state") == "running":
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    cluster.run("scancel", f"{job}_1")
    wait_job(cluster, job, res)
    p = gb(env, "collect", res, timeout=180)
    assert p.returncode == 1, f"collect should report the missing node: {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert "ok       fleet-a:" in p.stdout
    missing = [x for x in p.stdout.splitlines() if x.startswith("MISSING")]
    assert len(missing) == 1 and "fleet-b" in missing[0] and "CANCELLED" in missing[0], p.stdout
    assert "task-1.log" in p.stdout and "--only-missing" in p.stdout
    assert not os.path.isdir(os.path.join(res, "fleet-b")) or not [
        d for d in os.listdir(os.path.join(res, "fleet-b")) if not d.startswith(".")], "a killed run was kept"
    a_runs = sorted(os.listdir(os.path.join(res, "fleet-a")))

    env2 = fleet_env(cluster)          # the fake host names come from fleet.json now
    p = gb(env2, "submit", "--only-missing", res)
    assert p.returncode == 0, p.stderr
    job2 = p.stdout.strip()
    assert job2.isdigit() and job2 != job
    manifest = json.load(open(os.path.join(res, "fleet.json")))
    last = manifest["submissions"][-1]
    assert last["job_id"] == job2 and [t["label"] for t in last["tasks"]] == ["fleet-b"], last
    wait_job(cluster, job2, res)
    p = gb(env, "collect", res, timeout=180)
    assert p.returncode == 0, f"{p.stdout}\n{p.stderr}\n{job_logs(res, job2)}"
    assert "ok       fleet-b:" in p.stdout and "MISSING" not in p.stdout
    assert sorted(os.listdir(os.path.join(res, "fleet-a"))) == a_runs, "fleet-a was re-run"
    st = gb(env, "status", res)
    assert st.returncode == 0 and "2/3 task(s) have a run directory" in st.stdout, st.stdout + st.stderr
    # Nothing left to re-run.
    p = gb(env2, "submit", "--only-missing", res)
    assert p.returncode == 0 and p.stdout.strip() == "" and "nothing to submit" in p.stderr
