"""ohjaamo-bot: a multilingual guidance assistant for immigrants in Finland."""

__version__ = "0.1.0"
