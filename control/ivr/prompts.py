"""Text prompts -> 8 kHz mono 16-bit WAV with espeak-ng (`hotline prompts`, `make prompts`).

A text prompt is played from ``<prompts_dir>/<language>-<hash of text>.wav``; this
module renders every text of every flow in every language it is declared for
and skips files already there. ``prompt_path`` tells the controller what to play.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from control.ivr.commands import wav_name
from control.ivr.model import PROMPT_FIELDS, FlowSet

RATE = 8000
VOICES = {"en": "en", "zh": "cmn"}   # espeak-ng voice per flow language; others use the code itself
INSTALL_HINT = "espeak-ng is not installed: apt-get install espeak-ng"
Synth = Callable[[str, str, str], None]   # (text, language, wav path to write)


def _get(prompt: Any, name: str) -> Any:
    return prompt.get(name) if isinstance(prompt, dict) else getattr(prompt, name, None)


def prompt_path(prompt: Any, language: str, prompts_dir: str) -> str:
    """What FreeSWITCH should play for a file or text Prompt (a Prompt or a dict with the same keys)."""
    kind = _get(prompt, "kind") or ("file" if _get(prompt, "file") else "text")
    if kind == "file":
        file = _get(prompt, "file")
        if os.path.isabs(file) or "://" in file or file.startswith("$${"):
            return file
        return os.path.join(prompts_dir, file)
    if kind == "text":
        return os.path.join(prompts_dir, wav_name(_get(prompt, "language") or language, _get(prompt, "text")))
    raise ValueError(f"a {kind!r} prompt is spoken by FreeSWITCH's say application, not played from a file")


def _language_maps(flows: FlowSet) -> Iterator[tuple[tuple[str, ...], dict]]:
    for flow in flows.flows.values():
        for spec in flow.prompts.values():
            yield flow.languages, spec
        for node in flow.nodes.values():
            for field in PROMPT_FIELDS:
                if isinstance(node.get(field), dict):
                    yield flow.languages, node[field]


def texts(flows: FlowSet) -> set[tuple[str, str]]:
    """Every (language, text) the flows can play from a rendered WAV."""
    out = set()
    for languages, spec in _language_maps(flows):
        for key, items in spec.items():
            for item in items if isinstance(items, list) else [items]:
                if isinstance(item, str):
                    text, lang = item, None
                elif isinstance(item, dict) and "text" in item:
                    text, lang = item["text"], item.get("language")
                else:
                    continue
                for language in [lang] if lang else (languages if key == "*" else [key]):
                    out.add((language, text))
    return out


def to_8k_mono(frames: bytes, rate: int, channels: int) -> bytes:
    """16-bit PCM at any rate -> 8 kHz mono; each output sample averages its window (a simple low-pass)."""
    samples = array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    if channels > 1:
        samples = array("h", (sum(samples[i:i + channels]) // channels for i in range(0, len(samples), channels)))
    if rate != RATE:
        step, out = rate / RATE, array("h")
        for i in range(int(len(samples) / step)):
            lo = int(i * step)
            chunk = samples[lo:max(lo + 1, int((i + 1) * step))]
            out.append(sum(chunk) // len(chunk))
        samples = out
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def espeak(text: str, language: str, wav_path: str) -> None:
    voice = VOICES.get(language, language)
    subprocess.run(["espeak-ng", "-v", voice, "-w", wav_path, text], check=True, capture_output=True, timeout=60)


def render(text: str, language: str, target: Path, synth: Synth | None = None) -> None:
    """Synthesise ``text`` (espeak-ng unless ``synth`` is given) and write it as 8 kHz mono 16-bit WAV."""
    synth = synth or espeak
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw = os.path.join(tmp, "raw.wav")
        synth(text, language, raw)
        with wave.open(raw, "rb") as src:
            if src.getsampwidth() != 2:
                raise ValueError(f"{raw}: expected 16-bit samples, got {8 * src.getsampwidth()}-bit")
            frames = to_8k_mono(src.readframes(src.getnframes()), src.getframerate(), src.getnchannels())
        out = os.path.join(tmp, "out.wav")
        with wave.open(out, "wb") as dst:
            dst.setnchannels(1)
            dst.setsampwidth(2)
            dst.setframerate(RATE)
            dst.writeframes(frames)
        os.replace(out, target)


def render_all(flows: FlowSet, prompts_dir: str | Path, synth: Synth | None = None, force: bool = False,
               extra: Iterable[tuple[str, str]] = ()) -> tuple[list[Path], list[Path]]:
    """(rendered, skipped) WAV paths; ``extra`` adds (language, text) pairs spoken outside flows."""
    rendered, skipped = [], []
    for language, text in sorted(texts(flows) | set(extra)):
        target = Path(prompts_dir) / wav_name(language, text)
        if target.exists() and not force:
            skipped.append(target)
            continue
        render(text, language, target, synth)
        rendered.append(target)
    return rendered, skipped


def main(argv: list[str] | None = None) -> int:
    from control.config import load_config
    from control.ivr.loader import load_flows
    from control.yamlfile import ConfigErrors

    parser = argparse.ArgumentParser(prog="hotline prompts", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="config file (default: HOTLINE_CONFIG or built-in defaults)")
    parser.add_argument("--flows-dir", help="flows folder (default: config flows_dir)")
    parser.add_argument("--out", help="output folder (default: config prompts_dir)")
    parser.add_argument("--force", action="store_true", help="render again even if the WAV exists")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    try:
        flows = load_flows(args.flows_dir or config.flows_dir, dids_file=config.dids_file)
    except ConfigErrors as exc:
        print(exc, file=sys.stderr)
        return 1
    out = Path(args.out or config.prompts_dir)
    from control.ivr.announce import fixed_texts

    wanted = texts(flows) | fixed_texts()
    missing = [t for t in wanted if args.force or not (out / wav_name(*t)).exists()]
    if missing and shutil.which("espeak-ng") is None:
        print(f"{INSTALL_HINT} ({len(missing)} prompts to render)", file=sys.stderr)
        return 1
    try:
        rendered, skipped = render_all(flows, out, force=args.force, extra=fixed_texts())
    except (subprocess.SubprocessError, OSError, ValueError) as exc:
        print(f"rendering failed: {exc}", file=sys.stderr)
        return 1
    print(f"prompts: {len(rendered)} rendered, {len(skipped)} already there, in {out}")
    return 0
