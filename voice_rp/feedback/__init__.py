"""Feedback on a practice session: delivery (pace, fillers, pauses, pitch), content (STAR, talk
structure, language) and the report that brings them together.

`stats` keeps the running totals a live conversation needs; the rest works on a saved session's
records, so a report can be built again at any time, also for a session that never ended.
"""

from voice_rp.feedback.stats import FILLERS, SessionStats, count_fillers

__all__ = ["FILLERS", "SessionStats", "count_fillers"]
