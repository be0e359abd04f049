"""Helpers of scripts/bench_latency.py: the utterance set, the maths, the client and the report."""
