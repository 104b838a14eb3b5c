"""Delivery: the outbox drained into chat, one small stage per module.

    claim.py    take the due digests of some recipients ('sending'), with their items
    recheck.py  drop the items that no longer hold (reported, extended, decided, closed…)
    ages.py     … and bring the rest up to the day of sending (overdue age, 第N次催办)
    route.py    recipient → addresses by locale (or why nobody can receive it)
    render.py   items → message parts, most severe first then oldest, split under 4096
                characters; a summary above [digest] max_items items
    buttons.py  the inline keyboard, its callback codes stored (channels with buttons)
    send.py     through the Channel (transport only); exceptions are temporary errors
    record.py   sent / retry with backoff (retry.py) / dead / unreachable, one transaction
    pipeline.py the order of the stages: `deliver`
    lock.py     one deliverer per database (held by `duban run` and `duban tick`)
    console.py  the console channel (`duban tick` without a bot token)

contracts.py holds the values they pass along and the Channel interface.
"""

from jobs.delivery.claim import recover_stale
from jobs.delivery.contracts import (
    Attachment,
    Button,
    Channel,
    DeliveredMessage,
    DeliveryReport,
    Outgoing,
    QueuedItem,
    SendResult,
)
from jobs.delivery.pipeline import deliver

__all__ = [
    "Attachment",
    "Button",
    "Channel",
    "DeliveredMessage",
    "DeliveryReport",
    "Outgoing",
    "QueuedItem",
    "SendResult",
    "deliver",
    "recover_stale",
]
