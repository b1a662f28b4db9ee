"""The Telegram channel: a thin layer that renders core replies with python-telegram-bot."""
