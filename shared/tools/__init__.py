"""Small operator tools, run with `python -m shared.tools.<name>`."""
