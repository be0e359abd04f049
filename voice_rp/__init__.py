"""voice-rp: practise real conversations by voice with an AI character."""

__version__ = "0.1.0"
