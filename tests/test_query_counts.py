"""The sign-in page, the switcher, a school's home and the school API cost a constant number of
SQL queries whatever the number of schools and people (R-P01, R-P02). Kept apart from
test_isolation.py, whose module-wide world of two schools would skew the counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role as R
from tenants.models import School

pytestmark = pytest.mark.django_db


# --- constant cost ----------------------------------------------------------------------------------


def _measure(client: Client, anon: Client, teacher_client: Client) -> dict[str, int]:
    counts = {}
    for name, c, url in (("login", anon, "/login/"), ("school_home", teacher_client, "/s/alpha/"),
                         ("switcher", teacher_client, "/home/"), ("school_api", teacher_client, "/api/v1/schools/alpha/")):
        c.get(url)  # warm: session stamps, caches
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[name] = len(ctx.captured_queries)
    return counts


def test_home_and_sign_in_cost_constant_queries(school_a: School, school_b: School, make_school: Any, make_person: Any,
                                                grant: Any, client_for: Any, django_assert_num_queries: Any) -> None:
    """R-P01, R-P02: the sign-in page, the switcher and a school's home cost the same number of SQL
    queries with 2 schools as with 8 schools and 50 more people (no query per school or per person)."""
    teacher = make_person("Кулик", "Олег")
    for school in (school_a, school_b):
        grant(teacher, R.TEACHER, school)
    client = client_for(teacher)
    small = _measure(client, Client(), client)

    for _ in range(6):
        grant(teacher, R.TEACHER, make_school())
    schools = list(School.objects.real())
    assert len(schools) == 8
    for i in range(50):
        grant(make_person(f"Лишний{i}", "Человек"), [R.TEACHER, R.PARENT, R.STUDENT][i % 3], schools[i % len(schools)])
    client = client_for(teacher)
    large = _measure(client, Client(), client)
    assert small["school_home"] > 0
    assert large == small, f"queries with 2 schools {small}, with 8 schools and 50 more people {large}"
    with django_assert_num_queries(small["school_home"]):
        client.get("/s/alpha/")
    home = client.get("/home/").content.decode()
    assert all(f'data-testid="school-{s.slug}"' in home for s in schools)
