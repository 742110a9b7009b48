"""The ``minigen`` command line: ``minigen selfcheck``, ``minigen train``, ...

User mistakes (a bad argument, a missing GPU) print one line starting with
``minigen: error:`` and exit with status 2; ``--debug`` shows the traceback instead.
"""
import argparse
import sys


class UserError(Exception):
    """A mistake in the input that the user can fix; printed without a traceback."""


def _cmd_selfcheck(args):
    from . import backend
    from .selfcheck import selfcheck
    try:
        backend.check_device(args.device)
    except (RuntimeError, ValueError) as exc:
        raise UserError(str(exc)) from None
    return 0 if selfcheck(args.device) else 1


def build_parser():
    parser = argparse.ArgumentParser(
        prog="minigen",
        description="Generative image models from scratch on NumPy and CuPy.",
        epilog="Example: minigen selfcheck --device cpu")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "selfcheck", help="gradcheck and gradgradcheck every op against finite differences",
        description="Check the first and second derivatives of every op against central "
                    "finite differences in float64 and print a table; exit status 1 on any failure.",
        epilog="Example: minigen selfcheck --device cuda")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    p.set_defaults(func=_cmd_selfcheck)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UserError as exc:
        if args.debug:
            raise
        print(f"minigen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("minigen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
