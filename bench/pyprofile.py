"""`make bench-profile`: the round trip (scenario 7) once more, with py-spy sampling each process group.

Kept apart from `make bench` so that run's figures are not disturbed by the sampler. It starts its own stack,
samples the web, sends and events process groups (each with its children) while the round trip runs, and
writes `bench/results/profile.json`: per group, the share of samples in each of the gateway's own functions
(inclusive: a function and what it calls) and the share spent waiting for PostgreSQL. docs/benchmark.md is
rendered again from `latest.json` with this profile beside it, each with its own date.

py-spy reads the processes' memory, so it needs ptrace permission: root, or `kernel.yama.ptrace_scope=0`.
"""

import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ("events", "workers", "web")
SAMPLES_PER_SECOND = 50
TOP = 12
DATABASE_WAIT = "Connection.wait"  # psycopg waiting for the server's answer
_FRAME = re.compile(r"^(?P<function>.+?) \((?P<path>[^()]+):\d+\)$")


def _own(path: str) -> str | None:
    """The repository-relative path of one of the gateway's own files, or None (libraries, the standard library).

    py-spy names a file relative to the sys.path entry it was found under ("django/db/...", "broadcasts/...").
    """
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(ROOT)
        except ValueError:
            return None
    top = candidate.parts[0] if candidate.parts else ""
    if top.startswith(".") or top == "bench" or not (ROOT / candidate).is_file():
        return None
    return str(candidate)


def summarize(lines) -> dict:
    """py-spy's raw (collapsed) output -> samples, database wait share and the top own functions."""
    samples = own_samples = waiting = 0
    inclusive: Counter = Counter()
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        count, names = int(count), set()
        samples += count
        for frame in stack.split(";"):
            match = _FRAME.match(frame)
            if match and (path := _own(match["path"])):
                names.add(f"{path}:{match['function']}")
        if names:
            own_samples += count
            waiting += count if DATABASE_WAIT in stack else 0
            inclusive.update(dict.fromkeys(names, count))
    share = (lambda n: round(100 * n / own_samples, 1)) if own_samples else (lambda n: 0.0)
    return {
        "samples": samples, "gateway_samples": own_samples, "database_wait_percent": share(waiting),
        "top": [{"function": name, "percent": share(n)} for name, n in inclusive.most_common(TOP)],
    }


class Sampler:
    """One py-spy per process group, recording from `start()` until `stop()`."""

    def __init__(self, pids: dict[str, int], out_dir: Path) -> None:
        self.pids, self.out_dir, self.procs = pids, out_dir, {}

    def start(self) -> "Sampler":
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        for name, pid in self.pids.items():
            self.procs[name] = subprocess.Popen(
                [spy, "record", "--subprocesses", "--pid", str(pid), "--rate", str(SAMPLES_PER_SECOND),
                 "--format", "raw", "--output", str(self.out_dir / f"{name}.txt"), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )
        return self

    def stop(self) -> dict:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGINT)  # py-spy writes what it sampled and exits
        groups = {}
        for name, proc in self.procs.items():
            _, errors = proc.communicate(timeout=60)
            path = self.out_dir / f"{name}.txt"
            if not path.exists():
                groups[name] = {"error": (errors or f"py-spy exited with {proc.returncode}").strip()[-500:]}
                continue
            with path.open() as lines:
                groups[name] = summarize(lines)
        return groups


def main(argv=None) -> int:
    from bench import report
    from bench.options import parse_args
    from bench.report_docs import DOCS, PROFILE, markdown
    from bench.roundtrip import scenario_round_trip
    from bench.run import Bench, stack_for

    options = parse_args(["--only", "7", *(argv if argv is not None else sys.argv[1:])],
                         description=__doc__.splitlines()[0])
    out_dir, log_dir = Path(options.out), Path(tempfile.mkdtemp(prefix="bench-profile-"))
    stack = stack_for(options, log_dir)
    started = datetime.now().astimezone()
    print(f"bench-profile: logs and py-spy output in {log_dir}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        stack.start()
        bench = Bench(stack, options)
        bench.setup()
        sampler = Sampler({name: stack.procs[name].pid for name in GROUPS}, log_dir).start()
        try:
            outcome, _ = scenario_round_trip(bench)
        finally:
            groups = sampler.stop()
    finally:
        stack.stop()
    profile = {
        "started_at": started.isoformat(timespec="seconds"), "scenario": outcome["scenario"],
        "messages_per_second": outcome.get("messages_per_second"),
        "sampler": f"py-spy, {SAMPLES_PER_SECOND} samples/s per process", "groups": groups,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / PROFILE).write_text(json.dumps(profile, indent=2) + "\n")
    print("   ", report.one_line(outcome), flush=True)
    latest = out_dir / "latest.json"
    if not options.no_docs and latest.exists():
        DOCS.write_text(markdown(json.loads(latest.read_text()), profile=profile))
    print(f"bench-profile: wrote {out_dir / PROFILE}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
