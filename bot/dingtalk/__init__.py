"""DingTalk: an internal enterprise app's robot in Stream mode, the second chat channel.

    api.py       the robot OpenAPI over httpx: access token (cached, refreshed on 401),
                 1:1 batch send, group send, file download; throttling sorted out
    pacing.py    sliding-window pacing under DingTalk's send limits
    markdown.py  the digests' Telegram HTML as DingTalk markdown, split under the size limit
    channel.py   DingTalkChannel: the delivery's Channel (transport only)
    commands.py  text commands (绑定, 报送, 任务, 帮助, 通过 …) → services
    stream.py    the dingtalk-stream SDK's client, in its own thread, handing messages over
"""
