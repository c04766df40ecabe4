"""A tiny package for the workspace suite's offline pip install."""


def hello() -> str:
    """Return a greeting the suite checks for."""
    return "sysgate-demo: OK"
