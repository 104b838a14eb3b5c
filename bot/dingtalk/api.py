"""The DingTalk robot OpenAPI, over httpx.

httpx rather than the `alibabacloud-dingtalk` SDK: four JSON calls need no generated client
(the SDK pulls in the Tea runtime and makes its endpoint hard to point at a local fake), and
httpx is already installed under python-telegram-bot, async, and takes a base URL.

The access token (/v1.0/oauth2/accessToken) is cached until five minutes before it expires and
fetched again after a 401. Throttling (HTTP 429, or 403 with a QpsLimit/flow-control code) is
raised as `Throttled` with the seconds to wait. Neither the secret nor the token is logged:
the token travels in a header, the secret only in the token request's body.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

TOKEN_PATH = "/v1.0/oauth2/accessToken"
USERS_PATH = "/v1.0/robot/oToMessages/batchSend"
GROUP_PATH = "/v1.0/robot/groupMessages/send"
DOWNLOAD_PATH = "/v1.0/robot/messageFiles/download"
BATCH_USERS = 20  # staff ids per batch send (the API's documented maximum)
DEFAULT_RETRY = 2.0  # seconds to wait after a throttling answer that names none
_THROTTLE_MARKS = ("qpslimit", "throttl", "flowcontrol", "ratelimit", "toomany")


class DingTalkError(Exception):
    """An answer DingTalk gave that is not a success. `code` is DingTalk's error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"DingTalk {status} {code}: {message}"[:300])
        self.status = status
        self.code = code


class Throttled(DingTalkError):
    def __init__(self, status: int, code: str, message: str, retry_after: float) -> None:
        super().__init__(status, code, message)
        self.retry_after = retry_after


class AuthFailed(DingTalkError):
    """The AppKey/AppSecret were refused: a configuration problem, not a network one."""


@dataclass
class BatchResult:
    query_key: str
    invalid: list[str] = field(default_factory=list)  # staff ids DingTalk does not know
    throttled: list[str] = field(default_factory=list)  # staff ids held back by flow control


class DingTalkAPI:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        robot_code: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 20.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.robot_code = robot_code
        self.clock = clock
        self._client = httpx.AsyncClient(timeout=timeout)
        self._token = ""
        self._token_until = 0.0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def token(self) -> str:
        if self._token and self.clock() < self._token_until:
            return self._token
        response = await self._client.post(
            self.base_url + TOKEN_PATH,
            json={"appKey": self.client_id, "appSecret": self._secret},
        )
        body = _json(response)
        if response.status_code in (400, 401, 403) and not _is_throttle(response, body):
            raise AuthFailed(response.status_code, str(body.get("code", "")), _message(body))
        _raise_for(response, body)
        self._token = str(body["accessToken"])
        self._token_until = self.clock() + max(60, int(body.get("expireIn", 7200)) - 300)
        return self._token

    def forget_token(self) -> None:
        self._token, self._token_until = "", 0.0

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST with the access token; a 401 fetches a new token and tries once more."""
        for attempt in (1, 2):
            token = await self.token()
            response = await self._client.post(
                self.base_url + path, json=body, headers={"x-acs-dingtalk-access-token": token}
            )
            if response.status_code == 401 and attempt == 1:
                self.forget_token()
                continue
            data = _json(response)
            _raise_for(response, data)
            return data
        raise AssertionError("unreachable")

    async def send_to_users(self, staff_ids: list[str], title: str, text: str) -> BatchResult:
        """A markdown message 1:1 to up to BATCH_USERS people (the robot's batch send)."""
        data = await self.call(
            USERS_PATH,
            {
                "robotCode": self.robot_code,
                "userIds": staff_ids,
                "msgKey": "sampleMarkdown",
                "msgParam": _param(title, text),
            },
        )
        return BatchResult(
            str(data.get("processQueryKey", "")),
            [str(x) for x in data.get("invalidStaffIdList") or ()],
            [str(x) for x in data.get("flowControlledStaffIdList") or ()],
        )

    async def send_to_group(self, conversation_id: str, title: str, text: str) -> str:
        data = await self.call(
            GROUP_PATH,
            {
                "robotCode": self.robot_code,
                "openConversationId": conversation_id,
                "msgKey": "sampleMarkdown",
                "msgParam": _param(title, text),
            },
        )
        return str(data.get("processQueryKey", ""))

    async def download(self, download_code: str) -> bytes:
        """A picture or file a person sent the robot, by the download code in its message."""
        data = await self.call(
            DOWNLOAD_PATH, {"downloadCode": download_code, "robotCode": self.robot_code}
        )
        url = str(data.get("downloadUrl", ""))
        if not url:
            raise DingTalkError(200, "noDownloadUrl", "no downloadUrl in the answer")
        response = await self._client.get(url)
        if response.status_code != 200:
            raise DingTalkError(response.status_code, "download", "file download failed")
        return response.content


def _param(title: str, text: str) -> str:
    return json.dumps({"title": title, "text": text}, ensure_ascii=False)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _message(body: dict[str, Any]) -> str:
    return str(body.get("message") or body.get("errmsg") or "")


def _is_throttle(response: httpx.Response, body: dict[str, Any]) -> bool:
    code = str(body.get("code", "")).lower().replace(".", "").replace("_", "")
    return response.status_code == 429 or any(mark in code for mark in _THROTTLE_MARKS)


def _raise_for(response: httpx.Response, body: dict[str, Any]) -> None:
    if response.status_code < 400:
        return
    code, message = str(body.get("code", "")), _message(body)
    if _is_throttle(response, body):
        raise Throttled(response.status_code, code, message, _retry_after(response))
    raise DingTalkError(response.status_code, code, message)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return DEFAULT_RETRY
