"""The course layer: the exercises' checkers (exercises/) and the course command (command.py)."""
