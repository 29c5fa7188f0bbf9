"""What the benchmark's scenarios share: the template they send, their numbers, CPU time between two readings."""

TEMPLATE = {"templateName": "hello_world", "language": "en_US"}


def recipients(prefix: int, count: int) -> list[str]:
    """Distinct +1 555 numbers (up to 100,000): `prefix` (20-99) picks a block so scenarios never share one."""
    return [f"+1555{prefix:02d}{n:05d}" for n in range(count)]


def cpu_delta(before: dict, after: dict) -> dict:
    return {name: round(after.get(name, 0.0) - before.get(name, 0.0), 2) for name in after}
