"""Browser journeys in Debian's Chromium (a package, so its fixtures end with it)."""
