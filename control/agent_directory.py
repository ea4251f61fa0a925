"""After an agent is saved (console, API or CLI): the switch's phone directory and the live state
follow, the same way from every origin.

``publish(store, agent)`` puts the agent's configuration into live state, keeping what only live
state knows (state, since when, current call, break reason, idle since). ``render(...)`` writes
every agent's FreeSWITCH directory entry, as `hotline render-fs` does, and asks the switch to
``reloadxml``; it returns a sentence saying what happened (a switch that is down is no error: the
files are written and FreeSWITCH reads them when it reloads).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from control.domain.models import Agent
from control.fsconf import AgentRow, EslError, RenderError, esl_api, render_agents, write_agent_files
from control.ports import LiveState


def publish(store: LiveState, agent: Agent) -> None:
    current = store.get_agent(agent.id)
    if current is not None:
        agent.state, agent.state_since, agent.call_id = current.state, current.state_since, current.call_id
        agent.break_reason, agent.idle_since = current.break_reason, current.idle_since
    store.put_agent(agent)


def render(conf_dir: str | Path, rows: Iterable[AgentRow], esl: tuple[str, int, str], timeout_s: float = 2.0) -> str:
    try:
        write_agent_files(Path(conf_dir), render_agents(rows))
    except (RenderError, OSError) as exc:
        return f"the phone directory was not written ({exc}): run hotline render-fs"
    host, port, password = esl
    try:
        reply = esl_api(host, int(port), password, "reloadxml", timeout=timeout_s)
    except (OSError, EslError) as exc:
        return f"FreeSWITCH did not answer ({exc}): its directory is written; run reloadxml once it is up"
    return "FreeSWITCH reloaded its directory" if reply.startswith("+OK") else reply.strip()
