"""Alerts that reach people: the hall file's rules route each alert the engine raises to phone
group robots (WeCom, DingTalk), mailboxes and webhooks, with delays, rate limits, quiet hours,
digests and escalation until someone acknowledges it on the web.

    routing.py   who hears of what, and when (pure)
    texts.py     the words of a message, Chinese and English, with a link (pure)
    outbox.py    the notifier's SQLite outbox: one row per alert and channel, and its state
    notifier.py  the thread that reads alerts from the journal and sends what is due
    channels.py  one message to one channel, through apprise (the only network code here)
"""
