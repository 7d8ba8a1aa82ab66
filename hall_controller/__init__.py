"""The hall server: the dispatch engine, its journal, the MQTT gateway, alerts and reports."""
