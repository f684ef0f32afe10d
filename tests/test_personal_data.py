"""Personal cards of students and parents as the school's personal-data setting allows (R-A06), the
parents who are one person across schools, and the staff cards (R-A07)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.models import Membership, Person
from accounts.roles import Role
from accounts.services import PersonData
from audit.models import AuditRecord
from core.errors import PermissionDenied, ValidationFailed
from roster import services
from roster.models import Guardianship, PersonalDataSettings, PersonCard, StaffCard
from tenants.db import use_school
from tests.conftest import make_class
from tests.test_roster import Roster, make_roster

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def roster(school_a: Any, make_person: Any, grant: Any) -> Roster:
    return make_roster(school_a, make_person, grant)


def _switch(roster: Roster, **flags: bool) -> None:
    roster.enter()
    current = {name: getattr(PersonalDataSettings.current(), name) for name in services.SETTINGS_AUDITED}
    services.update_personal_data_settings(roster.admin, roster.school, **{**current, **flags})


# --- the setting (R-A06) ---------------------------------------------------------------------------

def test_school_that_forbids_phones_and_addresses(roster: Roster, client_for: Any) -> None:
    """R-A06 (001 §3.3: addresses and phones are not entered): with phones and addresses switched off, the
    service refuses them with a clear error, the card form has no such fields, and the API refuses them too."""
    student = roster.admit(roster.c5a, "Безтелефонов")
    _switch(roster, collect_phone=False, collect_address=False, collect_email=True)
    with pytest.raises(ValidationFailed) as exc:
        services.save_family_card(roster.admin, roster.school, student, card=services.CardData(phone="+7 912 345-67-89"))
    assert exc.value.code == "field_not_collected"
    assert exc.value.fields["phone"] == ["Школа не собирает телефоны: поле отключено в настройке персональных данных."]
    assert not PersonCard.objects.filter(person=student).exists()
    services.save_family_card(roster.admin, roster.school, student, card=services.CardData(email="Mama@Example.ru"))
    assert PersonCard.objects.get(person=student).email == "mama@example.ru"

    client = client_for(roster.admin)
    form = client.get(f"/s/{roster.school.slug}/students/{student.pk}/edit/").content.decode()
    assert 'name="email"' in form and 'name="phone"' not in form and 'name="address"' not in form
    api = f"/api/v1/schools/{roster.school.slug}/students/{student.pk}/"
    refused = client.patch(api, {"address": "ул. Садовая, 1"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "field_not_collected" and "address" in refused.json()["error"]["fields"]
    card = client.get(api).json()["card"]
    assert card == {"email": "mama@example.ru"}  # switched-off fields are not even named


def test_switching_off_offers_erasure_which_blanks_every_card_and_is_audited(roster: Roster, client_for: Any) -> None:
    """R-A06: switching a field off keeps what was stored until an explicit erase, which the settings page
    offers; the erase blanks the field in every card, is audited, and the log never held the values."""
    a, b = roster.admit(roster.c5a, "Первый"), roster.admit(roster.c5a, "Второй")
    _switch(roster, collect_phone=True, collect_address=True)
    services.save_family_card(roster.admin, roster.school, a, card=services.CardData(phone="+7 900 111-22-33", address="ул. Лесная, 5"))
    services.save_family_card(roster.ct, roster.school, b, card=services.CardData(phone="89001112244"))
    _switch(roster, collect_phone=False)
    client = client_for(roster.admin)
    url = f"/s/{roster.school.slug}/personal-data/"
    page = client.get(url).content.decode()
    assert 'data-testid="erase-phone"' in page and "в 2 карточках" in page
    api = f"/api/v1/schools/{roster.school.slug}/personal-data/"
    assert client.get(api).json()["stored_not_collected"] == {"phone": 2}
    refused = client.post(f"{api}erase/", {"field": "address"}, content_type="application/json")
    assert refused.status_code == 400 and "сначала отключите это поле" in refused.json()["error"]["message"]
    assert client.post(url, {"action": "erase", "field": "phone"}).status_code == 302
    roster.enter()
    assert list(PersonCard.objects.values_list("phone", flat=True)) == ["", ""]
    assert PersonCard.objects.get(person=a).address == "ул. Лесная, 5"
    erase = AuditRecord.objects.get(action="personal_data.erase")
    assert erase.after == {"field": "phone", "cards": 2}
    logged = " ".join(str(r.before) + str(r.after) for r in AuditRecord.objects.filter(school=roster.school))
    assert "111-22-33" not in logged and "89001112244" not in logged and "Лесная" not in logged


def test_settings_page_and_api_switch_fields(roster: Roster, client_for: Any) -> None:
    """R-A06: the setting is the school's: administration and the people-card keepers change it; the API too."""
    client = client_for(roster.hr)
    response = client.post(f"/s/{roster.school.slug}/personal-data/", {"action": "save", "collect_email": "on", "collect_snils": "on"})
    assert response.status_code == 302
    roster.enter()
    settings = PersonalDataSettings.current()
    assert (settings.collect_phone, settings.collect_address, settings.collect_email, settings.collect_snils) == (False, False, True, True)
    put = client.put(f"/api/v1/schools/{roster.school.slug}/personal-data/",
                     {"collect_phone": True, "collect_address": False, "collect_email": True, "collect_snils": False},
                     content_type="application/json")
    assert put.json()["collect_phone"] is True
    assert AuditRecord.objects.filter(action="personal_data.settings").count() == 2
    with pytest.raises(PermissionDenied):
        services.update_personal_data_settings(roster.deputy, roster.school, collect_phone=True, collect_address=True,
                                               collect_email=True, collect_snils=True)


