"""The suite runs the same whatever the developer's shell or .env says, and CI never skips for a missing tool."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings

from whatsapp_gateway.test_environment import PREPARED_MARK

ROOT = settings.BASE_DIR


def run_pytest(tmp_path, test_source: str, **env) -> subprocess.CompletedProcess:
    """A separate pytest run, on the project's configuration, of one test file written in tmp_path."""
    test_file = tmp_path / "test_probe.py"
    test_file.write_text(textwrap.dedent(test_source))
    # As a fresh shell runs it: not the prepared environment of this run.
    environ = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", PREPARED_MARK}}
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider",
         "-q", str(test_file)],
        cwd=ROOT, env={**environ, **env}, capture_output=True, text=True, timeout=120,
    )


def test_product_settings_of_the_callers_environment_do_not_reach_the_suite(tmp_path):
    result = run_pytest(
        tmp_path,
        """
        import os
        from django.conf import settings

        def test_defaults():
            assert settings.SIMULATOR_URL == "http://127.0.0.1:8001"
            assert settings.BATCH_SIZE == 100
            assert "SIMULATOR_URL" not in os.environ and "DEBUG" not in os.environ
            assert os.environ["DATABASE_URL"] == "sqlite:///kept-infrastructure.sqlite3"
        """,
        SIMULATOR_URL="http://127.0.0.1:9", BATCH_SIZE="7", DEBUG="0", SECRET_KEY="",
        DATABASE_URL="sqlite:///kept-infrastructure.sqlite3",
    )
    assert "1 passed" in result.stdout, result.stdout + result.stderr


def test_the_settings_read_dotenv_except_under_pytest():
    probe = textwrap.dedent(
        """
        import environ
        calls = []
        environ.Env.read_env = lambda *args, **kwargs: calls.append(args)
        import whatsapp_gateway.settings
        print(len(calls))
        """
    )
    environ = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", PREPARED_MARK}}
    outside = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env={**environ, "DEBUG": "1"}, capture_output=True, text=True
    )
    under = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env={**environ, "PYTEST_VERSION": "9"}, capture_output=True, text=True
    )
    assert outside.stdout.strip() == "1", outside.stderr
    assert under.stdout.strip() == "0", under.stderr


NEEDS_A_MISSING_TOOL = """
    import pytest

    @pytest.mark.needs("frobnicator (apt-get install frobnicator)", available=False)
    def test_uses_the_tool():
        pass

    @pytest.mark.needs("sh", available=True)
    def test_uses_a_present_tool():
        pass
"""


def test_a_missing_tool_skips_the_test_by_default(tmp_path):
    result = run_pytest(tmp_path, NEEDS_A_MISSING_TOOL, REQUIRE_LIVE_SERVICES="")
    assert "1 passed, 1 skipped" in result.stdout, result.stdout + result.stderr
    assert "needs frobnicator" in result.stdout


def test_a_missing_tool_fails_the_test_when_live_services_are_required(tmp_path):
    result = run_pytest(tmp_path, NEEDS_A_MISSING_TOOL, REQUIRE_LIVE_SERVICES="1")
    assert result.returncode == 1
    assert "1 passed, 1 error" in result.stdout, result.stdout + result.stderr
    assert "needs frobnicator (apt-get install frobnicator), which is missing, and REQUIRE_LIVE_SERVICES=1" in (
        result.stdout
    )


def test_every_skip_for_a_service_or_tool_goes_through_the_needs_marker():
    # A plain skipif would stay a silent skip on CI.
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/tests/test_*.py")
        if path != Path(__file__) and ( "mark.skipif(" in path.read_text() or "pytest.skip(" in path.read_text())
    ]
    assert offenders == []
