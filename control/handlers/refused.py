"""The error a console action on a live call (control/handlers/call_actions.py, consult.py,
transfer.py) ends with when the controller will not carry it out; its text goes back to the console."""
from __future__ import annotations


class ActionRefused(ValueError):
    pass