@pytest.mark.parametrize(("card", "field"), [
    (services.CardData(phone="12-34"), "phone"),
    (services.CardData(email="не-почта"), "email"),
    (services.CardData(snils="112-233-445 96"), "snils"),
    (services.CardData(snils="123"), "snils"),
])
def test_card_values_are_checked(roster: Roster, card: services.CardData, field: str) -> None:
    """R-A06: phone, e-mail and СНИЛС (with its checksum) are checked before they are stored."""
    student = roster.admit(roster.c5a, "Проверкин")
    _switch(roster, collect_phone=True, collect_snils=True)
    with pytest.raises(ValidationFailed) as exc:
        services.save_family_card(roster.admin, roster.school, student, card=card)
    assert field in exc.value.fields
    services.save_family_card(roster.admin, roster.school, student, card=services.CardData(snils="11223344595"))
    assert PersonCard.objects.get(person=student).snils == "112-233-445 95"


def test_minimum_is_required_for_students_and_parents(roster: Roster) -> None:
    """R-A06 (004 §V): surname, name, sex and date of birth of every new student and parent."""
    roster.enter()
    with pytest.raises(ValidationFailed) as exc:
        services.enrol_student(roster.admin, roster.school, PersonData("Безпола", "Ира"), roster.c5a, order=roster.order,
                               on=D(2026, 9, 1))
    assert set(exc.value.fields) == {"sex", "birth_date"}
    student = roster.admit(roster.c5a, "Полный")
    with pytest.raises(ValidationFailed) as exc:
        services.add_guardian(roster.admin, roster.school, student, PersonData("Мамина", "", sex="f", birth_date=D(1980, 1, 1)))
    assert "name" in exc.value.fields
    with pytest.raises(ValidationFailed):
        services.save_family_card(roster.admin, roster.school, student,
                                  data=PersonData("Полный", "Иван", sex="m", birth_date=dt.date.today() + dt.timedelta(days=1)))


# --- parents and who edits what ------------------------------------------------------------------------

