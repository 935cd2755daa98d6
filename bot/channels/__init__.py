"""Customer channels: the web widget's socket.io channel and the WeChat Official Account.

Rasa's server imports this package at start-up through ``credentials.yml``; that is where the
fixes to Rasa's runtime in ``bot.rasa_fixes`` get installed for the serving process.
"""

from bot import rasa_fixes

rasa_fixes.apply()
