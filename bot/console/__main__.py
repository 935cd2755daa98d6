"""``python -m bot.console`` starts the staff console."""

from bot.console.server import main

main()
