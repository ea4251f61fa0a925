"""Every text the console marks for translation (web/**.py, web/templates/**.html, and the Jinja
templates kept as strings in web/*_pages.py) has a Chinese translation in web/translations/zh: a
page in Chinese shows no English left-overs."""
from __future__ import annotations

import ast
import io
from pathlib import Path

from jinja2.ext import babel_extract

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _page_templates():
    """(file, line, text) of each message in the module-level template strings of web/*_pages.py."""
    for module in sorted(WEB.glob("*_pages.py")):
        for node in ast.parse(module.read_text()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str) and "{%" in node.value.value:
                source = io.BytesIO(node.value.value.encode())
                for lineno, _func, message, _comments in babel_extract(source, KEYWORDS, [], {}):
                    yield module.name, node.lineno + lineno - 1, message


def test_every_marked_text_has_a_chinese_translation():
    with open(WEB / "translations" / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string}
    missing = set()
    for filename, lineno, message, _comments, _context in extract_from_dir(str(WEB), METHODS, keywords=KEYWORDS):
        text = message if isinstance(message, str) else message[0]
        if text and text not in translated:
            missing.add(f"web/{filename}:{lineno}: {text!r}")
    for filename, lineno, message in _page_templates():
        text = message if isinstance(message, str) else message[0]
        if text and text not in translated:
            missing.add(f"web/{filename}:{lineno}: {text!r}")
    assert not missing, "add to web/translations/zh/LC_MESSAGES/messages.po:\n" + "\n".join(sorted(missing))
