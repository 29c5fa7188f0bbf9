"""Log lines carry their structured fields: key=value in development, one JSON object in production."""

import json
import logging

from django.conf import settings


def _formatted(format_name: str) -> str:
    spec = dict(settings.LOGGING["formatters"][format_name])
    factory = spec.pop("()")
    module, _, name = factory.rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(
        **{("fmt" if k == "format" else k): v for k, v in spec.items()}
    )
    record = logging.makeLogRecord(
        {
            "name": "gateway.sending",
            "levelname": "INFO",
            "levelno": 20,
            "msg": "attempt sent",
            "transport": 3,
            "to": "1202*****01",
            "meta_code": "131026",
        }
    )
    return formatter.format(record)


def test_text_lines_end_with_the_structured_fields():
    line = _formatted("text")
    assert "INFO gateway.sending attempt sent" in line
    assert line.endswith("transport=3 to=1202*****01 meta_code=131026")


def test_json_lines_are_one_object_with_the_fields():
    entry = json.loads(_formatted("json"))
    assert entry["message"] == "attempt sent"
    assert entry["level"] == "INFO" and entry["logger"] == "gateway.sending"
    assert (entry["transport"], entry["to"], entry["meta_code"]) == (3, "1202*****01", "131026")
