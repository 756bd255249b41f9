"""`python -m gateway`: serve the gateway on HTTP_HOST:HTTP_PORT."""

from __future__ import annotations

from shared.cli import main

if __name__ == "__main__":
    main(["gateway"])
