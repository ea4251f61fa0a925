"""The knowledge-base matcher is pure: queue, IVR path and keywords rank the articles."""
from __future__ import annotations

import pytest

from web.kb import load_articles, parse_article, suggest

A = parse_article("refund", "---\ntitle: Refund\ntags: [refund, invoice]\nqueues: [billing]\nivr: [billing]\n---\nbody\n")
B = parse_article("plan", "---\ntitle: Payment plan\ntags: [overdue]\nqueues: [billing]\n---\nbody\n")
C = parse_article("password", "---\ntitle: Reset password\ntags: [login]\nqueues: [support]\nivr: [menu:1]\n---\n")


def slugs(found):
    return [a.slug for a in found]


def test_queue_ivr_and_keywords_add_up():
    assert slugs(suggest([A, B, C], queue="billing")) == ["plan", "refund"]          # tie: title order
    assert slugs(suggest([A, B, C], queue="billing", ivr_path=["billing"])) == ["refund", "plan"]
    assert slugs(suggest([A, B, C], queue="billing", keywords=["I want a REFUND"])) == ["refund", "plan"]
    assert slugs(suggest([A, B, C], keywords=["cannot login"])) == ["password"]
    assert slugs(suggest([A, B, C], ivr_path=["MENU:1"])) == ["password"]


def test_nothing_matching_suggests_nothing_and_limit_holds():
    assert suggest([A, B, C], queue="sales", keywords=["hello"]) == []
    assert len(suggest([A, B, C], queue="billing", limit=1)) == 1


def test_front_matter_is_required_to_close():
    with pytest.raises(ValueError, match="not closed"):
        parse_article("x", "---\ntitle: x\n")


def test_the_shipped_articles_load():
    articles = load_articles()
    assert "refund-double-charge" in articles and all(a.title and a.body for a in articles.values())
    assert slugs(suggest(articles.values(), queue="mandarin", keywords=["运单"]))[0] == "mandarin-shipping"
