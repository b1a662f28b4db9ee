"""The assistant's core: content, matching and replies. It never imports `telegram`."""
