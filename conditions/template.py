"""The condition-view template: a view is one row of `data/terminology/views.csv` (its id, title,
the value sets and medicines that say it applies, its measures, its question rules by name, with
its source), the rows of `view_checks.csv` for the checks a table can say, and one module of its
own rules, handed over as a `ViewRules`. `view_spec` joins the two into the `ConditionSpec` that
`conditions/base.py` runs: measures, checks and questions go through one engine for every view.

Why a table and a module: what a view follows and why (codes, measures, intervals, sources) is
clinical content, which lives in tables with a source (docs/STYLE); what a table cannot say (which
target fits a pregnancy, a review counted from a medicine's start) is code, kept in the view's own
module. docs/adding-a-view.md lists the files a new view adds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conditions.base import CheckSpec, ConditionSpec, ConditionView, Context, MeasureView, Panel, Question
from ltc_dashboard.record.tables import TABLES, TableError, read_table, split_list

VIEW_COLUMNS = ("id", "title", "applies_valuesets", "defining_medicines", "measures",
                "related_medicines", "question_rules")
CHECK_COLUMNS = ("view", "id", "name", "interval_check", "condition", "declined")

QuestionRule = Callable[[Context, ConditionView], list[Question]]


@dataclass(frozen=True)
class ViewRules:
    """What a view's own module says that its table rows cannot (every field but build_measure is
    optional): how a measure's target is chosen, when the view applies if not by its value sets,
    its checks with their own rule (`CheckSpec.compute`, listed before the table's checks), its
    question rules (the table names which run, in which order), and its extra words and panels."""

    build_measure: Callable[[Context, str], MeasureView | None]
    questions: tuple[QuestionRule, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    applies: Callable[[Context], bool] | None = None
    panels: Callable[[Context], list[Panel]] | None = None
    intro: Callable[[Context], str | None] | None = None
    support: Callable[[Context], str | None] | None = None
    finish: Callable[[Context, ConditionView], ConditionView] | None = None
    max_questions: int = 5


def _table(folder: Path, name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """A table's rows: the project's (data/terminology) or, for a view kept elsewhere (a test's
    fixture view), the same-named file in its own folder."""
    return read_table(name if folder == TABLES else str(folder / name), columns)


def table_checks(view_id: str, folder: Path = TABLES) -> tuple[CheckSpec, ...]:
    """The view's checks a table row can say (view_checks.csv), in the table's order."""
    return tuple(
        CheckSpec(id=row["id"], name=row["name"], interval_check=row["interval_check"],
                  condition=row["condition"] or None, declined_valuesets=split_list(row["declined"]))
        for row in _table(folder, "view_checks.csv", CHECK_COLUMNS) if row["view"] == view_id)


def view_row(view_id: str, folder: Path = TABLES) -> dict[str, str]:
    """The view's one row of views.csv; a clear error when there is none or more than one."""
    rows = [r for r in _table(folder, "views.csv", VIEW_COLUMNS) if r["id"] == view_id]
    if len(rows) != 1:
        raise TableError(f"views.csv: expected one row for view {view_id!r}, found {len(rows)}")
    return rows[0]


def _question_rules(view_id: str, named: tuple[str, ...], given: tuple[QuestionRule, ...]) -> tuple[QuestionRule, ...]:
    """The module's rules in the table's order; a rule the table names and the module lacks, or
    one the module gives and the table leaves out, stops the view loading (nothing silently off)."""
    by_name = {rule.__name__: rule for rule in given}
    missing, unlisted = sorted(set(named) - set(by_name)), sorted(set(by_name) - set(named))
    if missing or unlisted:
        raise TableError(f"views.csv: view {view_id!r} question rules do not match its module "
                         f"(not in the module: {', '.join(missing) or 'none'}; "
                         f"not in the table: {', '.join(unlisted) or 'none'})")
    return tuple(by_name[name] for name in named)


def view_spec(view_id: str, rules: ViewRules, folder: Path = TABLES) -> ConditionSpec:
    """The view's ConditionSpec, from its table rows and its module's rules."""
    row = view_row(view_id, folder)
    return ConditionSpec(
        id=row["id"], title=row["title"],
        applies_valuesets=split_list(row["applies_valuesets"]),
        defining_medicines=split_list(row["defining_medicines"]),
        measures=split_list(row["measures"]),
        checks=rules.checks + table_checks(view_id, folder),
        build_measure=rules.build_measure,
        related_medicines=split_list(row["related_medicines"]),
        applies_rule=rules.applies,
        question_rules=_question_rules(view_id, split_list(row["question_rules"]), rules.questions),
        panels=rules.panels, intro=rules.intro, support=rules.support, finish=rules.finish,
        max_questions=rules.max_questions,
    )
