"""`hotline web`: the console on gevent's WSGIServer (SSE streams are cheap greenlets)."""
from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> int:
    from gevent import monkey

    monkey.patch_all()   # no-op when control/cli.py already patched; needed for `python -m web.cli`
    from gevent.pywsgi import WSGIServer

    from control import logs
    from control.config import load_config
    from web import create_app

    parser = argparse.ArgumentParser(prog="hotline web", description="Run the agent console.")
    parser.add_argument("--config", help="YAML config file (keys: control/config.py)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    logs.setup(args.log_level, config.log_format)
    from control.production import refuse_if_unsafe

    if refuse_if_unsafe(config, "web"):
        return 2
    app = create_app(config)
    server = WSGIServer((config.web_host, config.web_port), app, log=None, error_log=logging.getLogger("web"))
    logging.getLogger("web").info("console on http://%s:%s/", config.web_host, config.web_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop(timeout=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
