"""The calling screen: what it shows (`board`), how it is drawn (`render`), and its voice queue
(`announcer`). The device program that joins them to MQTT lives next to them; the screen and
the voice themselves are drivers (`drivers.screen`, `drivers.voice`).
"""
