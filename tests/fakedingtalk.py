"""A fake DingTalk on 127.0.0.1 for end-to-end tests (no network).

Two servers, as DingTalk has two faces: an HTTP one for the OpenAPI (connection open
/v1.0/gateway/connections/open, the OAuth token, the robot's batch send and group send, file
download) and a WebSocket one for the Stream mode, where it pushes robot messages as CALLBACK
frames, pings as SYSTEM frames, and collects the client's acks. It checks what the real one
checks that matters here: the credentials, the access token on every call (tokens can be
revoked: the next call gets 401), the robot code, the markdown message shape and its size
(msgParam ≤ 15 000 bytes), and it can answer throttling (HTTP 429 / 403 QpsLimit) on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

BOT_TOPIC = "/v1.0/im/bot/messages/get"
MSG_PARAM_LIMIT = 15_000


@dataclass
class Sent:
    address: str  # user:<staffId> or group:<cid>
    title: str
    text: str
    key: str


@dataclass
class Failure:
    path: str
    status: int
    code: str
    times: int = 1
    retry_after: str = ""


@dataclass
class FakeDingTalk:
    client_id: str = "dingapp-test"
    client_secret: str = "app-secret-XYZ-never-logged"
    known_staff: set[str] = field(default_factory=set)  # empty: every staff id exists
    groups: set[str] = field(default_factory=set)  # empty: the robot is in every group

    def __post_init__(self) -> None:
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: list[Failure] = []
        self.files: dict[str, bytes] = {}
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.opens = 0
        self.acks: dict[str, dict[str, Any]] = {}
        self.pongs = 0
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._ws: ServerConnection | None = None
        self._connected = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._http = await asyncio.start_server(self._serve_http, "127.0.0.1", 0)
        self.port = self._http.sockets[0].getsockname()[1]
        self._wss = await serve(self._serve_ws, "127.0.0.1", 0, ping_interval=None)
        self.ws_port = next(iter(self._wss.sockets)).getsockname()[1]

    async def stop(self) -> None:
        self._wss.close()
        self._http.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._wss.wait_closed(), 2)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ test controls
    def fail(self, path: str, status: int, code: str, *, times: int = 1, retry_after: str = ""):
        self.failures.append(Failure(path, status, code, times, retry_after))

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    async def connected(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def drop_connection(self) -> None:
        """The WebSocket goes away (as when DingTalk restarts a gateway)."""
        self._connected.clear()
        if self._ws is not None:
            await self._ws.close()

    async def push(self, data: dict[str, Any], message_id: str = "") -> str:
        """A robot message down the stream, as a CALLBACK frame; returns the frame's id."""
        await self.connected()
        message_id = message_id or f"frame-{next(self._ids)}"
        frame = {
            "specVersion": "1.0",
            "type": "CALLBACK",
            "headers": {
                "appId": self.client_id,
                "connectionId": "conn-1",
                "contentType": "application/json",
                "messageId": message_id,
                "time": str(int(time.time() * 1000)),
                "topic": BOT_TOPIC,
            },
            "data": json.dumps(data, ensure_ascii=False),
        }
        assert self._ws is not None
        await self._ws.send(json.dumps(frame, ensure_ascii=False))
        return message_id

    async def ping(self) -> str:
        await self.connected()
        message_id = f"ping-{next(self._ids)}"
        frame = {
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": {"contentType": "application/json", "messageId": message_id,
                        "topic": "ping", "time": "0"},
            "data": json.dumps({"opaque": message_id}),
        }  # fmt: skip
        assert self._ws is not None
        await self._ws.send(json.dumps(frame))
        return message_id

    async def wait_ack(self, message_id: str, timeout: float = 10) -> dict[str, Any]:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: message_id in self.acks), timeout
            )
        return self.acks[message_id]

    def mark(self) -> int:
        return len(self.sent)

    async def wait_sent(
        self, address: str, after: int = 0, contains: str = "", timeout: float = 10
    ) -> Sent:
        def found() -> Sent | None:
            for s in self.sent[after:]:
                if s.address == address and contains in s.text:
                    return s
            return None

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
            except TimeoutError:
                seen = [(s.address, s.text[:60]) for s in self.sent[after:]]
                msg = f"nothing to {address} with {contains!r}; saw {seen}"
                raise AssertionError(msg) from None
        result = found()
        assert result is not None
        return result

    def sent_to(self, address: str) -> list[Sent]:
        return [s for s in self.sent if s.address == address]

    # ------------------------------------------------------------------ WebSocket
    async def _serve_ws(self, ws: ServerConnection) -> None:
        self._ws = ws
        self._connected.set()
        try:
            async for raw in ws:
                ack = json.loads(raw)
                message_id = ack.get("headers", {}).get("messageId", "")
                async with self._changed:
                    if message_id.startswith("ping-"):
                        self.pongs += 1
                    self.acks[message_id] = ack
                    self._changed.notify_all()
        except Exception:
            pass
        finally:
            if self._ws is ws:  # gone: the next push waits for the client to reconnect
                self._ws = None
                self._connected.clear()

    # ------------------------------------------------------------------ HTTP
    async def _serve_http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, target, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    k, _, v = h.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                status, payload, extra = await self._handle(method, target, headers, body)
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(raw)}\r\n"
                head += "Content-Type: application/json\r\n"
                for k, v in extra.items():
                    head += f"{k}: {v}\r\n"
                writer.write(head.encode() + b"\r\n" + raw)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def _handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        path = target.split("?", 1)[0]
        data = json.loads(body) if body else {}
        self.calls.append((path, data))
        if path == "/v1.0/gateway/connections/open":
            if (data.get("clientId"), data.get("clientSecret")) != (
                self.client_id, self.client_secret,
            ):  # fmt: skip
                return 401, {"code": "InvalidAuthentication", "message": "bad client"}, {}
            self.opens += 1
            endpoint = f"ws://127.0.0.1:{self.ws_port}/connect"
            return 200, {"endpoint": endpoint, "ticket": f"ticket-{self.opens}"}, {}
        if path == "/v1.0/oauth2/accessToken":
            self.token_requests += 1
            if (data.get("appKey"), data.get("appSecret")) != (
                self.client_id, self.client_secret,
            ):  # fmt: skip
                return 400, {"code": "invalidClientIdOrSecret", "message": "bad secret"}, {}
            token = f"tok-{next(self._ids)}"
            self.tokens.add(token)
            return 200, {"accessToken": token, "expireIn": 7200}, {}
        if path.startswith("/files/"):
            content = self.files.get(path[len("/files/") :])
            return (200, content, {}) if content is not None else (404, {}, {})
        if headers.get("x-acs-dingtalk-access-token") not in self.tokens:
            return 401, {"code": "InvalidAuthentication", "message": "token invalid"}, {}
        for failure in self.failures:
            if failure.path == path and failure.times > 0:
                failure.times -= 1
                extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                return failure.status, {"code": failure.code, "message": "fail"}, extra
        if data.get("robotCode") != self.client_id:
            return 400, {"code": "invalidRobotCode", "message": "robot code"}, {}
        if path == "/v1.0/robot/messageFiles/download":
            code = data.get("downloadCode", "")
            if code not in self.files:
                return 400, {"code": "invalidDownloadCode", "message": "code"}, {}
            return 200, {"downloadUrl": f"{self.base_url}/files/{code}"}, {}
        if path in ("/v1.0/robot/oToMessages/batchSend", "/v1.0/robot/groupMessages/send"):
            return await self._send(path, data)
        return 404, {"code": "notFound", "message": path}, {}

    async def _send(self, path: str, data: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        param = data.get("msgParam", "")
        if data.get("msgKey") != "sampleMarkdown" or len(param.encode()) > MSG_PARAM_LIMIT:
            return 400, {"code": "invalidParameter", "message": "msgParam"}, {}
        message = json.loads(param)
        if not (message.get("title") and str(message.get("text", "")).strip()):
            return 400, {"code": "invalidParameter", "message": "empty title or text"}, {}
        key = f"pqk-{next(self._ids)}"
        if path.endswith("batchSend"):
            users = list(data.get("userIds") or [])
            assert 1 <= len(users) <= 20
            invalid = [u for u in users if self.known_staff and u not in self.known_staff]
            addresses = [f"user:{u}" for u in users if u not in invalid]
            answer: dict[str, Any] = {"processQueryKey": key, "invalidStaffIdList": invalid,
                                      "flowControlledStaffIdList": []}  # fmt: skip
        else:
            cid = data.get("openConversationId", "")
            if self.groups and cid not in self.groups:
                return 400, {"code": "robotNotInGroup", "message": "robot not in group"}, {}
            addresses = [f"group:{cid}"]
            answer = {"processQueryKey": key}
        async with self._changed:
            for address in addresses:
                self.sent.append(Sent(address, message["title"], message["text"], key))
            self._changed.notify_all()
        return 200, answer, {}
