"""Students with their parents in bulk (R-Y07): the same decisions as `StudentsKind.apply`
taking each row through `accounts.services.find_or_create_person`, `roster.services.enrol_student`,
`add_guardian` and `save_family_card`, but for the whole file at once.

1. The rows are read and parsed (the kind's `parse`).
2. What the database holds about the file's people is read in a fixed number of queries:
   the people matched by full name and date of birth (one query for the file, on the match
   index), those named by login, the logins new people's logins must step over, their
   enrolments, guardianships, roles in the school and cards, the classes and the orders.
3. Each row is decided in Python against that picture, in file order, with the services'
   own rules (`check_*` of accounts and roster, `clean_person_data`, `clean_card`): what a row
   adds (a person, an order, an enrolment, a link, a role, a card) is staged and visible to
   later rows, and taken back when the row is refused — as the savepoint of a row was.
4. The import writes what the accepted rows staged in a handful of INSERTs (people, orders,
   enrolments, links, roles, cards) and the audit records, with the same content and in the
   same order as the services write them, in one INSERT (`audit.services.batched`).

The check is steps 1–3 and writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Person
from accounts.roles import Role
from accounts.selectors import MatchKey, logins_like, match_people, people_by_login
from accounts.services import (
    PersonData,
    check_login_owner,
    clean_person_data,
    ensure_may_keep_people,
    free_login,
    insert_people,
    login_candidate,
    new_person,
    pick_match,
    record_person_created,
)
from audit.services import batched
from core.errors import Conflict, DomainError
from roster.models import (
    Enrolment,
    Guardianship,
    MovementOrder,
    OrderKind,
    PersonalDataSettings,
    PersonCard,
    SchoolClass,
)
from roster.selectors import CARD_FIELDS
from roster.services import (
    CardData,
    ClassData,
    OrderData,
    card_changes,
    check_enrolled_after,
    check_family_member,
    check_guardian,
    check_guardian_kind,
    check_in_year,
    check_new_order,
    check_not_enrolled,
    check_order_kind,
    check_studies_here,
    class_year,
    clean_card,
    create_class,
    parent_role_reason,
    record_card_saved,
    record_enrolment,
    record_guardian_added,
    record_order_created,
    record_role_granted,
    student_role_reason,
)

from ..schemas import Row
from .base import Outcome, RowRejected, reported
from .common import class_key, person_fields

if TYPE_CHECKING:
    from tenants.models import School

    from .students import PersonIn, StudentIn

CLASS_FIELDS = {"grade": "class", "letter": "class", "year": "class"}
CARD_NAMES = list(CARD_FIELDS)  # phone, address, email, snils: the order of roster's `_cards` tuples
BATCH = 2000  # rows per INSERT: a 20,000-row file is a few statements per table, never one of hundreds of MB
AUDIT_FLUSH = 2000  # audit records kept in memory by the import's writes before they are inserted
SETTINGS_CHANGED = "школа изменила состав собираемых персональных данных, а строки проверялись по прежнему"


def _same(a: Any, b: Any) -> bool:
    """The same database row, or the same object not saved yet."""
    return a is b or (a.pk is not None and a.pk == b.pk)


class FamilyPlan:
    """The picture of the school and the district the file's rows are decided against, and
    the writes its accepted rows staged (`ops`, in the order the services would make them)."""

    def __init__(self, actor: Person, school: School) -> None:
        self.actor, self.school = actor, school
        self.today = timezone.localdate()
        ensure_may_keep_people(actor, school)  # the kind's permissions (people, movement) are checked before
        self.settings = PersonalDataSettings.current()
        self.classes = {class_key(c.grade, c.letter): c for c in SchoolClass.objects.filter(year__status="open").select_related("year")}
        self.class_refusal: DomainError | None = None
        self.new_class_year: Any = None
        self.orders: dict[tuple[str, dt.date], MovementOrder] = {}
        self.by_key: dict[MatchKey, list[Person]] = {}
        self.by_login: dict[str, Person] = {}
        self.taken: set[str] = set()
        self.enrolments: dict[int, list[Enrolment]] = {}  # id(person) -> rows (the database's and staged)
        self.links: dict[tuple[int, int], Guardianship] = {}  # (id(parent), id(student))
        self.parent_links: dict[int, int] = {}
        self.roles: set[tuple[int, str]] = set()  # live roles without a class in this school
        self.cards: dict[int, dict[str, str]] = {}
        self.ops: list[tuple[Any, ...]] = []
        self._undo: list[Callable[[], None]] = []
        self._keys: dict[tuple[int, str], MatchKey] = {}  # (row number, column prefix) -> match key

    # --- phase 2: what the database holds about the file ------------------------------------

    def load(self, rows: list[tuple[Row, StudentIn]]) -> None:
        people: list[tuple[int, str, PersonIn]] = []
        for row, data in rows:
            people.append((row.number, "", data.student))
            people += [(row.number, prefix, parent) for _, parent, prefix in data.parents]
        wanted = [(n, prefix, p) for n, prefix, p in people if p.birth_date is not None]
        keys, found = match_people([(p.surname.strip(), p.name.strip(), p.patronymic.strip(), p.birth_date) for _, _, p in wanted])
        self._keys = {(n, prefix): key for (n, prefix, _), key in zip(wanted, keys, strict=True)}
        instances: dict[int, Person] = {}
        for key, matches in found.items():
            self.by_key[key] = [instances.setdefault(p.pk, p) for p in matches]
        logins = {Person.normalize_login(p.login) for _, _, p in people if p.login}
        for login, person in people_by_login(logins).items():
            self.by_login[login] = instances.setdefault(person.pk, person)
        self.taken = logins_like({login_candidate(p.surname.strip(), p.name.strip(), p.patronymic.strip()) for _, _, p in people})
        orders = {(d.order_number, d.order_date) for _, d in rows if d.order_date is not None}
        if orders:
            numbers = {n for n, _ in orders}
            for order in MovementOrder.objects.filter(number__in=numbers, date__in={d for _, d in orders}):
                if (order.number, order.date) in orders:
                    self.orders[(order.number, order.date)] = order
        if not instances:
            return
        ids = list(instances)
        by_pk = {pk: id(p) for pk, p in instances.items()}
        for enrolment in Enrolment.objects.filter(student_id__in=ids).select_related("school_class__year").order_by("id"):
            self.enrolments.setdefault(by_pk[enrolment.student_id], []).append(enrolment)
        for link in Guardianship.objects.filter(parent_id__in=ids) | Guardianship.objects.filter(student_id__in=ids):
            parent, student = by_pk.get(link.parent_id), by_pk.get(link.student_id)
            if parent is not None:
                self.parent_links[parent] = self.parent_links.get(parent, 0) + 1
                if student is not None:
                    self.links[(parent, student)] = link
        live = Membership.objects.filter(person_id__in=ids, school=self.school, role__in=[Role.STUDENT, Role.PARENT],
                                         class_id=None).exclude(until__lt=self.today)
        self.roles = {(by_pk[pid], role) for pid, role in live.values_list("person_id", "role")}
        for card in PersonCard.objects.filter(person_id__in=ids):
            self.cards[by_pk[card.person_id]] = {name: getattr(card, name) for name in CARD_NAMES}

    # --- staging, taken back when a row is refused -------------------------------------------

    def apply(self, row: Row, data: StudentIn) -> Outcome:
        """One row, decided as StudentsKind.apply decides it through the services."""
        undo_mark, ops_mark = len(self._undo), len(self.ops)
        try:
            outcome = self._apply(row, data)
            if row.errors:
                raise RowRejected
        except BaseException:
            for undo in reversed(self._undo[undo_mark:]):
                undo()
            del self._undo[undo_mark:], self.ops[ops_mark:]
            raise
        del self._undo[undo_mark:]
        return outcome

    def _set(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        missing = key not in mapping
        old = mapping.get(key)
        mapping[key] = value
        self._undo.append((lambda: mapping.pop(key)) if missing else (lambda: mapping.__setitem__(key, old)))

    def _append(self, mapping: dict[Any, list[Any]], key: Any, value: Any) -> None:
        items = mapping.setdefault(key, [])
        items.append(value)
        self._undo.append(items.pop)

    def _add(self, items: set[Any], value: Any) -> None:
        if value not in items:
            items.add(value)
            self._undo.append(lambda: items.discard(value))

    # --- the services' steps, against the picture ----------------------------------------------

    def _class(self, row: Row, grade: int, letter: str) -> SchoolClass:
        """bulkimport.kinds.common.ClassCache: a class the school lacks is created (by roster.services.create_class
        at the import)."""
        key = class_key(grade, letter)
        found = self.classes.get(key)
        if found is None:
            if self.new_class_year is None and self.class_refusal is None:
                try:
                    self.new_class_year = class_year(self.actor, self.school)
                except DomainError as exc:
                    self.class_refusal = exc
            if self.class_refusal is not None:
                row.service_error(self.class_refusal, CLASS_FIELDS)
                raise RowRejected
            found = SchoolClass(year=self.new_class_year, grade=grade, letter=letter)
            row.notes.append(f"Класса {key} не было: он будет создан.")
            self._set(self.classes, key, found)
            self.ops.append(("class", found))
        return found

    def _person(self, row: Row, prefix: str, data: PersonData) -> tuple[Person, bool]:
        """accounts.services.find_or_create_person."""
        login = Person.normalize_login(data.login) if data.login else ""
        key = self._keys.get((row.number, prefix))
        if login:
            person = self.by_login.get(login)
            if person is not None:
                check_login_owner(person, data)
                return person, False
        elif data.birth_date is not None and key is not None:
            found = pick_match(self.by_key.get(key, []))
            if found is not None:
                return found, False
        clean = clean_person_data(data, login_taken=self.by_login.__contains__)
        person = new_person(clean, clean.login or free_login(login_candidate(clean.surname, clean.name, clean.patronymic), self.taken))
        self._set(self.by_login, person.login, person)
        self._add(self.taken, person.login)
        if key is not None and clean.birth_date is not None:
            self._append(self.by_key, key, person)
        self.ops.append(("person", person))
        return person, True

    def _open_enrolment(self, person: Person) -> Enrolment | None:
        return next((e for e in self.enrolments.get(id(person), []) if e.until is None), None)

    def _order(self, number: str, date: dt.date | None) -> MovementOrder | None:
        return self.orders.get((number, date)) if number and date is not None else None

    def _enrol(self, student: Person, created: bool, school_class: SchoolClass, *, on: dt.date | None, card: CardData | None,
               order: MovementOrder | OrderData) -> None:
        """roster.services.enrol_student."""
        if isinstance(order, MovementOrder):
            check_order_kind(order, (OrderKind.ENROL,))
            the_order = order
        else:
            number, note = check_new_order(OrderKind.ENROL, order)
            the_order = MovementOrder(kind=OrderKind.ENROL, number=number, date=order.date, note=note, created_by_id=self.actor.pk)
            self._set(self.orders, (number, order.date), the_order)
            self.ops.append(("order", the_order))
        day = on or the_order.date
        check_in_year(day, school_class)
        current = None if created else self._open_enrolment(student)
        check_not_enrolled(student, current.school_class if current is not None else None, school_class)
        later = [e for e in self.enrolments.get(id(student), []) if e.until is not None and e.until >= day]
        if later:
            last = max(later, key=lambda e: e.until)  # type: ignore[arg-type, return-value]
            check_enrolled_after(student, last.until, last.school_class)
        enrolment = Enrolment(student=student, school_class=school_class, since=day, order_in=the_order)
        self._append(self.enrolments, id(student), enrolment)
        self.ops.append(("enrol", enrolment, student, school_class))
        self._role(student, Role.STUDENT, the_order.date, student_role_reason(the_order))
        if card is not None:
            self._card(student, card)

    def _role(self, person: Person, role: str, since: dt.date, reason: str) -> None:
        """roster.services.ensure_membership."""
        if (id(person), role) in self.roles:
            return
        self._add(self.roles, (id(person), role))
        membership = Membership(person=person, school=self.school, role=role, class_id=None, since=since, granted_by=self.actor)
        self.ops.append(("role", membership, reason))

    def _card(self, person: Person, card: CardData) -> None:
        """roster.services._save_card."""
        values = clean_card(card, self.settings)
        if not values:
            return
        current = self.cards.get(id(person), {})
        changed = card_changes(current, values)
        if not changed:
            return
        self._set(self.cards, id(person), {**dict.fromkeys(CARD_NAMES, ""), **current, **{n: values[n] for n in changed}})
        self.ops.append(("card", person, {n: values[n] for n in changed}, changed))

    def _family_card(self, person: Person, card: CardData) -> None:
        """roster.services.save_family_card."""
        check_family_member(bool(self.enrolments.get(id(person))) or bool(self.parent_links.get(id(person))))
        self._card(person, card)

    def _guardian(self, student: Person, parent: Person, *, kind: str, card: CardData | None) -> None:
        """roster.services.add_guardian."""
        check_guardian_kind(kind)
        check_studies_here(student, self._open_enrolment(student) is not None)
        check_guardian(parent, student, linked=(id(parent), id(student)) in self.links)
        link = Guardianship(parent=parent, student=student, kind=kind)
        self._set(self.links, (id(parent), id(student)), link)
        self._set(self.parent_links, id(parent), self.parent_links.get(id(parent), 0) + 1)
        self.ops.append(("link", link, parent, student))
        self._role(parent, Role.PARENT, self.today, parent_role_reason(student))
        if card is not None:
            self._card(parent, card)

    def _cards_of(self, people: list[Person]) -> dict[int, tuple[str, ...]]:
        return {id(p): tuple(self.cards[id(p)][n] for n in CARD_NAMES) for p in people if id(p) in self.cards}

    def _apply(self, row: Row, data: StudentIn) -> Outcome:
        from .students import ENROL_FIELDS, _enrolment_day, _person_data, parent_card, parent_fields, student_card

        school_class = self._class(row, data.grade, data.letter)
        with reported(row, person_fields("")):
            student, created = self._person(row, "", _person_data(data.student))
        parents = []
        for kind, parent_in, prefix in data.parents:
            with reported(row, person_fields(prefix)):
                parent, _ = self._person(row, prefix, _person_data(parent_in))
            parents.append((kind, parent_in, prefix, parent))
        current = None if created else self._open_enrolment(student)
        enrolling = current is None or not _same(current.school_class, school_class)
        people = [student, *(p for *_, p in parents)]
        cards_before = None if enrolling else self._cards_of(people)
        card_of_student = student_card(row, data)
        if enrolling:
            order = self._order(data.order_number, data.order_date)
            with reported(row, ENROL_FIELDS):
                self._enrol(student, created, school_class, on=_enrolment_day(data, school_class), card=card_of_student,
                            order=order or OrderData(number=data.order_number, date=data.order_date))  # type: ignore[arg-type]
            if not created:
                row.notes.append("Обучающийся уже есть в районе (те же ФИО и дата рождения): новая учётная запись не создаётся.")
        elif card_of_student is not None:
            with reported(row, ENROL_FIELDS):
                self._family_card(student, card_of_student)
        linked = False
        for kind, parent_in, prefix, parent in parents:
            card = parent_card(row, prefix, parent_in)
            link = None if created else self.links.get((id(parent), id(student)))
            fields = parent_fields(prefix)
            if link is None:
                with reported(row, fields):
                    self._guardian(student, parent, kind=kind, card=card)
                linked = True
                continue
            if link.kind != kind:
                row.notes.append(f"{parent.short_name}: в школе указан(а) как «{link.get_kind_display()}», "
                                 "в файле иначе — не изменено.")
            if card is not None:
                with reported(row, fields):
                    self._family_card(parent, card)
        if enrolling:
            return Outcome("new")
        return Outcome("update" if linked or self._cards_of(people) != cards_before else "unchanged")

    # --- phase 4: the writes -------------------------------------------------------------------

    def write(self) -> None:
        """Writes what the accepted rows staged, in the caller's transaction: a few INSERTs and
        the audit records (the services' records; the order is the services' except that the
        classes the file lacks are created, and audited, first), inserted every AUDIT_FLUSH
        records. The personal-data setting the rows were decided with is locked and compared
        first: changed meanwhile, nothing is written (DomainError: the job is decided again)."""
        actor, school = self.actor, self.school
        with transaction.atomic(savepoint=False), batched(flush_every=AUDIT_FLUSH):
            self._check_settings()
            created_classes: dict[int, SchoolClass] = {}
            for op in self.ops:
                if op[0] == "class":
                    placeholder = op[1]
                    created_classes[id(placeholder)] = create_class(actor, school, ClassData(grade=placeholder.grade,
                                                                                             letter=placeholder.letter))
            # In login order: two imports (or an import and a single sign-up) inserting the same
            # logins wait for each other instead of deadlocking.
            insert_people(sorted((op[1] for op in self.ops if op[0] == "person"), key=lambda p: p.login))
            MovementOrder.objects.bulk_create([op[1] for op in self.ops if op[0] == "order"], batch_size=BATCH)
            enrolments = [op[1] for op in self.ops if op[0] == "enrol"]
            for enrolment in enrolments:
                enrolment.school_class = created_classes.get(id(enrolment.school_class), enrolment.school_class)
            Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
            Guardianship.objects.bulk_create([op[1] for op in self.ops if op[0] == "link"], batch_size=BATCH)
            Membership.objects.bulk_create([op[1] for op in self.ops if op[0] == "role"], batch_size=BATCH)
            cards = self._write_cards()
            for op in self.ops:
                what = op[0]
                if what == "person":
                    record_person_created(actor, school, op[1])
                elif what == "order":
                    record_order_created(actor, school, op[1])
                elif what == "enrol":
                    record_enrolment(actor, school, op[1], op[2], op[1].school_class)
                elif what == "role":
                    record_role_granted(actor, school, op[1], op[2])
                elif what == "link":
                    record_guardian_added(actor, school, op[1], op[2], op[3])
                elif what == "card":
                    record_card_saved(actor, school, cards[id(op[1])], op[1], op[3])

    def _check_settings(self) -> None:
        """Locks the school's personal-data setting until the import commits (a switch, and the
        erasure it allows, waits) and refuses when it differs from what the rows were decided with."""
        PersonalDataSettings.current()
        now = PersonalDataSettings.objects.select_for_update().get(pk=1)
        if any(getattr(now, flag) != getattr(self.settings, flag) for flag in CARD_FIELDS.values()):
            raise Conflict(SETTINGS_CHANGED, code="settings_changed")

    def _write_cards(self) -> dict[int, PersonCard]:
        """Each person's card once, with every change the rows made to it. A stored card is read
        locked (an edit or an erasure made meanwhile waits for the import) and updated in only
        the fields the rows changed on it: cards are grouped by their set of changed fields, one
        UPDATE per group, so no other field of a card is written back."""
        existing_ids = sorted({op[1].pk for op in self.ops if op[0] == "card" and op[1].pk is not None})
        stored = ({c.person_id: c for c in PersonCard.objects.select_for_update().filter(person_id__in=existing_ids).order_by("person_id")}
                  if existing_ids else {})
        cards: dict[int, PersonCard] = {}
        new: list[PersonCard] = []
        changed: dict[int, set[str]] = {}  # id(card) -> fields changed on a stored card
        for op in self.ops:
            if op[0] != "card":
                continue
            person, values = op[1], op[2]
            card = cards.get(id(person))
            if card is None:
                card = stored.get(person.pk) or PersonCard(person=person)
                cards[id(person)] = card
                if card.pk is None:
                    new.append(card)
            for name, value in values.items():
                setattr(card, name, value)
            if card.pk is not None:
                changed.setdefault(id(card), set()).update(values)
        PersonCard.objects.bulk_create(new, batch_size=BATCH)
        groups: dict[tuple[str, ...], list[PersonCard]] = {}
        now = timezone.now()
        for card in cards.values():
            if card.pk is not None and id(card) in changed:
                card.updated_at = now
                groups.setdefault(tuple(sorted(changed[id(card)])), []).append(card)
        for fields, group in sorted(groups.items()):
            PersonCard.objects.bulk_update(group, [*fields, "updated_at"], batch_size=BATCH)
        return cards
