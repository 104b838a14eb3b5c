"""Send: hand each rendered message to the channel; a channel that raises counts as a
temporary error (a bug or a network failure must not lose the digest)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from jobs.delivery.contracts import Channel, Outgoing, SendResult

log = logging.getLogger(__name__)


@dataclass
class Sent:
    """The combined outcome of one digest's messages (one per locale)."""

    result: SendResult = field(default_factory=SendResult)
    went_out: list[Outgoing] = field(default_factory=list)  # the messages delivered in full
    complete: set[str] = field(default_factory=set)  # addresses that got every part


async def send_all(channel: Channel, messages: Sequence[Outgoing]) -> Sent:
    out = Sent()
    combined = out.result
    for message in messages:
        try:
            result = await channel.send(message)
        except Exception as exc:  # a channel bug or network error: retry later
            log.warning("outbox: sending to %s failed: %s", message.recipient, type(exc).__name__)
            result = SendResult(temporary_error=f"{type(exc).__name__}: {exc}"[:500])
        combined.sent.extend(result.sent)
        combined.unreachable.update(result.unreachable)
        if result.temporary_error:
            combined.temporary_error = result.temporary_error
            combined.retry_after = max(combined.retry_after or 0, result.retry_after or 0) or None
        elif result.sent or not message.addresses:
            out.went_out.append(message)
        got = Counter(address for address, _ in result.sent)
        out.complete |= {a for a, n in got.items() if n == len(message.parts)}
    return out
