"""Command modules by area: each defines COMMANDS, a list of click commands for `flask`."""
