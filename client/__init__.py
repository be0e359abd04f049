"""voice-rp clients: `python -m client` (microphone or WAV files) and the browser client (web/)."""
