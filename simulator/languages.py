"""The languages FreeSWITCH can `say` in, read from its configuration as FreeSWITCH would.

FreeSWITCH finds a say language by the ``<language name=...>`` sections of the languages
section (freeswitch-conf/lang/*.xml), then speaks with the say module its ``say-module`` names
(``mod_say_<module>``, loaded in autoload_configs/modules.conf.xml). Without the section it
logs ``Can't find language xx.`` and says nothing; without the module, ``Invalid SAY Interface``.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from control.paths import shipped

CONF_DIR = shipped("freeswitch-conf")


def language_sections(conf_dir: Path = CONF_DIR) -> dict[str, str]:
    """{language name: its say module} for every <language> in lang/*.xml."""
    sections = {}
    for path in sorted((Path(conf_dir) / "lang").glob("*.xml")):
        for language in ET.parse(path).getroot().iter("language"):
            name = language.get("name")
            if name:
                sections[name] = language.get("say-module") or language.get("module") or name
    return sections


def loaded_modules(conf_dir: Path = CONF_DIR) -> set[str]:
    root = ET.parse(Path(conf_dir) / "autoload_configs" / "modules.conf.xml").getroot()
    return {load.get("module", "") for load in root.iter("load")}


def say_languages(conf_dir: Path = CONF_DIR) -> set[str]:
    """The languages `say` works in: a language section whose say module is loaded."""
    modules = loaded_modules(conf_dir)
    return {name for name, module in language_sections(conf_dir).items() if f"mod_say_{module}" in modules}
