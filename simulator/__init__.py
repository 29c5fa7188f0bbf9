"""Meta Cloud API simulator."""
