import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_measure_command_starts_a_simulator_and_reports_accepted_sends_and_cpu():
    result = subprocess.run(
        [sys.executable, "-m", "simulator.measure", "--latency-ms", "0", "--requests", "300", "--concurrency", "20"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 0, result.stderr
    # Every request accepted, none refused by the throughput limit the command raised out of the way.
    assert "300 requests, concurrency 20" in result.stdout
    assert "({200: 300})" in result.stdout
    assert re.search(r"[\d,]+ accepted sends/s", result.stdout)
    assert re.search(r"simulator CPU [\d.]+ s = [\d,]+ µs per send", result.stdout)
