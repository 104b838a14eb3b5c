"""DingTalkChannel: the delivery's Channel on DingTalk — transport only.

Addresses are `user:<staffId>` (sent 1:1 through the robot's batch send, up to 20 people a
call) and `group:<openConversationId>` (the robot's group send). Each rendered part becomes
DingTalk markdown, split under the message size limit; the buttons become links under the
last part that make the DingTalk client send `<label> <code>` back to the robot. Sends are
paced (20 a minute to one group, a few requests a second overall). DingTalk's answers are
sorted for the deliverer: throttling → temporary with retry_after; a staff id DingTalk does
not know, or a group the robot is no longer in → unreachable; network and 5xx → temporary.
The weekly ledger's files are not sent here (the office gets them with /export on Telegram
or `duban export`): DingTalk's media upload needs the old oapi host.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

import httpx

from bot.dingtalk.api import BATCH_USERS, DingTalkAPI, DingTalkError, Throttled
from bot.dingtalk.markdown import action_links, plain_title, split, to_markdown
from db.models.contacts import DINGTALK
from jobs.delivery import Outgoing, SendResult
from jobs.delivery.pacing import Pacer, Window
from messages.render import digest_footer, render_message

log = logging.getLogger(__name__)

BATCH_KEY = "batch"  # 1:1 sends: the app-wide window only
GONE_STATUSES = (400, 403, 404)  # a group send DingTalk refuses for this group for good
MAX_REPLY_WAIT = 60.0  # seconds an answer waits out throttling before it gives up


def make_pacer(
    group_per_minute: int = 20, per_second: int = 10, **timing: Any
) -> Pacer:
    """Sliding windows under DingTalk's limits (jobs/delivery/pacing.py): `per_second`
    requests a second for the app, and `group_per_minute` messages a minute to one group.
    `timing`: the Pacer's clock and sleep (tests pass virtual ones)."""

    def per_key(key: Hashable) -> Window | None:
        return Window(group_per_minute, 60.0) if str(key).startswith("group:") else None

    return Pacer(Window(per_second, 1.0), per_key, **timing)


class DingTalkChannel:
    name = DINGTALK
    needs_addresses = True
    supports_buttons = True
    delivers = True

    def __init__(self, api: DingTalkAPI, pacer: Pacer | None = None) -> None:
        self.api = api
        self.pacer = pacer or make_pacer()

    def pieces(self, message: Outgoing) -> list[list[str]]:
        """Per rendered part, its markdown pieces (the buttons under the last)."""
        out = []
        footer = digest_footer(message.locale, message.role)
        ours = render_message(message.locale, "bot_dingtalk.j2", "digest_footer")
        for index, part in enumerate(message.parts):
            if footer and part.endswith(footer):  # "reply to this message" is Telegram's way
                part = part[: -len(footer)] + ours
            text = to_markdown(part)
            if index == len(message.parts) - 1 and message.buttons:
                text += "\n\n" + action_links(message.buttons)
            out.append(split(text))
        return out

    async def send(self, message: Outgoing) -> SendResult:
        result = SendResult()
        if message.attachments:
            log.info("DingTalk: %d file(s) of a digest not attached", len(message.attachments))
        pieces = self.pieces(message)
        users = [a for a in message.addresses if a.startswith("user:")]
        groups = [a for a in message.addresses if a.startswith("group:")]
        for address in message.addresses:
            if address not in users and address not in groups:
                result.unreachable[address] = "not a DingTalk address"
        try:
            await self._to_users(users, pieces, result)
            if not result.temporary_error:
                await self._to_groups(groups, pieces, result)
        except Throttled as exc:
            result.temporary_error = f"DingTalk throttled ({exc.code or exc.status})"
            result.retry_after = exc.retry_after
            self.pacer.pause(min(exc.retry_after, MAX_REPLY_WAIT))
        except (DingTalkError, httpx.HTTPError) as exc:
            result.temporary_error = f"{type(exc).__name__}: {exc}"[:300]
        return result

    async def _to_users(
        self, addresses: list[str], pieces: list[list[str]], result: SendResult
    ) -> None:
        for start in range(0, len(addresses), BATCH_USERS):
            batch = addresses[start : start + BATCH_USERS]
            for part in pieces:
                staff = [a[5:] for a in batch if a not in result.unreachable]
                if not staff:
                    break
                key = ""
                for text in part:
                    async with self.pacer.slot(BATCH_KEY, urgent=False):
                        answer = await self.api.send_to_users(staff, plain_title(text), text)
                    for sid in answer.invalid:
                        result.unreachable[f"user:{sid}"] = "DingTalk: unknown staff id"
                    if answer.throttled:
                        raise Throttled(200, "flowControlled", "held back", 60.0)
                    key = answer.query_key
                result.sent.extend(
                    (f"user:{sid}", key) for sid in staff if f"user:{sid}" not in result.unreachable
                )

    async def _to_groups(
        self, addresses: list[str], pieces: list[list[str]], result: SendResult
    ) -> None:
        for address in addresses:
            cid = address[6:]
            for part in pieces:
                key = ""
                try:
                    for text in part:
                        async with self.pacer.slot(address, urgent=False):
                            key = await self.api.send_to_group(cid, plain_title(text), text)
                except Throttled:
                    raise
                except DingTalkError as exc:
                    if exc.status not in GONE_STATUSES:
                        raise
                    result.unreachable[address] = f"DingTalk group refused: {exc.code}"[:200]
                    break
                result.sent.append((address, key))

    async def reply(
        self,
        address: str,
        text: str,
        *,
        attempts: int = 3,
    ) -> None:
        """One answer (HTML from the templates) to a person or group, as markdown; throttling
        waits what DingTalk asks and tries again, so a contact's answer is not lost to a 429."""
        group = address.startswith("group:")
        for piece in split(to_markdown(text)):
            for attempt in range(1, attempts + 1):
                try:
                    async with self.pacer.slot(address if group else BATCH_KEY):
                        if group:
                            await self.api.send_to_group(address[6:], plain_title(piece), piece)
                        else:
                            await self.api.send_to_users([address[5:]], plain_title(piece), piece)
                    break
                except Throttled as exc:
                    if attempt == attempts:
                        raise
                    self.pacer.pause(min(exc.retry_after, MAX_REPLY_WAIT))
