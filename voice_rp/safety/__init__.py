"""Keeping the user safe: crisis resources for a user in distress, and checks on what the
character says before it is spoken."""
