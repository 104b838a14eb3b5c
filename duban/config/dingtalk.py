"""The `[dingtalk]` table: a DingTalk internal enterprise app whose robot runs in Stream mode.

The secret never sits in the config: it comes from an environment variable or a file outside
the repository (duban/dingtalk_wiring.py reads it)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_API = "https://api.dingtalk.com"


class DingTalkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    client_id: str = ""  # the app's AppKey (Client ID)
    client_secret_env: str = "DUBAN_DINGTALK_SECRET"
    client_secret_file: str = ""  # a file outside the repository holding the AppSecret
    robot_code: str = ""  # empty: the AppKey (an internal app's robot code is its AppKey)
    api_base_url: str = DEFAULT_API
    # The office's (督查室's) DingTalk groups, by openConversationId (the robot tells it: 群号).
    office_groups: list[str] = Field(default_factory=list)
    # Pacing under DingTalk's limits: a robot may post 20 messages a minute to one group.
    group_messages_per_minute: Annotated[int, Field(ge=1, le=20)] = 20
    requests_per_second: Annotated[int, Field(ge=1, le=20)] = 10

    @field_validator("api_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if not sep or scheme.lower() not in ("http", "https") or not rest.split("/", 1)[0]:
            raise ValueError(f"{value!r} is no http:// or https:// URL with a host")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _enabled_needs_app(self) -> DingTalkConfig:
        if self.enabled and not self.client_id.strip():
            raise ValueError(
                "enabled = true needs client_id = the AppKey of the DingTalk app "
                "(open.dingtalk.com → 应用开发 → your app → 凭证与基础信息)"
            )
        return self

    @property
    def robot(self) -> str:
        return self.robot_code or self.client_id
