"""CSV customer import: E.164 numbers, duplicates merged, rejected rows reported by line."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from records.customers import find_by_number, upsert_customer
from records.db import session_factory
from records.importer import import_customers
from records.models import Customer

CSV = """name,number,tier,tags,language,account,company
Ann Lee,(415) 555-0100,VIP,vip;enterprise,en,A-1,Lee Logistics
Bob Ray,+1 415 555 0200,,,en,,
Ann Lee,415-555-0101,,churn-risk,,A-1,
"Multi
Line",+14155550300,,,,,"Acme, Inc."
No Number,,,,,,
Bad Number,12,,,,,
,+14155550400,,,,,
Too,Many,Columns,x,y,z,w,v
王伟,+86 138 0013 8000,gold,,zh,,
"""


@pytest.fixture
def sessions(sqlite_db):
    return session_factory(sqlite_db)


def test_import_normalizes_merges_and_reports_lines(sessions):
    with sessions() as session:
        report = import_customers(session, CSV.encode("utf-8-sig"))
        session.commit()
    assert report.created == 4 and report.updated == 0 and report.merged == 1
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejected] == [
        (7, "no number"), (8, "not a phone number"), (9, "no name"), (10, "8 columns where the header has 7")]
    with sessions() as session:
        ann = find_by_number(session, "+14155550101")
        assert ann is find_by_number(session, "+14155550100")
        assert ann.tier == "vip" and ann.tags == ["vip", "enterprise", "churn-risk"]
        assert ann.fields == {"company": "Lee Logistics"} and ann.account == "A-1"
        assert find_by_number(session, "+14155550300").fields == {"company": "Acme, Inc."}
        assert find_by_number(session, "+8613800138000").name == "王伟"
        assert len(session.scalars(select(Customer)).all()) == 4


def test_rows_matching_an_existing_customer_update_it(sessions):
    with sessions() as session:
        upsert_customer(session, "+14155550100", "Old Name", "gold", ["x"], {"plan": "Basic"})
        session.commit()
    with sessions() as session:
        report = import_customers(session, "name,phone,tags\nNew Name,4155550100,y\n")
        session.commit()
        assert (report.created, report.updated) == (0, 1)
        customer = find_by_number(session, "+14155550100")
        assert customer.name == "New Name" and customer.tier == "gold"
        assert customer.tags == ["x", "y"] and customer.fields == {"plan": "Basic"}


def test_a_row_spanning_two_customers_is_rejected(sessions):
    with sessions() as session:
        upsert_customer(session, "+14155550100", "A")
        upsert_customer(session, "+14155550101", "B")
        session.commit()
    with sessions() as session:
        report = import_customers(session, "name,number\nAB,+14155550100;+14155550101\n")
        assert report.created == report.updated == 0
        assert report.rejected[0].line == 2 and "several existing customers" in report.rejected[0].reason


@pytest.mark.parametrize("text,message", [("", "empty"), ("name,email\nA,a@b\n", "number column")])
def test_a_file_without_the_needed_columns_is_refused(sessions, text, message):
    with sessions() as session, pytest.raises(ValueError, match=message):
        import_customers(session, text)


def test_non_utf8_is_refused(sessions):
    with sessions() as session, pytest.raises(ValueError, match="UTF-8"):
        import_customers(session, "name,number\nJosé,+14155550100\n".encode("latin-1"))


def test_long_names_are_rejected_not_truncated(sessions):
    with sessions() as session:
        report = import_customers(session, f"name,number\n{'x' * 301},+14155550100\n")
    assert report.rejected[0].reason == "name is longer than 300 characters"
