"""The `surveillance` command as installed: the library's commands plus `serve`, the service.

`serve` lives here, on the application side, because it composes the library with the
scheduler (``jobs``) and the web server (``dashboards``); the library never imports them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from surveillance.cli import app, main


@app.command()
def serve(
    config: Path = typer.Option(..., help="Config file."),
    host: Optional[str] = typer.Option(None, help="Address to listen on (default from the config)."),
    port: Optional[int] = typer.Option(None, help="Port (default from the config)."),
):
    """Run the service: web server, scheduler and store in one process."""
    from surveillance.config import load_config

    from .service import run_service

    run_service(load_config(config), host=host, port=port)


__all__ = ["app", "main"]

if __name__ == "__main__":
    main()
