"""What the benchmark's scenarios share: the template they send, their numbers, CPU time between two readings."""

TEMPLATE = {"templateName": "hello_world", "language": "en_US"}


def recipients(prefix: int, count: int) -> list[str]:
    """Distinct +1 555 numbers (up to 100,000): `prefix` (20-99) picks a block so scenarios never share one."""
    return [f"+1555{prefix:02d}{n:05d}" for n in range(count)]


def cpu_delta(before: dict, after: dict) -> dict:
    return {name: round(after.get(name, 0.0) - before.get(name, 0.0), 2) for name in after}


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (`share` 0-1) of `values`, None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def round3(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def steady_rate(times: list[float], limit: float) -> dict:
    """Achieved rate over the steady part: the sends between the 10th and 90th percentile of arrival."""
    if len(times) < 10:
        return {"limit": limit, "messages": len(times), "steady_rate": None, "error_percent": None}
    low, high = int(len(times) * 0.1), int(len(times) * 0.9)
    window = times[low:high]
    rate = (len(window) - 1) / (window[-1] - window[0])
    overall = (len(times) - 1) / (times[-1] - times[0])
    return {
        "limit": limit, "messages": len(times), "steady_rate": round(rate, 2),
        "overall_rate": round(overall, 2), "error_percent": round((rate - limit) / limit * 100, 2),
        "within_5_percent": abs(rate - limit) <= 0.05 * limit,
    }


def machine_cpu() -> dict:
    """The machine's CPU time so far (busy and total seconds over all CPUs, /proc/stat) and its load average."""
    import os

    with open("/proc/stat") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    with open("/proc/loadavg") as handle:
        loadavg = " ".join(handle.read().split()[:3])
    return {"busy": (sum(fields) - idle) / tick, "total": sum(fields) / tick, "loadavg": loadavg}


def load_during(before: dict, after: dict, *, bench_cpu_seconds: float, wall_seconds: float) -> dict:
    """How busy the machine was between two machine_cpu() readings, and how much of it was not the benchmark."""
    total = after["total"] - before["total"]
    busy = after["busy"] - before["busy"]
    if total <= 0:
        return {}
    machine = 100 * busy / total
    bench = min(machine, 100 * bench_cpu_seconds / total)
    return {"wall_seconds": round(wall_seconds, 1), "machine_busy_percent": round(machine, 1),
            "bench_busy_percent": round(bench, 1), "other_busy_percent": round(machine - bench, 1),
            "loadavg_start": before["loadavg"], "loadavg_end": after["loadavg"]}
