"""Knowledge-base suggestions: markdown articles in web/kb/ with a YAML front-matter
(``title``, ``tags``, ``queues``, ``ivr``), ranked by the call's queue, its IVR path and keywords.

``suggest`` is pure; ``load_articles`` reads a folder once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

KB_DIR = Path(__file__).resolve().parent / "kb"
WORD = re.compile(r"\w+", re.UNICODE)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
QUEUE_POINTS, IVR_POINTS, KEYWORD_POINTS = 3, 2, 1


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    tags: tuple[str, ...]
    queues: tuple[str, ...]
    ivr: tuple[str, ...]
    body: str

    def excerpt(self, length: int = 160) -> str:
        text = " ".join(self.body.split())
        return text if len(text) <= length else text[:length - 1] + "…"


def _strings(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    return tuple(str(v).strip().lower() for v in (value or []) if str(v).strip())


def parse_article(slug: str, text: str) -> Article:
    meta: dict[str, Any] = {}
    body = text
    if text.startswith("---"):
        _, _, rest = text.partition("\n")
        head, sep, body = rest.partition("\n---")
        if not sep:
            raise ValueError(f"{slug}: the front-matter is not closed with ---")
        meta = yaml.safe_load(head) or {}
        if not isinstance(meta, dict):
            raise ValueError(f"{slug}: the front-matter must be a mapping")
        body = body.partition("\n")[2]
    return Article(slug=slug, title=str(meta.get("title") or slug), tags=_strings(meta.get("tags")),
                   queues=_strings(meta.get("queues")), ivr=_strings(meta.get("ivr")), body=body.strip())


def load_articles(folder: Path = KB_DIR) -> dict[str, Article]:
    articles = {}
    for path in sorted(Path(folder).glob("*.md")):
        if SLUG.match(path.stem):
            articles[path.stem] = parse_article(path.stem, path.read_text(encoding="utf-8"))
    return articles


def words(texts: Iterable[str]) -> set[str]:
    return {w.lower() for t in texts for w in WORD.findall(str(t or "")) if len(w) > 2 or not w.isascii()}


def score(article: Article, queue: str | None, ivr_path: Iterable[str], keywords: set[str]) -> int:
    points = QUEUE_POINTS if queue and queue.lower() in article.queues else 0
    points += IVR_POINTS * len({s.lower() for s in ivr_path} & set(article.ivr))
    vocabulary = words((*article.tags, article.title))
    points += KEYWORD_POINTS * len(keywords & vocabulary)
    return points


def suggest(articles: Iterable[Article], queue: str | None = None, ivr_path: Iterable[str] = (),
            keywords: Iterable[str] = (), limit: int = 3) -> list[Article]:
    """Best first; articles that match nothing are left out; ties keep the title order."""
    wanted, path = words(keywords), list(ivr_path)
    scored = [(score(a, queue, path, wanted), a) for a in articles]
    ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1].title))
    return [a for _, a in ranked[:limit]]
