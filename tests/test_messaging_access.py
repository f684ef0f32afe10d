"""Access to every messaging page and endpoint (R-D06, R-A02): another school's user, a parent
outside the conversation, a student outside it, the district administrator (no role inside the
school) and an anonymous visitor are refused; every refusal of a signed-in person, and of an
anonymous API call, leaves one "access.refused" audit record; refused writes write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditRecord
from messaging import services
from messaging.models import AbuseReport, Announcement, AnnouncementRead, Message, Participant
from tenants.db import use_public, use_school
from tests import test_messaging as base
from tests.test_messaging import MW, PDF, fresh

# The world of tests/test_messaging.py (fixtures shared by assignment).
mw, as_, _media = base.mw, base.as_, base._media

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(mw: MW) -> dict[str, int]:
    """A conversation of `parent` and `teacher` with a file, an announcement to 6Б, a report."""
    conv = services.start_conversation(fresh(mw.parent), mw.school, recipient_ids=[mw.teacher.pk], subject="Тема",
                                       body="Текст", files=[SimpleUploadedFile("a.pdf", PDF)])
    message = Message.objects.get(conversation=conv)
    reply = services.send_message(fresh(mw.teacher), mw.school, conv, body="Ответ")
    report = services.report_abuse(fresh(mw.parent), mw.school, reply, reason="")
    ann = services.publish_announcement(fresh(mw.director), mw.school, audience="class", class_id=mw.cls_6b.pk, title="6Б", body="т")
    return {"conv": conv.pk, "message": message.pk, "reply": reply.pk, "att": message.attachments.get().pk, "ann": ann.pk,
            "report": report.pk}


# (method, path under messages/, data) of things that belong to the parent–teacher conversation, the
# 6Б announcement or the administration: every outsider below is refused.
OBJECT_PAGES = [
    ("get", "{conv}/", None),
    ("post", "{conv}/", {"body": "чужой ответ"}),
    ("post", "m/{reply}/report/", {"reason": "x"}),
    ("get", "files/{att}/", None),
    ("get", "announcements/{ann}/", None),
    ("get", "reports/", None),
    ("post", "reports/", {"parents_may_write_parents": "on"}),
    ("post", "reports/{report}/resolve/", {"resolution": "x"}),
]
OBJECT_API = [
    ("get", "conversations/{conv}/", None),
    ("post", "conversations/{conv}/messages/", {"body": "чужой ответ"}),
    ("post", "conversations/{conv}/read/", None),
    ("post", "messages/{reply}/report/", {"reason": "x"}),
    ("get", "attachments/{att}/", None),
    ("get", "announcements/{ann}/", None),
    ("post", "announcements/{ann}/read/", None),
    ("get", "reports/", None),
    ("post", "reports/{report}/resolve/", {"resolution": "x"}),
]
# Lists and forms of one's own: refused only to those without a role in the school.
OWN_PAGES = [("get", "", None), ("get", "new/", None), ("get", "announcements/", None), ("get", "announcements/new/", None)]
OWN_API = [("get", "conversations/", None), ("get", "recipients/", None), ("get", "unread/", None), ("get", "announcements/", None),
           ("post", "conversations/", {"recipients": [0], "body": "x"}),
           ("post", "announcements/", {"audience": "school", "title": "x", "body": "x"})]


def _call(client: Any, method: str, url: str, data: Any, api: bool) -> Any:
    if method == "get":
        return client.get(url)
    if api:
        return client.post(url, data or {}, content_type="application/json")
    return client.post(url, data or {})


def _refusals(person: Any, school: Any) -> int:
    use_public()
    n = AuditRecord.objects.filter(action="access.refused", actor=person, school=school).count()
    use_school(school)
    return n


def _counts() -> tuple[int, ...]:
    return (Message.objects.count(), AbuseReport.objects.filter(resolved_at__isnull=False).count(), AbuseReport.objects.count(),
            AnnouncementRead.objects.count(), Announcement.objects.count(), Participant.objects.exclude(last_read_at=None).count())


@pytest.mark.parametrize("who", ["parent2", "student2", "teacher_b", "other_teacher", "district_admin"])
def test_outsiders_are_refused_every_object_page_and_endpoint_and_audited(mw: MW, objects: dict[str, int], as_: Any,
                                                                        who: str, district_admin: Any) -> None:
    """R-D06: a parent outside the conversation, a student, another school's teacher, a teacher of the
    school who is not in it and the district administrator are refused, each refusal audited once."""
    person = district_admin if who == "district_admin" else getattr(mw, who)
    client = as_(person)
    before = _counts()
    for api, table in ((False, OBJECT_PAGES), (True, OBJECT_API)):
        for method, path, data in table:
            url = (mw.api if api else mw.url)(path.format(**objects))
            n = _refusals(person, mw.school)
            response = _call(client, method, url, data, api)
            assert response.status_code == 403, (who, method, url, response.status_code)
            assert _refusals(person, mw.school) == n + 1, (who, url)
            if api:
                assert response.json()["error"]["code"] in ("forbidden", "permission_denied")
    assert _counts() == before


@pytest.mark.parametrize("who", ["teacher_b", "parent_b", "district_admin"])
def test_people_without_a_role_in_the_school_are_refused_its_lists(mw: MW, objects: dict[str, int], as_: Any, who: str,
                                                                   district_admin: Any) -> None:
    """R-D06, R-A02: another school's teacher or parent, and the district administrator, see no inbox,
    no recipients and no announcements of this school, and cannot write in it."""
    person = district_admin if who == "district_admin" else getattr(mw, who)
    client = as_(person)
    before = _counts()
    for api, table in ((False, OWN_PAGES), (True, OWN_API)):
        for method, path, data in table:
            url = (mw.api if api else mw.url)(path)
            n = _refusals(person, mw.school)
            response = _call(client, method, url, data, api)
            assert response.status_code == 403, (who, url, response.status_code)
            assert _refusals(person, mw.school) == n + 1
    assert _counts() == before
    home = client.get(f"/s/{mw.school_b.slug}/").content.decode() if who != "district_admin" else ""
    if who != "district_admin":
        assert 'data-testid="tile-messages"' in home  # their own school shows the tile


def test_another_schools_user_cannot_reach_a_conversation_through_their_own_school(mw: MW, objects: dict[str, int],
                                                                                   client_for: Any) -> None:
    """R-D06: ids are per school schema: the same id under school B's address is not school A's conversation."""
    client = client_for(mw.teacher_b)
    for url in (f"/s/{mw.school_b.slug}/messages/{objects['conv']}/", f"/s/{mw.school_b.slug}/messages/files/{objects['att']}/",
                f"/api/v1/schools/{mw.school_b.slug}/messages/conversations/{objects['conv']}/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Текст" not in response.content.decode()


def test_anonymous_is_sent_to_sign_in_on_pages_and_refused_by_the_api(mw: MW, objects: dict[str, int]) -> None:
    """R-D06: anonymous visitors get the sign-in page on every page and 401/403 from every endpoint, audited."""
    client = Client()
    for method, path, data in OBJECT_PAGES + OWN_PAGES:
        response = _call(client, method, mw.url(path.format(**objects)), data, False)
        use_school(mw.school)
        assert response.status_code == 302 and "/login" in response["Location"], path
    use_public()
    before = AuditRecord.objects.filter(action="access.refused", actor=None, school=mw.school).count()
    use_school(mw.school)
    calls = OBJECT_API + OWN_API
    for method, path, data in calls:
        response = _call(client, method, mw.api(path.format(**objects)), data, True)
        use_school(mw.school)
        assert response.status_code in (401, 403), path
        assert response.json()["error"]["code"] == "not_authenticated"
    use_public()
    assert AuditRecord.objects.filter(action="access.refused", actor=None, school=mw.school).count() == before + len(calls)


def test_participants_and_administration_reach_what_is_theirs(mw: MW, objects: dict[str, int], as_: Any) -> None:
    """The same table, allowed: the conversation's participants read it; the director reads reports."""
    for person in (mw.parent, mw.teacher):
        assert as_(person).get(mw.url(f"{objects['conv']}/")).status_code == 200
        assert as_(person).get(mw.api(f"conversations/{objects['conv']}/")).status_code == 200
        assert as_(person).get(mw.url(f"files/{objects['att']}/")).status_code == 200
    for person in (mw.parent3, mw.student3, mw.director):
        assert as_(person).get(mw.url(f"announcements/{objects['ann']}/")).status_code == 200
    assert as_(mw.director).get(mw.url("reports/")).status_code == 200
    assert as_(mw.director).get(mw.api("reports/")).status_code == 200
