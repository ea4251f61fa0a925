"""FreeSWITCH can say numbers in every language Hotline speaks (freeswitch-conf/, issue 15)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from control.config import load_config
from control.handlers.media import SAY_MACRO
from control.ivr.announce import PHRASES
from control.ivr.loader import load_flows
from control.ivr.schema import SAY_METHODS, SAY_TYPES
from simulator.languages import CONF_DIR, language_sections, loaded_modules, say_languages


def spoken_languages() -> set[str]:
    flows = load_flows(load_config(env={}).flows_dir)
    return {lang for flow in flows.flows.values() for lang in flow.languages} | set(PHRASES)


def test_every_language_the_flows_and_announcements_speak_has_a_section_and_a_loaded_say_module():
    sections, modules = language_sections(), loaded_modules()
    for language in sorted(spoken_languages()):
        assert language in sections, f"freeswitch-conf/lang/ has no <language name=\"{language}\">"
        assert f"mod_say_{sections[language]}" in modules, \
            f"load mod_say_{sections[language]} in freeswitch-conf/autoload_configs/modules.conf.xml"
    assert spoken_languages() <= say_languages()


def test_every_language_has_the_say_macro_for_every_type_and_method():
    """A say action's type and method are literal attributes: the macro needs an input for each
    pair the controller can send (DIGITS arrives as NUMBER iterated)."""
    for path in sorted((CONF_DIR / "lang").glob("*.xml")):
        for language in ET.parse(path).getroot().iter("language"):
            [macro] = [m for m in language.iter("macro") if m.get("name") == SAY_MACRO]
            inputs = list(macro.iter("input"))
            for say_type in (t for t in SAY_TYPES if t != "DIGITS"):
                for method in SAY_METHODS:
                    data = f"{say_type}:{method}:42"
                    hits = [i for i in inputs if re.search(i.get("pattern"), data)]
                    assert hits, f"{path.name}: no {SAY_MACRO} input says {data}"
                    action = hits[0].find("match/action")
                    assert (action.get("function"), action.get("type"), action.get("method"), action.get("data")) \
                        == ("say", say_type, method, "$1")