def test_parent_with_children_in_two_schools_is_one_person(roster: Roster, school_b: Any, make_person: Any, grant: Any) -> None:
    """R-A06, R-P02: a mother with a son in school A and a daughter in school B is one person, with a parent
    role in each school; matched by surname, name, patronymic and date of birth, or by login."""
    son = roster.admit(roster.c5a, "Семьин", "Костя")
    mother = PersonData("Семьина", "Ольга", "Петровна", sex="f", birth_date=D(1984, 4, 4))
    link_a = services.add_guardian(roster.ct, roster.school, son, mother, kind="mother")
    admin_b = make_person("Бобров", "Борис")
    grant(admin_b, Role.SCHOOL_ADMIN, school_b)
    use_school(school_b)
    b_class = make_class(3, "А")
    daughter = services.enrol_student(admin_b, school_b, PersonData("Семьина", "Лиза", sex="f", birth_date=D(2019, 1, 1)), b_class,
                                      order=services.OrderData("1", D(2026, 9, 1))).student
    link_b = services.add_guardian(admin_b, school_b, daughter, PersonData("СЕМЬИНА", "ольга", "Петровна", sex="f",
                                                                           birth_date=D(1984, 4, 4)), kind="mother")
    assert link_a.parent_id == link_b.parent_id
    assert Person.objects.filter(surname="Семьина", name="Ольга").count() == 1
    assert set(Membership.objects.filter(person_id=link_a.parent_id, role=Role.PARENT).values_list("school__slug", flat=True)) == {
        "alpha", "beta"}
    father = make_person("Семьин", "Андрей", login="semin.a")
    by_login = services.add_guardian(admin_b, school_b, daughter, PersonData("Семьин", "Андрей", login="semin.a"), kind="father")
    assert by_login.parent_id == father.pk
    with pytest.raises(ValidationFailed) as exc:  # a login of somebody else
        services.add_guardian(admin_b, school_b, daughter, PersonData("Иванов", "Иван", sex="m", birth_date=D(1980, 1, 1),
                                                                      login="semin.a"))
    assert "login" in exc.value.fields
    with pytest.raises(ValidationFailed):  # the same link twice
        services.add_guardian(admin_b, school_b, daughter, father, kind="father")


