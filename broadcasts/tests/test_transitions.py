"""The state machine: one table of moves, and no status written anywhere but in the transitions module."""

import ast
from pathlib import Path

import pytest

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.services import transitions
from broadcasts.services.errors import TransitionRefused
from broadcasts.services.sessions import session_cancel, session_pause, session_resume, session_trigger
from broadcasts.services.transitions import BROADCAST_MOVES, SESSION_MOVES, broadcasts_cancel
from broadcasts.testing import make_session

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("broadcasts", "transports", "templates", "whatsapp_gateway")
STATUS_MODELS = {"Session", "Broadcast"}


def _status_writes(path: Path) -> list[str]:
    """Lines of `path` that write a status: `.update(status=…)`, `bulk_update` of "status", `x.status = …`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            while isinstance(receiver, (ast.Call, ast.Attribute)):
                receiver = receiver.func if isinstance(receiver, ast.Call) else receiver.value
            # Other models' statuses (a template's) are theirs; a queryset in a variable may be ours.
            other_model = isinstance(receiver, ast.Name) and receiver.id[:1].isupper() and (
                receiver.id not in STATUS_MODELS
            )
            if node.func.attr == "update" and any(k.arg == "status" for k in node.keywords) and not other_model:
                found.append(f"{path}:{node.lineno} update(status=…)")
            if node.func.attr == "bulk_update" and any("status" in ast.unparse(a) for a in node.args[1:]):
                found.append(f"{path}:{node.lineno} bulk_update(…status…)")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "status" and not (
                    isinstance(target.value, ast.Name) and target.value.id == "self"
                ):
                    found.append(f"{path}:{node.lineno} {ast.unparse(target)} = …")
    return found


def test_no_module_but_transitions_writes_a_status():
    modules = [
        path for app in FIRST_PARTY for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]
    assert len(modules) > 50
    writes = [line for path in modules if path.name != "transitions.py" for line in _status_writes(path)]
    assert writes == []
    # The scan does see writes: the transitions module has them.
    assert len(_status_writes(ROOT / "broadcasts/services/transitions.py")) >= 5


def test_the_scan_finds_a_status_written_elsewhere(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "def f(qs, b, Template):\n"
        "    qs.filter(x=1).update(status='CANCELLED')\n"
        "    Broadcast.objects.bulk_update(rows, ['status', 'updated_at'])\n"
        "    b.status = 'SENT'\n"
        "    Template.objects.filter(pk=1).update(status='APPROVED')\n"
    )
    assert sorted(line.split(":", 1)[1] for line in _status_writes(sneaky)) == [
        "2 update(status=…)", "3 bulk_update(…status…)", "4 b.status = …",
    ]


def test_every_status_is_reached_or_left_by_a_move():
    for model, moves in ((Session, SESSION_MOVES), (Broadcast, BROADCAST_MOVES)):
        named = {s for move in moves for s in (*move.sources, *move.targets)}
        assert named == set(model.Status.values), model
        assert len({move.name for move in moves}) == len(moves)


@pytest.mark.parametrize(
    ("status", "action", "code", "message"),
    [
        ("COMPLETED", session_pause, "session_not_running",
         "Only a running session can be paused; this one is COMPLETED."),
        ("PENDING", session_resume, "session_not_paused", "Only a paused session can be resumed; this one is PENDING."),
        ("COMPLETED", session_cancel, "session_finished", "The session is already COMPLETED."),
        ("CANCELLED", session_trigger, "session_cancelled", "A cancelled session cannot be triggered."),
        ("PAUSED", session_trigger, "session_paused", "The session is paused: resume it to send again."),
    ],
)
def test_a_move_from_a_status_the_table_does_not_allow_is_refused_and_changes_nothing(
    app, wa_transport, status, action, code, message
):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0), ("FAILED", "TRANSIENT", 1)])
    Session.objects.filter(pk=session.pk).update(status=status)
    session.refresh_from_db()
    before = sorted(Broadcast.objects.values_list("id", "status"))

    with pytest.raises(TransitionRefused) as refused:
        action(session=session)

    assert (refused.value.status, refused.value.code, refused.value.message) == (409, code, message)
    assert Session.objects.get(pk=session.pk).status == status
    assert sorted(Broadcast.objects.values_list("id", "status")) == before
    assert not BroadcastLog.objects.exists()


def test_cancel_takes_only_queued_broadcasts_and_notes_each(app, wa_transport):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0), ("SENDING", "", 1), ("SENT", "", 1)])

    assert broadcasts_cancel(broadcasts=Broadcast.objects.filter(session=session)) == 1

    assert sorted(Broadcast.objects.values_list("status", flat=True)) == ["CANCELLED", "SENDING", "SENT"]
    note = BroadcastLog.objects.get()
    assert (note.kind, note.status, note.message) == ("NOTE", "CANCELLED", transitions.CANCELLED_NOTE)


def test_a_move_the_table_does_not_have_is_refused_in_memory(app, wa_transport):
    session = make_session(app, wa_transport["id"], [("SENT", "", 1)])
    broadcast = Broadcast.objects.get(session=session)
    with pytest.raises(AssertionError, match="outcome: SENT -> QUEUED"):
        transitions.broadcast_move(broadcast, move=transitions.SEND_OUTCOME, to="QUEUED")
    assert broadcast.status == "SENT"

