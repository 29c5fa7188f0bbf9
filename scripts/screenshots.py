"""Screenshots of the real admin for the docs (`make screenshots`), saved to docs/img/*.png, and a video.

Starts a throwaway stack of its own — a temporary SQLite database and filesystem broker,
`bootstrap_demo`, `runserver` on a free port, the Meta simulator, a Celery worker with beat —
sends sessions through the API as an integrator would, then walks the admin as `admin`/`admin`
in headless Chromium (playwright-python driving the system's /usr/bin/chromium; no browser is
downloaded). Last it records a campaign from a CSV to its retarget as docs/img/campaign-walkthrough.webm
(Playwright's video, with the ffmpeg of the imageio-ffmpeg package, re-encoded small).
Nothing outside the temporary folder and docs/img/ is touched.

    .venv/bin/python scripts/screenshots.py [--chromium /usr/bin/chromium] [--keep]
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from walkthrough import CAMPAIGN_FAILS, campaign_flow, record_walkthrough

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
PYTHON = sys.executable
DEMO_KEY = "docs0001.screenshots-demo-key-0001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    """web + worker (with beat) + simulator on a temporary database and broker."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.web_port, self.sim_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.sim = f"http://127.0.0.1:{self.sim_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "WHATSAPP_"))},
            "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
            "CELERY_BROKER_URL": "filesystem://",
            "BROKER_FOLDER": str(tmp / "broker"),
            "CELERY_TASK_DEFAULT_QUEUE": "screenshots",
            "SIMULATOR_URL": self.sim,
            "DEMO_API_KEY": DEMO_KEY,
            "DEBUG": "true",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TEMPLATE_SYNC_INTERVAL": "0",
            "SCHEDULE_INTERVAL": "1",  # the walkthrough's scheduled campaign starts within a second of its time
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: list[subprocess.Popen] = []
        self.transport_id: int | None = None
        self.transport_name = ""

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def spawn(self, name: str, command: list[str]) -> None:
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 — lives as long as the process
        self.processes.append(subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        ))

    def start(self) -> None:
        (self.tmp / "broker").mkdir()
        self.manage("migrate", "--noinput")
        out = self.manage("bootstrap_demo")
        self.transport_id = int(out.rsplit("Demo transport id:", 1)[1].split()[0])
        self.spawn("simulator", [
            PYTHON, "manage.py", "run_simulator", "--host", "127.0.0.1", "--port", str(self.sim_port),
            "--callback-url", f"{self.base}/webhooks/whatsapp/{self.transport_id}",
        ])
        self.spawn("web", [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.web_port}"])
        self.spawn("worker", [
            PYTHON, "-m", "celery", "-A", "celery_app", "worker", "--beat", "--schedule", str(self.tmp / "beat"),
            "--loglevel", "INFO", "--pool", "prefork", "--concurrency", "2",
            "--queues", "screenshots,screenshots.webhooks,screenshots.housekeeping,screenshots.callbacks",
        ])
        self.wait_for(f"{self.base}/healthz")
        self.wait_for(f"{self.sim}/_sim/config")
        deadline = time.monotonic() + 60
        while " ready." not in (self.tmp / "worker.log").read_text():
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not start:\n" + (self.tmp / "worker.log").read_text())
            time.sleep(0.3)

    def wait_for(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args} exited early; logs in {self.tmp}")
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{url} did not answer; logs in {self.tmp}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        response = requests.request(
            method, f"{self.base}/api/v1/{path}", json=body, timeout=30,
            headers={"Authorization": f"Api-Key {DEMO_KEY}"},
        )
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def wait_session(self, session_id: int, *, until: set[str], timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            session = self.api("GET", f"sessions/{session_id}")
            if session["status"] in until:
                return session
            time.sleep(0.5)
        raise RuntimeError(f"session {session_id} did not reach {until}: {session}")


def send_sessions(stack: Stack) -> dict[str, int]:
    """The data the screenshots show: a finished session with one failure, one where every message failed,
    and a slow one to watch and cancel."""
    requests.patch(f"{stack.sim}/_sim/config", json={"recipient_errors": {
        "15550109999": 131026, "15550109998": 131026, "15550109997": 131026, "15550109996": 131047,
    }, "failed_recipients": {CAMPAIGN_FAILS: 131026}}, timeout=10)
    stack.api("POST", "templates/sync", {"transport": stack.transport_id})
    stack.transport_name = stack.api("GET", f"transports/{stack.transport_id}")["name"]
    done = stack.api("POST", "sessions", {
        "transport": stack.transport_id,
        "message": {"meta": {"templateName": "order_confirmation", "language": "en_US",
                             "parameters": ["Ana", "B-1042", "$42.00"]}},
        "recipients": ["+1 555 010 0001", "+15550100002", "+15550100003", "+15550109999"],
    })
    stack.wait_session(done["id"], until={"COMPLETED", "FAILED"})
    # Let the simulator's delivered/read webhooks arrive, so the stats show the whole life of a message.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and stack.api("GET", f"sessions/{done['id']}")["stats"].get("read", 0) < 3:
        time.sleep(0.5)
    failed = stack.api("POST", "sessions", {
        "transport": stack.transport_id,
        "message": {"meta": {"templateName": "hello_world", "language": "en_US"}},
        "recipients": ["+15550109998", "+15550109997", "+15550109996"],
    })
    stack.wait_session(failed["id"], until={"COMPLETED", "FAILED"})
    slow = stack.api("POST", "transports/", {
        "name": "whatsapp-slow",
        "whatsapp_cloud": {
            "phone_number_id": "100000000000001", "business_account_id": "200000000000001",
            "access_token": "demo-access-token", "app_secret": "demo-app-secret", "verify_token": "demo-verify-token",
            "base_url": stack.sim, "api_version": "v23.0", "rate_limit": 0.5, "phone_strictness": "possible",
        },
    })
    big = stack.api("POST", "sessions", {
        "transport": slow["id"],
        "message": {"meta": {"templateName": "hello_world", "language": "en_US"}},
        "recipients": [f"+1555020{n:04d}" for n in range(40)],
    })
    stack.wait_session(big["id"], until={"PENDING"})
    time.sleep(4)  # a few sent, most still queued
    return {"done": done["id"], "failed": failed["id"], "slow": big["id"], "slow_transport": slow["id"]}


def login(page, admin: str) -> None:
    page.goto(admin)
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.wait_for_url(admin)


def shoot(stack: Stack, ids: dict[str, int], chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    IMG.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800}, device_scale_factor=1)

        def snap(name: str, *, full: bool = False) -> None:
            path = IMG / f"{name}.png"
            page.screenshot(path=str(path), full_page=full)
            saved.append(path)

        def run_action(action: str) -> None:
            page.select_option("select[name=action]", action)
            page.click("button[name=index]")

        admin = f"{stack.base}/admin/"
        login(page, admin)
        snap("admin-home")

        # Creating a WhatsApp transport: the form, filled.
        page.goto(f"{admin}transports/transport/add/?preset=whatsapp_cloud")
        page.select_option("#id_app", label="demo")
        page.fill("#id_name", "whatsapp-admin")
        page.fill("#id_phone_number_id", "100000000000001")
        page.fill("#id_business_account_id", "200000000000001")
        page.fill("#id_rate_limit", "80")
        page.select_option("#id_phone_strictness", "possible")
        page.fill("#id_base_url", stack.sim)
        page.fill("#id_access_token", "demo-access-token")
        page.fill("#id_app_secret", "demo-app-secret")
        page.fill("#id_verify_token", "demo-verify-token")
        snap("transport-add", full=True)
        page.click("input[name=_save]")
        page.wait_for_url(f"{admin}transports/transport/")
        snap("transport-list")

        # Sending a test message: select the demo transport, run the action, fill the form, submit.
        page.check(f"input[name=_selected_action][value='{stack.transport_id}']")
        run_action("send_test_message_action")
        page.fill("input[name=to]", "+15550100001")
        page.fill("input[name=template]", "hello_world")
        page.click("input[type=submit][value=Send]")
        page.wait_for_selector("text=Sent:")
        snap("send-test-message", full=True)

        # Watching a session: the list with its progress columns, then the finished session with its stats.
        page.goto(f"{admin}broadcasts/session/")
        snap("session-list")
        # A campaign from a CSV, step by step (the same flow as the video).
        campaign_flow(page, admin, (stack.transport_id, stack.transport_name), snap=snap)
        page.goto(f"{admin}broadcasts/session/{ids['done']}/change/")
        page.wait_for_selector("#session-chart rect")
        snap("session-detail", full=True)
        # Every message failed: the session says why, and its failure reasons link to those broadcasts.
        page.goto(f"{admin}broadcasts/session/{ids['failed']}/change/")
        page.wait_for_selector("#failure-reasons a")
        snap("session-failed", full=True)

        # The slow session, part-way: the page refreshes itself (progress.json), then cancelled from the list.
        page.goto(f"{admin}broadcasts/session/{ids['slow']}/change/")
        page.wait_for_selector("#session-chart rect")
        sent = page.text_content('[data-count="sent"]')
        page.wait_for_function(
            "sent => document.querySelector('[data-count=\"sent\"]').textContent !== sent", arg=sent, timeout=20_000
        )
        snap("session-progress", full=True)
        # The operations dashboard while that session runs.
        page.goto(f"{admin}dashboard/")
        snap("admin-dashboard", full=True)
        page.goto(f"{admin}broadcasts/session/")
        page.check(f"input[name=_selected_action][value='{ids['slow']}']")
        page.select_option("select[name=action]", "cancel_sessions")
        snap("session-actions")
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist")
        snap("session-cancelled")

        # Reading a broadcast's logs: the failed one and a read one.
        page.goto(f"{admin}broadcasts/broadcast/?session__id__exact={ids['done']}")
        snap("broadcast-list")
        page.click("text=FAILED >> xpath=ancestor::tr//th/a")
        snap("broadcast-failed", full=True)
        page.goto(f"{admin}broadcasts/broadcast/?session__id__exact={ids['done']}&status__exact=READ")
        page.click("#result_list tbody tr th a")
        snap("broadcast-logs", full=True)

        page.goto(f"{admin}templates/template/")
        snap("template-list")
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium binary to drive.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder (logs, database).")
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        print(f"{args.chromium} is missing: apt-get update && apt-get install -y chromium", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="gw-screenshots-"))
    stack = Stack(tmp)
    try:
        stack.start()
        ids = send_sessions(stack)
        saved = shoot(stack, ids, args.chromium)
        saved.append(record_walkthrough(stack, args.chromium))
    finally:
        stack.stop()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
    for path in saved:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
