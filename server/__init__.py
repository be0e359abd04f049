"""The voice-rp websocket server (`python -m server`)."""
