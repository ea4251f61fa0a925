"""Relational records shared by the console, the controller and the worker."""
from __future__ import annotations


def __getattr__(name):   # records.CallRecordWriter without importing SQLAlchemy on `import records`
    if name == "CallRecordWriter":
        from records.calls import CallRecordWriter

        return CallRecordWriter
    if name == "CustomerStore":
        from records.customers import CustomerStore

        return CustomerStore
    raise AttributeError(name)
