"""Knowledge-base suggestions for the wrap-up panel: by the call's queue, IVR path and keywords."""
from __future__ import annotations

from flask import current_app, jsonify, request

from web.json_api import _error, bp
from web.kb import KB_DIR, SLUG, load_articles, suggest
from web.roles import role_required

MAX_KEYWORD_TEXT = 2000


def articles():
    cached = current_app.extensions.get("hotline.kb")
    if cached is None:
        cached = load_articles(current_app.config.get("KB_DIR") or KB_DIR)
        current_app.extensions["hotline.kb"] = cached
    return cached


@bp.get("/kb/suggest")
@role_required("agent")
def kb_suggest():
    queue = (request.args.get("queue") or "")[:64]
    ivr = [step[:64] for step in request.args.getlist("ivr")[:20]]
    keywords = (request.args.get("q") or "")[:MAX_KEYWORD_TEXT]
    found = suggest(articles().values(), queue, ivr, [keywords], limit=5)
    return jsonify(articles=[{"slug": a.slug, "title": a.title, "excerpt": a.excerpt()} for a in found])


@bp.get("/kb/<slug>")
@role_required("agent")
def kb_article(slug: str):
    article = articles().get(slug) if SLUG.match(slug) else None
    if article is None:
        return _error("no such article", 404)
    return jsonify(slug=article.slug, title=article.title, body=article.body, tags=list(article.tags))