def test_class_teacher_keeps_cards_of_own_class_only(roster: Roster, client_for: Any) -> None:
    """R-A06 (004 §V, 001 §3.3): the class teacher edits the cards of their class's students and parents and
    adds parents; not another class's, and no staff card."""
    mine, other = roster.admit(roster.c5a, "Свойский"), roster.admit(roster.c5b, "Чужаков")
    parent = services.add_guardian(roster.admin, roster.school, mine, PersonData("Свойская", "Мать", sex="f", birth_date=D(1985, 1, 1)),
                                   kind="mother").parent
    client = client_for(roster.ct)
    s = roster.school.slug
    assert client.post(f"/s/{s}/students/{mine.pk}/edit/", {"surname": "Свойский", "name": "Иван", "patronymic": "Ильич", "sex": "m",
                                                            "birth_date": "2015-03-01", "email": "ivan@example.ru"}).status_code == 302
    patched = client.patch(f"/api/v1/schools/{s}/parents/{parent.pk}/", {"patronymic": "Петровна"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["patronymic"] == "Петровна"
    added = client.post(f"/api/v1/schools/{s}/students/{mine.pk}/guardians/",
                        {"kind": "father", "surname": "Свойский", "name": "Отец", "sex": "m", "birth_date": "1983-03-03"},
                        content_type="application/json")
    assert added.status_code == 201 and added.json()["kind_label"] == "отец"
    assert client.get(f"/s/{s}/students/{other.pk}/edit/").status_code == 403
    assert client.patch(f"/api/v1/schools/{s}/students/{other.pk}/", {"name": "Взлом"}, content_type="application/json").status_code == 403
    assert client.get(f"/api/v1/schools/{s}/staff-cards/").status_code == 403
    roster.enter()
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.patronymic, other.name) == ("Ильич", "Иван")
    assert Guardianship.objects.filter(student=mine).count() == 2
    with pytest.raises(PermissionDenied):
        services.save_family_card(roster.ct, roster.school, other, card=services.CardData(email="x@example.ru"))


def test_guardian_page_add_and_remove(roster: Roster, client_for: Any) -> None:
    """R-A06: on the student's page the administration adds a parent (with an e-mail, collected by default)
    and removes a wrong link; the parent's role ends with the last link."""
    student = roster.admit(roster.c5a, "Страничный")
    client = client_for(roster.admin)
    url = f"/s/{roster.school.slug}/students/{student.pk}/guardians/"
    response = client.post(url, {"action": "add", "kind": "guardian", "surname": "Опекунова", "name": "Зоя", "sex": "f",
                                 "birth_date": "1970-07-07", "email": "zoya@example.ru"})
    assert response.status_code == 302
    page = client.get(f"/s/{roster.school.slug}/students/{student.pk}/").content.decode()
    assert "Опекунова Зоя" in page and "опекун (попечитель)" in page and "zoya@example.ru" in page
    roster.enter()
    parent = Person.objects.get(surname="Опекунова")
    assert client.post(url, {"action": "remove", "parent": parent.pk}).status_code == 302
    roster.enter()
    assert not Guardianship.objects.filter(student=student).exists()
    assert not Membership.objects.current(dt.date.today() + dt.timedelta(days=1)).filter(person=parent, role=Role.PARENT).exists()


# --- staff cards (R-A07) -----------------------------------------------------------------------------

def test_staff_card_holds_what_004_requires(roster: Roster, client_for: Any) -> None:
    """R-A07 (004 §V): surname, name, patronymic, sex, date of birth, main position, grade/category,
    functions, diploma speciality. The director hires through the API: card plus role from the order's date."""
    client = client_for(roster.admin)
    api = f"/api/v1/schools/{roster.school.slug}/staff-cards/"
    hired = client.post(api, {"surname": "Учителева", "name": "Анна", "patronymic": "Борисовна", "sex": "f", "birth_date": "1988-08-08",
                              "position": "Учитель русского языка", "category": "высшая", "rank": "14", "functions": "классное руководство",
                              "diploma_speciality": "Филология", "hired_on": "2026-08-25", "hire_order_number": "12-к",
                              "role": "teacher"}, content_type="application/json")
    assert hired.status_code == 201, hired.content
    body = hired.json()
    assert (body["position"], body["category"], body["rank"], body["diploma_speciality"], body["roles"]) == (
        "Учитель русского языка", "высшая", "14", "Филология", ["Учитель"])
    membership = Membership.objects.get(person_id=body["person_id"], school=roster.school, role=Role.TEACHER)
    assert membership.since == D(2026, 8, 25)
    # The HR clerk keeps cards, but appoints nobody: the role is the administrator's to give (R-P03).
    hr = client_for(roster.hr)
    updated = hr.put(f"{api}{body['person_id']}/", {"position": "Учитель литературы", "category": "первая", "sex": "f"},
                     content_type="application/json")
    assert updated.status_code == 200 and updated.json()["position"] == "Учитель литературы"
    refused = hr.post(api, {"surname": "Х", "name": "Х", "sex": "m", "birth_date": "1980-01-01", "position": "Учитель",
                            "hired_on": "2026-09-01"}, content_type="application/json")
    assert refused.status_code == 403
    missing = client.put(f"{api}{body['person_id']}/", {"position": ""}, content_type="application/json")
    assert missing.status_code == 400
    page = client.get(f"/s/{roster.school.slug}/staff-cards/").content.decode()
    assert "Учитель литературы" in page and "Учителева Анна Борисовна" in page


def test_staff_card_pages(roster: Roster, client_for: Any) -> None:
    """R-A07: the HR clerk fills an existing teacher's card on the page; a stranger's id is 404."""
    client = client_for(roster.hr)
    url = f"/s/{roster.school.slug}/staff-cards/{roster.teacher.pk}/"
    response = client.post(url, {"surname": "Сорокин", "name": "Олег", "sex": "m", "birth_date": "1980-01-01",
                                 "position": "Учитель физики", "diploma_speciality": "Физика"})
    assert response.status_code == 302
    roster.enter()
    card = StaffCard.objects.get(person=roster.teacher)
    assert (card.position, card.diploma_speciality) == ("Учитель физики", "Физика")
    assert client.get(f"/s/{roster.school.slug}/staff-cards/999999/").status_code == 404
    assert client.get(f"/s/{roster.school.slug}/staff-cards/new/").status_code == 403
    admin = client_for(roster.admin)
    hired = admin.post(f"/s/{roster.school.slug}/staff-cards/new/", {"surname": "Новиков", "name": "Илья", "sex": "m",
                                                                     "birth_date": "1990-01-01", "position": "Учитель истории",
                                                                     "hired_on": "2026-09-01", "role": "teacher"})
    assert hired.status_code == 302
    with pytest.raises(ValidationFailed):
        services.save_staff_card(roster.admin, roster.school, roster.admit(roster.c5a, "Ученичков"),
                                 services.StaffCardData(position="Ученик"))
