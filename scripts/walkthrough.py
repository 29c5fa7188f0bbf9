"""The campaign walkthrough of `make screenshots`: the flow an operator runs, and its video.

`campaign_flow` is used for the campaign screenshots and, slowed down, for docs/img/campaign-walkthrough.webm.
"""

import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
CAMPAIGN_FAILS = "15550100304"  # accepted, then a `failed` webhook: the one the retarget picks up
CAMPAIGN_CSV = (
    "phone;name;order\n+1 555 010 0301;Ana;B-1042\n+15550100302;Ben;B-1043\n12;Bad row;B-1044\n"
    f"+{CAMPAIGN_FAILS};Cy;B-1045\n+15550100303;Dee;B-1046\n"
)
VIDEO = IMG / "campaign-walkthrough.webm"
VIDEO_SIZE = {"width": 960, "height": 600}


def campaign_flow(page, admin: str, transport: tuple[int, str], snap=None, pause: float = 0.0) -> None:
    """An operator's campaign: the form from a CSV with a bad row, the preview and a test send, scheduled a few
    seconds ahead, watched to 100 %, exported and retargeted to who did not read it. `snap(name)` at each step."""
    snap = snap or (lambda name, **_: None)

    def beat() -> None:  # time for a viewer of the video to see the page
        time.sleep(pause)

    page.goto(f"{admin}broadcasts/session/")
    page.click("#new-campaign")
    page.select_option("#id_transport", str(transport[0]))
    page.select_option("#id_template", label=f"{transport[1]}: order_confirmation · en_US · UTILITY")
    snap("new-campaign")
    beat()
    page.click("text=Next: parameters and recipients")
    page.set_input_files("#id_recipients_csv", files=[
        {"name": "customers.csv", "mimeType": "text/csv", "buffer": CAMPAIGN_CSV.encode()},
    ])
    page.fill("#id_column_param_1", "name")
    page.fill("#id_column_param_2", "order")
    page.fill("#id_param_3", "Friday")
    page.select_option("#id_time_zone", "UTC")
    beat()
    page.click("text=Check and preview")
    page.wait_for_selector("#rejected-rows")
    page.fill("#id_send_at", (datetime.now(UTC) + timedelta(seconds=15)).strftime("%Y-%m-%dT%H:%M:%S"))
    page.check("#id_skip_invalid")
    snap("new-campaign-form", full=True)
    beat()
    page.click("text=Check and preview")
    page.wait_for_selector("#campaign-samples")
    beat()
    page.click("input[name=_test]")
    page.wait_for_selector("text=Test send: Sent")
    snap("new-campaign-preview", full=True)
    beat()
    page.click("input[name=_confirm]")
    page.wait_for_selector('[data-field="status_label"]:text("SCHEDULED")')
    snap("campaign-scheduled")
    page.wait_for_function(
        "document.querySelector('[data-count=\"done\"]').textContent.startsWith('4 (100%)')"
        " && document.querySelector('[data-count=\"read\"]').textContent.startsWith('3 ')",
        timeout=60_000,
    )
    page.reload()  # the panel refreshes itself; the fields under it are as the page was loaded
    page.wait_for_selector("#session-chart rect")
    snap("campaign-done", full=True)
    beat()
    with page.expect_download():
        page.click("#session-export")
    page.click("#session-retarget")
    page.check("input[name=statuses][value=DELIVERED]")
    page.check("input[name=statuses][value=FAILED]")
    snap("campaign-retarget", full=True)
    beat()
    page.click("text=Create the session")
    page.wait_for_selector(".messagelist")
    beat()


def record_walkthrough(stack, chromium: str) -> Path:
    """The campaign flow as a short, small video (a few hundred KB): Playwright records it, ffmpeg shrinks it."""
    import imageio_ffmpeg
    from playwright.sync_api import sync_playwright

    # Playwright looks for its own ffmpeg build under PLAYWRIGHT_BROWSERS_PATH; give it the package's.
    browsers = stack.tmp / "playwright"
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    for revision in ("1011", "1013"):
        (browsers / f"ffmpeg-{revision}").mkdir(parents=True, exist_ok=True)
        (browsers / f"ffmpeg-{revision}" / "ffmpeg-linux").symlink_to(ffmpeg)
    os.environ["PLAYWRIGHT_BROWSERS_PATH"] = str(browsers)
    raw_dir = stack.tmp / "video"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        context = browser.new_context(
            viewport=VIDEO_SIZE, record_video_dir=str(raw_dir), record_video_size=VIDEO_SIZE, accept_downloads=True,
        )
        page = context.new_page()
        admin = f"{stack.base}/admin/"
        page.goto(admin)
        page.fill("#id_username", "admin")
        page.fill("#id_password", "admin")
        page.click("input[type=submit]")
        page.wait_for_url(admin)
        campaign_flow(page, admin, (stack.transport_id, stack.transport_name), pause=1.2)
        raw = page.video.path()
        context.close()
        browser.close()
    subprocess.run([
        ffmpeg, "-loglevel", "error", "-y", "-i", str(raw), "-an", "-r", "6", "-c:v", "libvpx-vp9", "-crf", "50",
        "-b:v", "0", "-deadline", "good", "-cpu-used", "4", str(VIDEO),
    ], check=True)
    return VIDEO
