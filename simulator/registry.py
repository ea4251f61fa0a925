"""The live channels by UUID, and the handles of the calls placed by simulated callers."""
from __future__ import annotations

from simulator.channels import Channel


class ChannelRegistry:
    def __init__(self, switch):
        self.switch = switch
        self.sessions_since_startup = 0
        self._channels: dict[str, Channel] = {}
        self._handles: dict = {}                 # caller leg UUID -> calls.CallHandle

    def register(self, ch: Channel) -> None:
        self._channels[ch.uuid] = ch
        self.sessions_since_startup += 1
        handle = self._handles.get(ch.vars.get("hotline_call", ""))   # an agent leg for a caller (actions.py)
        if handle is not None and handle.offered_us is None:
            handle.offered_us = ch.created_us   # the bench's dispatch latency: caller answered -> first agent leg

    def add_handle(self, handle) -> None:
        self._handles[handle.uuid] = handle

    def handle(self, uuid: str):
        return self._handles.get(uuid)

    def channels(self) -> list[Channel]:
        return list(self._channels.values())

    def channel(self, uuid: str) -> Channel | None:
        return self._channels.get(uuid)

    def channel_gone(self, ch: Channel) -> None:
        self._channels.pop(ch.uuid, None)
        if ch.other is not None and ch.other.bridged and ch.other.other is ch:
            self.switch.unbridge(ch)
        handle = self._handles.pop(ch.uuid, None)
        if handle is not None:
            handle.finished()
