"""`python -m replayhub serve [--fixture FILE | --synthetic N] [--port P] [--rate-limit-api Q/W] [--github FILE]`.

With `--github FILE` (a github.json) a loopback GitHub (replayhub/github.py) is served too, on
`--github-port`; its URL is printed on a second line: point `HUBSCAN_GITHUB_API` at it and set any
`GITHUB_TOKEN`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from .github import ReplayGitHub
from .server import ReplayHub
from .state import HubState
from .synthetic import synthetic_state


def _rate(value: str) -> tuple[int, float]:
    """`300/10` -> (300 requests, 10.0 seconds)."""
    quota, sep, window = value.partition("/")
    try:
        parsed = (int(quota), float(window) if sep else 300.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected QUOTA/WINDOW_SECONDS such as 500/300, got {value!r}") from None
    if parsed[0] < 0 or parsed[1] <= 0:
        raise argparse.ArgumentTypeError("quota must be >= 0 and window > 0")
    return parsed


def _token(value: str) -> tuple[str, str]:
    token, sep, user = value.partition(":")
    if not token:
        raise argparse.ArgumentTypeError("expected TOKEN[:USER]")
    return token, user or "user"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m replayhub", description="A loopback imitation of huggingface.co.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a fixture or a synthetic hub until Ctrl-C")
    source = serve.add_mutually_exclusive_group(required=True)
    source.add_argument("--fixture", help="dev_hub.json-style file ({'models': [...], 'datasets': [...]})")
    source.add_argument("--synthetic", type=int, metavar="N", help="serve N generated models")
    serve.add_argument("--seed", type=int, default=0, help="seed of the synthetic hub (default 0)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    serve.add_argument("--rate-limit-api", type=_rate, metavar="Q/W", help="e.g. 500/300: 500 requests per 300 s")
    serve.add_argument("--rate-limit-resolvers", type=_rate, metavar="Q/W")
    serve.add_argument("--token", type=_token, action="append", metavar="TOKEN[:USER]",
                       help="accept this bearer token (repeatable); without any, every token is accepted")
    serve.add_argument("--github", metavar="FILE", help="also serve a loopback GitHub of these repositories (github.json)")
    serve.add_argument("--github-port", type=int, default=0, help="its port (default: a free one)")
    serve.add_argument("--github-quota", type=int, default=5000, metavar="N", help="its primary quota per hour and token (default 5000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    state = HubState.from_fixture(args.fixture) if args.fixture else synthetic_state(args.synthetic, seed=args.seed)
    limits = {}
    if args.rate_limit_api:
        limits["api"] = args.rate_limit_api
    if args.rate_limit_resolvers:
        limits["resolvers"] = args.rate_limit_resolvers
    tokens = {token: {"user": user} for token, user in args.token} if args.token else None
    hub = ReplayHub(state, host=args.host, port=args.port, rate_limits=limits or None, tokens=tokens)
    github = ReplayGitHub(args.github, host=args.host, port=args.github_port, quota=args.github_quota) if args.github else None
    # SIGTERM (e.g. from a supervising process) stops the server as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    hub.start()
    print(hub.url, flush=True)
    if github is not None:
        github.start()
        print(github.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
        if github is not None:
            github.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
