"""What the config says about tasks that a table does not have.

`[[reporting.rules]]` name task numbers and sections, `[[designations]]` name a task and a
各相关X group, `[[figures.rules]]` a task and one of its numeric targets; a number or section the
table lacks (a typo, or last year's numbering) would silently apply to nothing. They are
warnings, not errors: the table is still right.
"""

from __future__ import annotations

from duban.config import Config
from duban.importer.resolve import ResolvedTable
from duban.targets import parse_targets
from jobs.reporting import section_matches, section_number
from jobs.settings import leader_key


def config_warnings(cfg: Config, table: ResolvedTable) -> list[str]:
    tasks = {t.number: t for t in table.tasks}
    sections = list(dict.fromkeys(t.section for t in table.tasks if t.section))
    out: list[str] = []
    for i, rule in enumerate(cfg.reporting.rules):
        missing = [n for n in rule.tasks if n not in tasks]
        if missing:
            out.append(
                f"config reporting.rules[{i}].tasks: {_tasks_are(missing)} not in this table; "
                "the rule applies to nothing there"
            )
        for wanted in rule.sections:
            if not any(section_matches(wanted, s) for s in sections):
                numbers = "、".join(section_number(s) or s for s in sections) or "none"
                out.append(
                    f"config reporting.rules[{i}].sections: {wanted!r} is no section of this "
                    f"table (its sections: {numbers}; name one by its number or its full title)"
                )
    index = cfg.name_index()
    for i, des in enumerate(cfg.designations):
        task = tasks.get(des.task)
        group = index.get(des.group, des.group)
        if task is None:
            out.append(f"config designations[{i}].task: task {des.task} is not in this table")
        elif group not in (*task.lead, *task.responsible):
            out.append(
                f"config designations[{i}].group: task {des.task} does not name {group}; "
                "the designation applies to nothing"
            )
    out.extend(_unknown_leaders(cfg, table))
    out.extend(_figure_rules(cfg, tasks))
    return out


def _figure_rules(cfg: Config, tasks: dict) -> list[str]:  # type: ignore[type-arg]
    out = []
    for i, rule in enumerate(cfg.figures.rules):
        task = tasks.get(rule.task)
        if task is None:
            out.append(f"config figures.rules[{i}].task: task {rule.task} is not in this table")
            continue
        stated = len(parse_targets(task.text))
        if not stated:
            out.append(
                f"config figures.rules[{i}].task: task {rule.task} states no numeric target; "
                "the rule applies to nothing"
            )
        elif rule.target and rule.target > stated:
            out.append(
                f"config figures.rules[{i}].target: task {rule.task} states {stated} numeric "
                f"target(s); there is no target {rule.target}"
            )
    return out


def _unknown_leaders(cfg: Config, table: ResolvedTable) -> list[str]:
    """责任领导 the table names that no [[leaders]] entry is: the D+8 escalation cannot reach
    them (it goes to those in charge of the lead units instead, if any)."""
    known = {leader_key(leader.name) for leader in cfg.leaders}
    unknown: dict[str, list[int]] = {}
    for task in table.tasks:
        for name in task.leaders:
            if leader_key(name) not in known:
                unknown.setdefault(name, []).append(task.number)
    if not unknown:
        return []
    listed = "、".join(f"{name} (task {', '.join(map(str, n[:5]))}{' …' if len(n) > 5 else ''})"
                      for name, n in unknown.items())  # fmt: skip
    return [
        f"the table names 责任领导 that no [[leaders]] entry has: {listed}; add them (name, "
        "chat_ids) for the leader-in-charge escalation to reach them"
    ]


def _tasks_are(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"task {numbers[0]} is"
    return f"tasks {', '.join(map(str, numbers))} are"
