"""Helpers of scripts/cluster: the processes of a voice-rp deployment on one machine."""
