"""The forecast of a period mark (R-D04; 003 §4.3, 004 Annex 3 §3): the mark the journal would
propose from the marks so far, and what it would take to reach the next one.

The averages and the rounding are the journal's own (`journal.selectors.weighted_averages` and
`propose_mark` with the school's `JournalSettings`), so the diary never promises a mark the
journal would not propose."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from journal.rules import min_marks_required
from journal.selectors import averages_of_sums, propose_mark, weighted_averages

# How many extra marks the forecast looks ahead before it says "more than this".
LOOKAHEAD = 30
# An ordinary mark (an answer in class) counts with weight 1 in the weighted average.
ORDINARY_WEIGHT = Decimal("1.0")


@dataclass(frozen=True)
class Forecast:
    count: int  # current marks (1–5) in the period
    plain: Decimal | None
    weighted: Decimal | None
    basis: Decimal | None  # the average the journal proposes from (weighted or plain, the school's setting)
    expected: int | None  # the period mark the journal would propose now
    next_mark: int | None  # the next mark up (None at 5 or without marks)
    fives_needed: int | None  # ordinary «5» marks that would reach next_mark (None: more than LOOKAHEAD)
    fours_needed: int | None  # ordinary «4» marks that would (only when next_mark ≤ 4)
    min_marks: int  # 003 §2.3.1: the number of current marks the period needs
    uses_weighted: bool

    @property
    def short_of_marks(self) -> int:
        return max(0, self.min_marks - self.count)


def marks_needed(marks: list[tuple[int, Decimal]], value: int, target: int, *, round_up_from: Decimal, use_weighted: bool,
                 weight: Decimal = ORDINARY_WEIGHT) -> int | None:
    """The fewest extra marks `value` of `weight` after which the journal proposes `target` or more;
    None when LOOKAHEAD marks are not enough (or `value` can never reach it)."""
    if value < target and Decimal(value) < Decimal(target - 1) + round_up_from:
        return None  # an average of such marks never rounds up to target
    count, values = len(marks), sum(v for v, _ in marks)
    weighted_values, total_weight = sum((Decimal(v) * w for v, w in marks), Decimal(0)), sum((w for _, w in marks), Decimal(0))
    for n in range(1, LOOKAHEAD + 1):  # one more mark each time, on running sums (not the period again)
        count, values = count + 1, values + value
        weighted_values, total_weight = weighted_values + Decimal(value) * weight, total_weight + weight
        plain, weighted = averages_of_sums(count, values, weighted_values, total_weight)
        proposed = propose_mark(weighted if use_weighted else plain, round_up_from)
        if proposed is not None and proposed >= target:
            return n
    return None


def forecast(marks: list[tuple[int, Decimal]], *, round_up_from: Decimal, use_weighted: bool,
             hours_per_week: Decimal | float = 0) -> Forecast:
    """`marks`: the period's marks 1–5 as (value, weight of the work type), as the journal counts them."""
    plain, weighted = weighted_averages(marks)
    basis = weighted if use_weighted else plain
    expected = propose_mark(basis, round_up_from)
    next_mark = expected + 1 if expected is not None and expected < 5 else None
    fives = fours = None
    if next_mark is not None:
        fives = marks_needed(marks, 5, next_mark, round_up_from=round_up_from, use_weighted=use_weighted)
        if next_mark <= 4:
            fours = marks_needed(marks, 4, next_mark, round_up_from=round_up_from, use_weighted=use_weighted)
    return Forecast(count=len(marks), plain=plain, weighted=weighted, basis=basis, expected=expected, next_mark=next_mark,
                    fives_needed=fives, fours_needed=fours, min_marks=min_marks_required(float(hours_per_week)),
                    uses_weighted=use_weighted)


def advice(f: Forecast) -> str:
    """What it takes to reach the next mark, in Russian (for the page and the API)."""
    if f.expected is None:
        return "Отметок в этом периоде пока нет."
    if f.next_mark is None:
        return "Прогноз — «5». Чтобы сохранить его, нужны хорошие отметки и дальше."
    parts = []
    if f.fives_needed is not None:
        parts.append(f"{f.fives_needed} {_plural(f.fives_needed, 'отметка', 'отметки', 'отметок')} «5»")
    if f.fours_needed is not None:
        parts.append(f"{f.fours_needed} {_plural(f.fours_needed, 'отметка', 'отметки', 'отметок')} «4»")
    if not parts:
        return f"До «{f.next_mark}» нужно больше {LOOKAHEAD} отметок «5»."
    return f"До «{f.next_mark}»: ещё {' или '.join(parts)} обычного веса подряд."


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many
