"""`duban simulate`: the real engine on a virtual clock, with simulated contacts.

It never touches the user's data: everything happens in a fresh temporary SQLite database
(deleted afterwards unless `save_to` is given), initialised from the config, with the tasks
either imported from a table file or copied (read-only) from the configured database.

Each unit with an assignment gets one simulated contact. For every reporting period a
random generator seeded with (seed, task, unit, period label) decides, independently of the
order in which periods appear:
  * whether the unit reports at all (probability reply_rate), and
  * if so, whether it reports late (probability late_rate): on time = one of the last working
    days up to the due date; late = 1–8 working days after it, at a random office-hours minute.
Reports go through services.reports.submit_report — the function the bot calls.

The virtual clock ticks at every working day's opening time, at every period's
next_check_at and outbox retry time, and at the top of each hour in which a report was made,
which is what a one-minute clock would do for the ladder: every stage moment is an office
opening (or a retry time), and between those moments a tick finds nothing due.

    model.py      SimOptions, SimResult
    setup.py      the tasks and the simulated contacts in a fresh database
    behaviour.py  when the simulated units report, their figures, their designations
    run.py        simulate(): the virtual clock around the real tick
    output.py     jsonl events and the text summary
"""

from duban.simulate.model import SimOptions, SimResult
from duban.simulate.output import format_jsonl, format_text, message_event
from duban.simulate.run import simulate

__all__ = ["SimOptions", "SimResult", "format_jsonl", "format_text", "message_event", "simulate"]
