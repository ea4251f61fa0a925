"""Admin: create and edit agents (pages and REST API), with the same rules (records/agent_admin.py).

Saving an agent also (1) writes its FreeSWITCH directory entry and asks the switch to reloadxml,
as `hotline render-fs` does, and (2) puts it into live state, keeping its live state (state,
call), and nudges dispatch, so the next call can reach it without a restart. A switch that does
not answer is reported on the page; the agent is saved either way.
"""
from __future__ import annotations

import csv
import io
import logging
import time

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from control import agent_directory, fsconf, requests
from records import agent_admin
from records.agent_admin import AgentForm, Conflict, Invalid
from records.agents import to_live
from records.models import Agent, Skill
from web.audit import audit
from web.extensions import db
from web.live import config, live_state, publisher
from web.queue_rules import queue_configs
from web.roles import role_required

log = logging.getLogger(__name__)
bp = Blueprint("admin_agents", __name__)


# -- pages --------------------------------------------------------------------------------------
@bp.route("/admin/agents/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    if request.method == "GET":
        return _form_page(AgentForm(id=""), {}, new=True)
    return _submit(_form_from_request(), new=True)


@bp.route("/admin/agents/<agent_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(agent_id: str):
    agent = agent_admin.get(db.session, agent_id)
    if agent is None:
        return _("No such agent."), 404
    if request.method == "GET":
        return _form_page(AgentForm.from_agent(agent), {}, new=False)
    form = _form_from_request(agent_id)
    if form.version is None:
        return _form_page(form, {"version": _("Open the agent's page again before saving.")}, new=False), 400
    return _submit(form, new=False)


@bp.post("/admin/agents/<agent_id>/sip-password")
@role_required("admin")
def regenerate(agent_id: str):
    agent = agent_admin.get(db.session, agent_id)
    if agent is None:
        return _("No such agent."), 404
    password = agent_admin.new_sip_password(db.session, agent_id)
    audit("agent.sip_password", f"agent:{agent_id}")
    db.session.commit()
    switch = _apply(agent)
    return render_template("admin/sip_password.html", agent_id=agent_id, password=password, switch=switch)


@bp.get("/admin/agents.csv")
@role_required("admin")
def export_csv():
    out = io.StringIO()
    agent_admin.write_csv(db.session, out)
    audit("agent.export", None)
    db.session.commit()
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=agents.csv"})


@bp.post("/admin/agents/import")
@role_required("admin")
def import_csv():
    upload = request.files.get("file")
    text = upload.read().decode("utf-8-sig", errors="replace") if upload else ""
    results = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            form = agent_admin.form_from_csv(row)
            agent, _password, before = agent_admin.upsert(db.session, form, _queue_names(), _skill_names())
            audit("agent.import", f"agent:{agent.id}", before=before, after=form.values())
            db.session.commit()
            results.append((line, form.id, "saved", ""))
        except (Invalid, ValueError) as exc:
            db.session.rollback()
            results.append((line, (row.get("id") or "").strip(), "refused", str(exc)))
    _apply_all()
    return render_template("admin/agent_import.html", results=results), (200 if results else 400)


# -- REST API ---------------------------------------------------------------------------------------
@bp.post("/api/admin/agents")
@role_required("admin")
def api_create():
    return _api_save(new=True)


@bp.put("/api/admin/agents/<agent_id>")
@role_required("admin")
def api_update(agent_id: str):
    return _api_save(new=False, agent_id=agent_id)


def _api_save(new: bool, agent_id: str | None = None):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="send a JSON object with id, name, extension, skills, queues, wrap_up_s"), 400
    try:
        form = _form_from_json(data, agent_id)
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    if not new and form.version is None:
        return jsonify(error="version is required (from GET or the last save): it guards against overwriting "
                             "someone else's change"), 400
    form.version = None if new else form.version
    try:
        agent, password, before = agent_admin.save(db.session, form, _queue_names(), _skill_names())
    except Invalid as exc:
        db.session.rollback()
        return jsonify(error=str(exc), problems=exc.problems), 400
    except Conflict as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 409
    audit("agent.create" if new else "agent.update", f"agent:{agent.id}", before=before, after=form.values())
    db.session.commit()
    switch = _apply(agent)
    body = {**AgentForm.from_agent(agent).values(), "version": agent_admin.version_of(agent), "switch": switch}
    if password:
        body["sip_password"] = password   # shown once
    return jsonify(body), 201 if new else 200


# -- the shared parts -------------------------------------------------------------------------------
def _submit(form: AgentForm, new: bool):
    try:
        agent, password, before = agent_admin.save(db.session, form, _queue_names(), _skill_names())
    except Invalid as exc:
        db.session.rollback()
        return _form_page(form, exc.problems, new=new), 400
    except Conflict as exc:
        db.session.rollback()
        return _form_page(form, {"version": str(exc)}, new=new), 409
    audit("agent.create" if new else "agent.update", f"agent:{agent.id}", before=before, after=form.values())
    db.session.commit()
    switch = _apply(agent)
    if password:
        return render_template("admin/sip_password.html", agent_id=agent.id, password=password, switch=switch)
    flash(_("Agent %(id)s saved.", id=agent.id) + " " + switch, "ok")
    return redirect(url_for("admin.agents"))


def _apply(agent: Agent) -> str:
    """The switch's directory and the live state follow the saved agent; returns what the switch said."""
    store = live_state()
    if store is not None:
        agent_directory.publish(store, to_live(agent))
        publisher().publish("control", requests.dispatch(by="admin", now=time.time()))
    cfg = config()
    return agent_directory.render(cfg.freeswitch_conf_dir, fsconf.agent_rows(db.session),
                                  (cfg.esl_host, cfg.esl_port, cfg.esl_password))


def _apply_all() -> None:
    for agent in agent_admin.list_agents(db.session):
        _apply(agent)


def _queue_names() -> set[str]:
    return set(queue_configs())


def _skill_names() -> set[str] | None:
    """The skills queues/skills.yaml declares (edited under Admin → queues, flows and numbers)."""
    from control.queues import skill_names

    return skill_names(config().queues_dir)


def _form_page(form: AgentForm, problems: dict[str, str], new: bool):
    declared = _skill_names()
    skills = sorted(declared) if declared is not None else list(db.session.scalars(select(Skill.name).order_by(Skill.name)))
    return render_template("admin/agent_form.html", form=form, problems=problems, new=new, skills=skills,
                           queues=sorted(_queue_names()))


def _form_from_request(agent_id: str | None = None) -> AgentForm:
    f = request.form
    skills = {}
    for name in f.getlist("skill"):
        level = f.get(f"level-{name}", "").strip()
        if level and level != "0":
            skills[name] = int(level) if level.isdigit() else -1
    return AgentForm(id=agent_id or f.get("id", "").strip(), name=f.get("name", "").strip(),
                     extension=f.get("extension", "").strip(), skills=skills,
                     queues=[q for q in f.get("queues", "").replace(",", " ").split() if q],
                     wrap_up_s=agent_admin.seconds(f.get("wrap_up_s", "")), version=f.get("version") or None)


def _form_from_json(data: dict, agent_id: str | None) -> AgentForm:
    skills = data.get("skills") or {}
    queues = data.get("queues") or []
    if not isinstance(skills, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in skills.values()):
        raise ValueError("skills must be an object of skill name -> level (1-10)")
    if not isinstance(queues, list) or not all(isinstance(q, str) for q in queues):
        raise ValueError("queues must be a list of queue names, in offer order")
    wrap = data.get("wrap_up_s")
    if wrap is not None and (isinstance(wrap, bool) or not isinstance(wrap, (int, float))):
        raise ValueError("wrap_up_s must be a number of seconds or null")
    text = {k: data.get(k) for k in ("id", "name", "extension", "version")}
    if any(v is not None and not isinstance(v, str) for v in text.values()):
        raise ValueError("id, name, extension and version are strings")
    return AgentForm(id=agent_id or (text["id"] or ""), name=text["name"] or "", extension=text["extension"] or "",
                     skills=dict(skills), queues=list(queues), wrap_up_s=wrap, version=text["version"])
