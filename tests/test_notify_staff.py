"""Notices for staff (R-D06, R-D03, R-D09): the platform tells the people of a school of what
concerns them — an abuse report reaches the director, the deputy and the administrator, a new
message reaches a teacher who asked for it — and they read those notices like families do: the
notices page and API (list, mark read), the header link, their own channels (the in-platform list
on; e-mail only to an address they entered and confirmed themselves, by the families' flow).

The settings show only what applies to the person's roles: no evening summary or absence notices
for a teacher, no staff kinds for a parent, both for a parent who also teaches. Family behaviour is
unchanged (tests/test_notify.py, test_notify_more.py, test_notify_push.py).

The world is tests/test_messaging.py's (`mw`): school A with a director, a secretary, teachers, a
class teacher, parents and students; school B."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Person
from accounts.roles import Role
from accounts.selectors import access_for
from audit.models import AuditRecord
from messaging import services as messaging
from messaging.models import AbuseReport, Message
from notify import sender
from notify.models import ContactEmail, Delivery, Notice, NoticeKind, NotifySettings
from tenants.db import use_public, use_school
from tests import test_messaging as mbase
from tests.test_messaging import MW, fresh, write

mw, _media = mbase.mw, mbase._media

pytestmark = pytest.mark.django_db

NOTICES, SETTINGS = "/notify/notices/", "/notify/"
API = "/api/v1/notify/"


def report(mw: MW, reporter: Person, author: Person, body: str = "Грубое сообщение") -> AbuseReport:
    """`author` writes to `reporter`, who reports the message to the administration."""
    use_school(mw.school)
    conversation = write(mw, author, [reporter], body)
    result = messaging.report_abuse(fresh(reporter), mw.school, Message.objects.get(conversation=conversation))
    use_public()
    return result


def abuse_notices(person: Person) -> list[Notice]:
    return list(Notice.objects.filter(recipient=person, payload__what="abuse_report"))


@pytest.fixture
def deputy(mw: MW, make_person: Any, grant: Any) -> Person:
    person = make_person("Завучева", "Галина")
    use_public()
    grant(person, Role.DEPUTY, mw.school)
    use_school(mw.school)
    return person


# --- the director reads the abuse report's notice -----------------------------------------------------

def test_abuse_report_notice_opens_for_the_director_on_the_page_and_in_the_api(mw: MW, client_for: Any) -> None:
    """R-D06: a parent reports a teacher's message; the director (not a parent) finds the notice
    from the header, on the notices page with a link to the reports, and in the API, and marks it
    read. No e-mail without an address of their own (R-D09): the list only."""
    report(mw, mw.parent, mw.teacher)
    (notice,) = abuse_notices(mw.director)
    assert notice.in_app and not Delivery.objects.filter(notice=notice).exists()
    director = client_for(mw.director)

    home = director.get("/home/", follow=True).content.decode()
    assert 'data-testid="notify-link"' in home
    page = director.get(NOTICES)
    text = page.content.decode()
    assert page.status_code == 200 and notice.title in text and 'data-testid="unread">1<' in text
    assert 'href="http://' in text or 'href="https://' in text  # the reports page is a link
    assert f"/s/{mw.school.slug}/messages/reports/" in text

    body = director.get(f"{API}notices/").json()
    assert body["count"] == 1 and body["unread"] == 1
    assert body["results"][0]["id"] == notice.pk and body["results"][0]["payload"]["what"] == "abuse_report"
    assert director.post(f"{API}notices/{notice.pk}/read/").json()["read"] is True
    assert director.get(f"{API}notices/?unread=1").json()["count"] == 0
    assert director.post(f"{API}notices/read-all/").json() == {"marked": 0}


def test_the_page_marks_a_staff_notice_read(mw: MW, client_for: Any, deputy: Person) -> None:
    """R-D06: the deputy marks one notice read on the page, then all of them."""
    report(mw, mw.parent, mw.teacher, "Первое")
    report(mw, mw.parent2, mw.teacher, "Второе")
    first, second = abuse_notices(deputy)
    c = client_for(deputy)
    assert c.post(f"{NOTICES}{first.pk}/read/").status_code == 302
    assert Notice.objects.get(pk=first.pk).read_at is not None and Notice.objects.get(pk=second.pk).read_at is None
    assert c.post(f"{NOTICES}read-all/").status_code == 302
    assert Notice.objects.get(pk=second.pk).read_at is not None


# --- nobody else's notices --------------------------------------------------------------------------

def test_a_teacher_cannot_see_or_mark_another_persons_notice(mw: MW, client_for: Any) -> None:
    """R-D06 (bad input: somebody else's id): the teacher's list does not show the director's
    notice; reading or marking it is «not found» (404) on the page and in the API, recorded as an
    access attempt, and the notice stays unread. A parent is refused the same way."""
    report(mw, mw.parent, mw.teacher)
    (notice,) = abuse_notices(mw.director)
    for person in (mw.teacher, mw.parent):
        c = client_for(person)
        assert notice.title not in c.get(NOTICES).content.decode()
        assert c.get(f"{API}notices/").json()["count"] == 0
        assert c.post(f"{NOTICES}{notice.pk}/read/").status_code == 404
        r = c.post(f"{API}notices/{notice.pk}/read/")
        assert r.status_code == 404 and r.json()["error"]["code"]
        assert AuditRecord.objects.filter(actor=person, action="access.refused", object_repr=f"notify.notice {notice.pk}").exists()
    assert Notice.objects.get(pk=notice.pk).read_at is None


def test_anonymous_is_sent_to_sign_in_and_the_api_answers_401(mw: MW) -> None:
    """R-A04: without signing in, the pages redirect to /login/ and the API refuses with its JSON
    error; nothing is marked."""
    report(mw, mw.parent, mw.teacher)
    (notice,) = abuse_notices(mw.director)
    anonymous = Client()
    for path in (SETTINGS, NOTICES):
        r = anonymous.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/login/")
    r = anonymous.post(f"{NOTICES}{notice.pk}/read/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    for path in ("settings/", "notices/", "email/"):
        r = anonymous.get(f"{API}{path}")
        assert r.status_code == 401 and r.json()["error"]["code"], path
    assert anonymous.post(f"{API}notices/{notice.pk}/read/").status_code == 401
    assert Notice.objects.get(pk=notice.pk).read_at is None


# --- e-mail: entered and confirmed by the director themselves ----------------------------------------

def test_director_with_a_confirmed_email_gets_the_letter(mw: MW, client_for: Any, deputy: Person) -> None:
    """R-D09 for staff: the director enters an address on the settings page (the families' flow);
    until they follow the link only the confirmation letter goes there (e-mail off until
    confirmed), then the next abuse report comes as a letter too. The deputy, with no address,
    gets the notice in the list only."""
    director = client_for(mw.director)
    r = director.post(SETTINGS, {"action": "email", "email": "Director@School.example"})
    assert r.status_code == 302
    report(mw, mw.parent, mw.teacher, "Первое")
    sender.send_pending()
    (letter,) = [m for m in mail.outbox if "Director@school.example" in m.to]
    assert "сообщениях и жалобах" in letter.body and "отметках" not in letter.body
    assert not ContactEmail.objects.get(person=mw.director).usable

    path = re.search(r"https?://[^/\s]+(/notify/confirm/[^\s]+/)", letter.body).group(1)  # type: ignore[union-attr]
    assert director.get(path).status_code == 200 and not ContactEmail.objects.get(person=mw.director).usable
    assert director.post(path).status_code == 200 and ContactEmail.objects.get(person=mw.director).usable
    assert "подтверждён" in director.get(SETTINGS).content.decode()

    mail.outbox.clear()
    report(mw, mw.parent2, mw.teacher, "Второе")
    result = sender.send_pending()
    assert result.sent == 1
    (letter,) = mail.outbox
    assert letter.to == ["Director@school.example"] and letter.subject.startswith("Жалоба на сообщение")
    assert "Второе" not in letter.body and f"/s/{mw.school.slug}/messages/reports/" in letter.body
    # Both reports are in both lists; the deputy has no address, so nothing was mailed to them.
    assert len(abuse_notices(mw.director)) == 2 and all(n.in_app for n in abuse_notices(deputy))
    assert not Delivery.objects.filter(notice__recipient=deputy).exists()


def test_staff_email_through_the_api(mw: MW, client_for: Any) -> None:
    """R-D09: the same address API serves staff (enter, confirm with the key, remove)."""
    from notify.services import confirmation_token

    c = client_for(mw.teacher)
    assert c.get(f"{API}email/").json() == {"email": None, "confirmed": False, "bounced": False}
    assert c.post(f"{API}email/", {"email": "teacher@example.ru"}, content_type="application/json").status_code == 202
    token = confirmation_token(mw.teacher.pk, "teacher@example.ru")
    assert client_for(mw.director).post(f"{API}email/confirm/", {"token": token}, content_type="application/json").status_code == 403
    assert c.post(f"{API}email/confirm/", {"token": token}, content_type="application/json").json()["confirmed"] is True
    assert c.delete(f"{API}email/").status_code == 204 and not ContactEmail.objects.filter(person=mw.teacher).exists()


# --- settings: only what applies to the person's roles -----------------------------------------------

def _inputs(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select)[^>]* name="([a-z_]+)"', html)) - {"csrfmiddlewaretoken", "action", "email"}


def test_settings_form_shows_only_what_applies_to_the_roles(mw: MW, client_for: Any, grant: Any) -> None:
    """R-D06, R-D03: a teacher sets new-message notices and the channels (list, e-mail), not the
    family's summary, absences or push; the director also abuse reports; a parent sees the family's
    settings only; a teacher who is also a parent in the school sees both."""
    teacher = _inputs(client_for(mw.teacher).get(SETTINGS).content.decode())
    assert teacher == {"staff_messages_now", "in_app", "by_email"}
    director_page = client_for(mw.director).get(SETTINGS).content.decode()
    assert _inputs(director_page) == {"staff_messages_now", "abuse_reports_now", "in_app", "by_email"}
    assert 'id="push"' not in director_page and "Семье" not in director_page
    parent_page = client_for(mw.parent).get(SETTINGS).content.decode()
    assert _inputs(parent_page) == {"daily_summary", "summary_time", "any_absence_now", "unexcused_absence_now",
                                    "final_marks_now", "messages_now", "in_app", "by_email", "by_push"}
    assert 'id="push"' in parent_page and "По работе в школе" not in parent_page

    use_public()
    grant(mw.teacher, Role.PARENT, mw.school)
    both = _inputs(client_for(fresh(mw.teacher)).get(SETTINGS).content.decode())
    assert both == _inputs(parent_page) | {"staff_messages_now"}


def test_staff_save_their_settings_on_the_page_and_in_the_api(mw: MW, client_for: Any) -> None:
    """R-D06: the teacher's form saves only their fields (the family's stay at their defaults);
    the API shows and takes the fields of their roles and refuses the family's (400)."""
    c = client_for(mw.teacher)
    assert c.post(SETTINGS, {"action": "settings", "staff_messages_now": "on", "in_app": "on"}).status_code == 302
    row = NotifySettings.objects.get(person=mw.teacher)
    assert row.staff_messages_now and row.in_app and not row.by_email
    assert row.daily_summary and row.by_push and row.abuse_reports_now  # untouched defaults
    assert AuditRecord.objects.filter(actor=mw.teacher, action="notify.settings").count() == 1

    body = c.get(f"{API}settings/").json()
    assert body == {"by_email": False, "in_app": True, "staff_messages_now": True,
                    "applies": ["by_email", "in_app", "staff_messages_now"]}
    r = c.patch(f"{API}settings/", {"summary_time": "20:00", "abuse_reports_now": False}, content_type="application/json")
    assert r.status_code == 400 and set(r.json()["error"]["fields"]) == {"summary_time", "abuse_reports_now"}
    r = c.patch(f"{API}settings/", {"by_email": True}, content_type="application/json")
    assert r.status_code == 200 and r.json()["by_email"] is True

    d = client_for(mw.director)
    assert d.get(f"{API}settings/").json()["abuse_reports_now"] is True
    assert d.patch(f"{API}settings/", {"abuse_reports_now": False}, content_type="application/json").json()["abuse_reports_now"] is False
    # A parent's API is unchanged: no staff fields, and they are refused.
    p = client_for(mw.parent)
    assert "staff_messages_now" not in p.get(f"{API}settings/").json()
    assert p.patch(f"{API}settings/", {"staff_messages_now": True}, content_type="application/json").status_code == 400


# --- the outbox follows the staff's choices ----------------------------------------------------------

def test_abuse_reports_follow_the_administrations_choices(mw: MW, deputy: Person) -> None:
    """R-D06: a director who switched abuse reports off gets no notice (the open report stays
    counted on the messaging tab); the deputy still does. A deputy who switched the list off and
    has no confirmed address still finds it in the list (nothing lost, as for families)."""
    NotifySettings.objects.create(person=mw.director, abuse_reports_now=False)
    NotifySettings.objects.create(person=deputy, in_app=False)
    report(mw, mw.parent, mw.teacher)
    assert abuse_notices(mw.director) == []
    (notice,) = abuse_notices(deputy)
    assert notice.in_app
    use_school(mw.school)
    assert AbuseReport.objects.filter(resolved_at__isnull=True).count() == 1


def test_new_message_notices_reach_staff_who_asked(mw: MW, django_capture_on_commit_callbacks: Any) -> None:
    """R-D06: a parent writes to the class teacher and the director. Staff hear of a new message
    only if they asked (`staff_messages_now`, off by default: their inbox counts it); a parent
    written to by a teacher hears of it as before."""
    NotifySettings.objects.create(person=mw.ct, staff_messages_now=True)
    with django_capture_on_commit_callbacks(execute=True):
        write(mw, mw.parent, [mw.ct, mw.director], "Вопрос о расписании")
        write(mw, mw.teacher, [mw.parent2], "Ответ")
    use_public()
    told = sorted(Notice.objects.filter(kind=NoticeKind.MESSAGE).values_list("recipient_id", flat=True))
    assert told == sorted([mw.ct.pk, mw.parent2.pk])
    notice = Notice.objects.get(recipient=mw.ct)
    assert "Вопрос" not in f"{notice.title} {notice.body}" and mw.parent.surname in notice.title


# --- the header link costs no query ------------------------------------------------------------------

def test_header_link_reads_the_roles_already_loaded(mw: MW, make_person: Any) -> None:
    """The link to the notices is in every page's header for families and staff alike, from the
    person's roles the header loads anyway: rendering the header with them costs no query, so the
    diary's week and marks pages stay within their bound (tests/test_query_counts.py)."""
    use_public()
    nobody = make_person("Без", "Роли")
    for person, shown in ((mw.teacher, True), (mw.director, True), (mw.parent, True), (nobody, False)):
        access = access_for(fresh(person))
        with CaptureQueriesContext(connection) as queries:
            html = render_to_string("base.html", {"user": person, "access": access})
        assert len(queries) == 0, [q["sql"] for q in queries]
        assert ('data-testid="notify-link"' in html) is shown


# --- access table -----------------------------------------------------------------------------------

ROUTES = [  # (route name, method, path); {own} and {other} are notice ids
    ("notify:settings", "get", SETTINGS),
    ("notify:notices", "get", NOTICES),
    ("notify:notice_read", "post", NOTICES + "{own}/read/"),
    ("notify:notices_read_all", "post", NOTICES + "read-all/"),
    ("api-notify-settings", "get", API + "settings/"),
    ("api-notify-email", "get", API + "email/"),
    ("api-notify-notices", "get", API + "notices/"),
    ("api-notify-read", "post", API + "notices/{own}/read/"),
    ("api-notify-read-all", "post", API + "notices/read-all/"),
]


def test_access_table_of_the_notice_routes(mw: MW, client_for: Any, make_person: Any, grant: Any) -> None:
    """R-D06, R-A04: every notices and settings route for anonymous (sign in / 401), a person with
    no current role (403), staff of the school and of the district, a parent (their own: 200 or a
    redirect after a POST); somebody else's notice is 404 for all of them; push stays the family's."""
    others = Notice.objects.create(recipient=mw.parent3, kind=NoticeKind.MESSAGE, key="others", title="t", body="b")
    nobody, analyst = make_person("Без", "Роли"), make_person("Аналитик", "Района")
    grant(analyst, Role.DISTRICT_ANALYST)
    people = {"teacher": mw.teacher, "secretary": mw.secretary, "director": mw.director, "parent": mw.parent,
              "student": mw.student, "analyst": analyst}
    for name, route, method, template in [(n, *r) for n in ["anonymous", "nobody", *people] for r in ROUTES]:
        person = people.get(name)
        own = Notice.objects.create(recipient=person or nobody, kind=NoticeKind.MESSAGE, key=f"own:{name}:{route}", title="t",
                                    body="b")
        client = Client() if name == "anonymous" else client_for(person or nobody)
        r = getattr(client, method)(template.format(own=own.pk), content_type="application/json")
        is_api = template.startswith(API)
        if name == "anonymous":
            expected = 401 if is_api else 302
        elif name == "nobody":
            expected = 403
        else:
            expected = 302 if method == "post" and not is_api else 200
        assert r.status_code == expected, (name, route, r.status_code)
        if name == "anonymous" and not is_api:
            assert r["Location"].startswith("/login/")
        if "{own}" in template and name != "anonymous":
            r = getattr(client, method)(template.format(own=others.pk), content_type="application/json")
            assert r.status_code == (403 if name == "nobody" else 404), (name, route, "other's")
    assert Notice.objects.get(pk=others.pk).read_at is None
    for name, status in (("teacher", 403), ("director", 403), ("analyst", 403), ("parent", 200)):
        assert client_for(people[name]).get(API + "push-subscriptions/").status_code == status, name
