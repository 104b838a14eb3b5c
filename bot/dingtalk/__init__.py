"""DingTalk: an internal enterprise app's robot in Stream mode, the second chat channel.

    api.py       the robot OpenAPI over httpx: access token (cached, refreshed on 401),
                 1:1 batch send, group send, file download; throttling sorted out
    markdown.py  the digests' Telegram HTML as DingTalk markdown, split under the size limit
    channel.py   DingTalkChannel: the delivery's Channel (transport only), paced under
                 DingTalk's limits by jobs/delivery/pacing.py's sliding windows
    decisions.py what a digest's link decides (通过, 批准, 确认办结 …)
    evidence.py  pictures and files into the evidence store
    commands.py  text commands (绑定, 报送, 任务, 帮助, 通过 …) → services
    stream.py    the dingtalk-stream SDK's client, in its own thread, handing messages over
"""
