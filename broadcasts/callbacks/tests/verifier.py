"""The Python verifier docs/callbacks.md shows, loaded from the page itself: the tests run what readers copy."""

import re
from pathlib import Path

from django.conf import settings

PAGE = Path(settings.BASE_DIR) / "docs" / "callbacks.md"
BLOCK = re.compile(r"^<!-- verifier: python -->\s*\n```python\n(.*?)\n```", re.MULTILINE | re.DOTALL)


def docs_verify():
    """The page's `verify(secret, header, body, tolerance=300)`."""
    [source] = BLOCK.findall(PAGE.read_text())
    assert len(source.splitlines()) <= 10, "the page promises a ten-line verifier"
    scope: dict = {}
    exec(compile(source, str(PAGE), "exec"), scope)  # noqa: S102 — our own docs page
    return scope["verify"]

JS_BLOCK = re.compile(r"^The same in JavaScript \(Node\.js\):\s*\n```js\n(.*?)\n```", re.MULTILINE | re.DOTALL)


def docs_js_verifier() -> str:
    [source] = JS_BLOCK.findall(PAGE.read_text())
    return source
