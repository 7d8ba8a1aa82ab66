"""The MQTT contract of the hall: topics, the message envelope, the message types, validation.

Imported by every program; imports nothing else of ours.
"""
