"""What's on: the guidance point's activities (groups, events, trainings), their dates in
Europe/Helsinki, sign-ups with places, and announcements to people who opted in.

No Telegram here: `bot.telegram_channel.whats_on` turns updates into calls of this package.
"""
