"""freeswitch-conf/ and dialplan/ as FreeSWITCH will read them, checked against Hotline's config."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from control.config import DEFAULTS, ROOT
from control.fsconf import preprocess

CONF = ROOT / "freeswitch-conf"
DIALPLAN = ROOT / "dialplan"

# The modules Hotline may load; every other one is a decision to document first.
ALLOWED_MODULES = {
    "mod_sofia", "mod_event_socket", "mod_commands", "mod_dptools", "mod_dialplan_xml", "mod_sndfile",
    "mod_native_file", "mod_tone_stream", "mod_local_stream", "mod_loopback", "mod_say_en", "mod_say_zh", "mod_db",
    "mod_hash", "mod_logfile", "mod_console", "mod_opus",
}
# Module -> the configuration it reads (from each module's source); None: reads none.
MODULE_CONFIG = {
    "mod_sofia": "sofia.conf", "mod_event_socket": "event_socket.conf", "mod_local_stream": "local_stream.conf",
    "mod_logfile": "logfile.conf", "mod_console": "console.conf", "mod_db": "db.conf", "mod_hash": "hash.conf",
    "mod_opus": "opus.conf",
}
REQUIRED = {"mod_sofia", "mod_event_socket", "mod_commands", "mod_dptools", "mod_dialplan_xml", "mod_sndfile",
            "mod_local_stream", "mod_tone_stream"}


@pytest.fixture(scope="module")
def resolved():
    pre = preprocess(CONF)
    return pre, ET.fromstring(pre.text)


def configuration(root, name):
    found = [c for c in root.find("section[@name='configuration']") if c.get("name") == name]
    assert len(found) == 1, f"{name}: {len(found)} configuration blocks"
    return found[0]


def params(elem) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in elem.iter("param")}


def contexts(root) -> dict[str, ET.Element]:
    return {c.get("name"): c for c in root.find("section[@name='dialplan']").iter("context")}


def test_every_file_is_wellformed_alone_and_resolved(resolved):
    pre, root = resolved
    files = [Path(f) for f in pre.files]
    assert (DIALPLAN / "public.xml").resolve() in {f.resolve() for f in files}, "dialplan/ not included"
    for path in [*CONF.rglob("*.xml"), *DIALPLAN.glob("*.xml")]:
        ET.fromstring(path.read_text(encoding="utf-8"))  # each file on its own too
    assert [s.get("name") for s in root.findall("section")] == ["configuration", "dialplan", "directory",
                                                                "languages"]
    assert "$${" not in pre.text


def test_no_comment_line_names_the_preprocessor():
    # FreeSWITCH acts on X-PRE-PROCESS anywhere in a line, even inside a comment.
    for path in [*CONF.rglob("*.xml"), *CONF.rglob("*.example"), *DIALPLAN.glob("*.xml")]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "x-pre-process" in line.lower():
                assert line.strip().startswith("<X-PRE-PROCESS cmd="), f"{path}:{n}"
                assert line.strip().endswith("/>"), f"{path}:{n}: text after the directive is dropped"


def test_modules_are_allowed_configured_and_complete(resolved):
    _, root = resolved
    loaded = [m.get("module") for m in configuration(root, "modules.conf").iter("load")]
    assert len(loaded) == len(set(loaded))
    assert set(loaded) <= ALLOWED_MODULES, set(loaded) - ALLOWED_MODULES
    assert REQUIRED <= set(loaded)
    names = {c.get("name") for c in root.find("section[@name='configuration']")}
    for module in loaded:
        if module in MODULE_CONFIG:
            assert MODULE_CONFIG[module] in names, f"{module} needs {MODULE_CONFIG[module]}"
    assert {"switch.conf", "acl.conf"} <= names


def test_event_socket_matches_controller_config(resolved):
    _, root = resolved
    p = params(configuration(root, "event_socket.conf"))
    assert p["listen-ip"] == DEFAULTS["esl_host"]
    assert int(p["listen-port"]) == DEFAULTS["esl_port"]
    assert p["password"] == DEFAULTS["esl_password"]
    assert p["apply-inbound-acl"] == "loopback.auto"


def test_vars_local_overrides_defaults(tmp_path):
    import shutil
    shutil.copytree(CONF, tmp_path / "freeswitch-conf")
    shutil.copytree(DIALPLAN, tmp_path / "dialplan")
    (tmp_path / "freeswitch-conf" / "vars.local.xml").write_text(
        '<include>\n  <X-PRE-PROCESS cmd="set" data="esl_password=s3cret"/>\n</include>\n')
    root = ET.fromstring(preprocess(tmp_path / "freeswitch-conf").text)
    assert params(configuration(root, "event_socket.conf"))["password"] == "s3cret"


def test_limits_fit_the_load_goals(resolved):
    _, root = resolved
    p = params(configuration(root, "switch.conf"))
    assert int(p["max-sessions"]) >= 5000 * 2
    assert int(p["sessions-per-second"]) >= 250 * 2
    start, end = int(p["rtp-start-port"]), int(p["rtp-end-port"])
    # FreeSWITCH allocates even RTP ports from start to end (RTCP = +1) and warns when either is odd.
    assert start % 2 == 0 and end % 2 == 0, (start, end)
    legs = (end - start) // 2 + 1
    assert legs >= int(p["max-sessions"]) * 10 // 12, "one RTP+RTCP pair per media leg"


def test_one_sip_profile_for_phones_and_trunks_one_for_browsers(resolved):
    pre, root = resolved
    profiles = {p.get("name"): p for p in configuration(root, "sofia.conf").iter("profile")}
    assert list(profiles) == ["internal", "webrtc"]
    p = params(profiles["internal"].find("settings"))
    # trunks, and the other Hotline nodes (several nodes: dialplan/public.xml, hotline_internode)
    inbound_acls = [e.get("value") for e in profiles["internal"].find("settings")
                    if e.get("name") == "apply-inbound-acl"]
    assert p["auth-calls"] == "true" and inbound_acls == ["trunks", "hotline_nodes"]
    acl = {lst.get("name") for lst in configuration(root, "acl.conf").iter("list")}
    assert {"trunks", "hotline_nodes"} <= acl
    assert p["context"] in contexts(root)
    moh = [d.get("name") for d in configuration(root, "local_stream.conf").iter("directory")]
    assert DEFAULTS["moh"] == f"local_stream://{moh[0]}"
    # Browsers: the same domain and auth, no trunk bypass, WSS off until configured, Opus then PCMU.
    w = params(profiles["webrtc"].find("settings"))
    assert w["auth-calls"] == "true" and "apply-inbound-acl" not in w
    assert w["force-register-domain"] == p["force-register-domain"]
    assert w["sip-port"] == "auto" and w["wss-binding"] == "" and "ws-binding" not in w
    assert w["tls-cert-dir"] == pre.variables["tls_dir"]
    assert w["inbound-codec-prefs"].split(",")[:2] == ["OPUS", "PCMU"]
    assert w["context"] in contexts(root)


# Profile params FreeSWITCH 1.10+ still reads but warns about at every start (sofia.c).
DEPRECATED_SOFIA_PARAMS = {"rtp-timeout-sec": "media_timeout", "rtp-hold-timeout-sec": "media_hold_timeout"}


def test_no_deprecated_sofia_params_and_media_timeouts_are_global_vars(resolved):
    pre, root = resolved
    for profile in configuration(root, "sofia.conf").iter("profile"):
        settings = params(profile.find("settings"))
        assert not set(settings) & set(DEPRECATED_SOFIA_PARAMS), set(settings) & set(DEPRECATED_SOFIA_PARAMS)
    # Channel variables fall back to global ones, so these apply to every leg (milliseconds).
    assert int(pre.variables["media_timeout"]) >= 10_000
    assert int(pre.variables["media_hold_timeout"]) > int(pre.variables["media_timeout"])


def test_say_finds_its_language(resolved):
    # switch_ivr_say: without <section name="languages"> every say fails ("Open of languages and
    # phrases failed"); the language needs phrases/macros children and names its say module.
    pre, root = resolved
    loaded = {m.get("module") for m in configuration(root, "modules.conf").iter("load")}
    languages = {lang.get("name"): lang for lang in root.find("section[@name='languages']").iter("language")}
    en = languages["en"]
    assert f"mod_say_{en.get('say-module')}" in loaded
    assert en.get("sound-prefix") == pre.variables["sound_prefix"]
    assert en.find("phrases/macros") is not None
    zh = languages["zh"]   # the Mandarin announcements (issue 15): mod_say_zh and its sound package
    assert f"mod_say_{zh.get('say-module')}" in loaded
    assert zh.get("sound-prefix") == pre.variables["sound_prefix_zh"] == "/usr/share/freeswitch/sounds/zh/cn/sinmei"


def test_min_idle_cpu_is_a_variable_and_off_by_default(resolved):
    pre, root = resolved
    assert params(configuration(root, "switch.conf"))["min-idle-cpu"] == pre.variables["min_idle_cpu"] == "0"


def test_every_context_referenced_exists(resolved):
    _, root = resolved
    ctx = contexts(root)
    used = {v.get("value") for v in root.find("section[@name='directory']").iter("variable")
            if v.get("name") == "user_context"}
    template = (ROOT / "control" / "fsconf_templates" / "agent.xml.j2").read_text()
    used |= set(re.findall(r'name="user_context" value="([^"]+)"', template))
    for action in root.iter("action"):  # transfer <ext> XML <context>
        m = re.search(r"\bXML (\S+)$", action.get("data") or "")
        if m:
            used.add(m.group(1))
    for path in (ROOT / "control" / "handlers").rglob("*.py"):  # contexts the controller transfers into
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\} XML ([a-z][a-z-]*)"', text))
        used |= set(re.findall(r'context: str = "([a-z-]+)"', text))
        used |= set(re.findall(r'destination, context = [^,]+, "([a-z-]+)"', text))
    used |= {"hotline", "internal", "public-outbound"}
    assert used <= set(ctx), used - set(ctx)


def socket_targets(context: ET.Element) -> list[str]:
    return [a.get("data") for a in context.iter("action") if a.get("application") == "socket"]


def test_every_socket_goes_to_the_controller(resolved):
    _, root = resolved
    expected = f"{DEFAULTS['outbound_host']}:{DEFAULTS['outbound_port']} async full"
    targets = [t for c in contexts(root).values() for t in socket_targets(c)]
    assert targets and all(t == expected for t in targets), targets


def route(root, context: str, number: str, variables: dict[str, str] | None = None):
    """The first extension of a context whose conditions all match (XML dialplan hunting)."""
    variables = {"destination_number": number, **(variables or {})}
    for ext in contexts(root)[context].iter("extension"):
        ok = True
        for cond in ext.findall("condition"):
            field = cond.get("field")
            value = variables.get(field[2:-1], "") if field.startswith("${") else variables.get(field, "")
            if not re.search(cond.get("expression"), value):
                ok = False
                break
        if ok:
            return ext
    return None


def did_table() -> dict[str, str]:
    path = ROOT / "ivr_flows" / DEFAULTS["dids_file"]
    data = yaml.safe_load(path.read_text()) if path.exists() else {
        "+18005550100": "main", "+14155550123": "support", "default": "main"}
    data = data.get("dids", data) if isinstance(data, dict) else {}
    dids = {}
    for key, flow in data.items():
        if str(key) == "default":
            continue
        key = f"+{key}" if isinstance(key, int) else str(key)  # YAML reads +1800... as a number
        dids[key] = flow
    return dids


def test_every_did_routes_to_the_controller(resolved):
    _, root = resolved
    dids = did_table()
    assert dids
    for did in dids:
        for form in (did, did.lstrip("+")):
            ext = route(root, "public", form)
            assert ext is not None, f"{form} has no route"
            assert socket_targets(ext), f"{form} does not reach the controller"
    assert route(root, "public", "1000 or 1=1") is None
    assert route(root, "public", "hotline_queue_x") is None


def test_after_socket_reconnects_then_gives_up(resolved):
    _, root = resolved
    after = "hotline_after_socket"
    assert route(root, "hotline", after, {"last_bridge_to": "abc", "hotline_attempts": "x"}).get("name") \
        == "hotline_after_bridge"
    assert route(root, "hotline", after, {"hotline_attempts": "xx"}).get("name") == "hotline_reconnect"
    assert route(root, "hotline", after, {"hotline_attempts": "xxxxx"}).get("name") == "hotline_unavailable"
    ext = route(root, "hotline", "hotline_queue_support")
    assert ("set", "hotline_queue=$1") in [(a.get("application"), a.get("data")) for a in ext.iter("action")]


def test_internal_feature_codes_and_agents(resolved):
    _, root = resolved
    supervisor = {"hotline_monitor": "true"}   # the directory's mark on a supervisor's phone
    for code, feature in {"*21": "login", "*22": "logout", "*23": "break", "*24": "ready",
                          "*331001": "listen", "*341001": "whisper", "*351001": "barge"}.items():
        ext = route(root, "internal", code, supervisor)
        acts = [(a.get("application"), a.get("data")) for a in ext.iter("action")]
        assert ("set", f"hotline_feature={feature}") in acts and socket_targets(ext), code
    for code in ("*331001", "*341001", "*351001"):   # an agent's phone cannot monitor
        ext = route(root, "internal", code)
        assert ext is None or not any("hotline_feature" in (a.get("data") or "") for a in ext.iter("action")), code
    ext = route(root, "internal", "1001")
    assert ext.get("name") == "agent"
    assert any(a.get("data", "").startswith("user/$1@") for a in ext.iter("action"))


def test_no_secret_in_committed_files():
    for path in CONF.rglob("*"):
        if path.is_file() and path.name != "vars.local.xml" and "agents" not in path.parts:
            for m in re.finditer(r'name="password" value="([^"]*)"', path.read_text(encoding="utf-8")):
                assert m.group(1).startswith("$${"), f"{path}: literal password"
    assert [p.name for p in (CONF / "directory" / "agents").iterdir() if p.suffix == ".xml"] == [] or \
        _ignored_by_git(CONF / "directory" / "agents")
    assert "freeswitch-conf/vars.local.xml" in (ROOT / ".gitignore").read_text()


def _ignored_by_git(path: Path) -> bool:
    return "freeswitch-conf/directory/agents/*.xml" in (ROOT / ".gitignore").read_text()


def test_include_paths_are_relative_to_the_including_file(tmp_path):
    (tmp_path / "conf" / "sub").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "conf" / "freeswitch.xml").write_text(
        '<document>\n  <X-PRE-PROCESS cmd="set" data="who=world"/>\n'
        '  <X-PRE-PROCESS cmd="include" data="sub/*.xml"/>\n'
        '  <X-PRE-PROCESS cmd="include" data="missing.xml"/>\n</document>\n')
    (tmp_path / "conf" / "sub" / "a.xml").write_text(
        '<include>\n  <a v="$${who}"/>\n  <X-PRE-PROCESS cmd="include" data="../../other/*.xml"/>\n</include>\n')
    (tmp_path / "other" / "b.xml").write_text('<?xml version="1.0"?>\n<include>\n<b/>\n</include>\n')
    root = ET.fromstring(preprocess(tmp_path / "conf", core_vars={}).text)
    assert [c.tag for c in root] == ["a", "b"] and root.find("a").get("v") == "world"
