"""Mentoring programmes: sign-up, interviews, matching, months of support, feedback, reports.

No Telegram here: the channel (`bot/telegram_channel/mentoring_flow.py`) renders what this
package decides.
"""
