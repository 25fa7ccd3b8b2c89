"""Every ``python -m agents COMMAND`` reads its arguments the same way: a dataclass, each field documented, is the
command line (cleanrl's habit).

A field's help is its ``metadata={"help": ...}`` or the ``#:`` comment lines just above it in the class body;
``--help`` prints every option with that text and its default. A ``bool`` field is ``--flag`` / ``--no-flag``,
a ``list[T]`` field is repeatable, a ``tuple[T, ...]`` field takes several values; fields named in
``positional`` are positional arguments (optional ones where the field has a default).

What a type hint cannot say goes in the field's metadata, handed to ``add_argument`` as it is
(:data:`ARGPARSE_KEYS`): ``choices``; ``type`` (a checking parser, e.g. "an integer >= 1"); ``metavar``;
``nargs`` and ``const`` (``{"nargs": "?", "const": ""}``: ``--clock-in`` alone or ``--clock-in PORT``);
``action`` (``"store_true"``: a flag with no ``--no-`` form, for a field named like ``no_agent``).
A ``tuple[T, ...]`` field whose default is empty may be given no values.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import typing

#: Field metadata keys handed to ``argparse.ArgumentParser.add_argument`` as they are.
ARGPARSE_KEYS = ("choices", "type", "metavar", "nargs", "const", "action")


def dataclass_parser(cls, prog: str, description: str | None = None,
                     positional: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    """An argparse parser with one option per field of the dataclass ``cls``; ``description`` defaults to the
    first paragraph of ``cls``'s docstring."""
    parser = argparse.ArgumentParser(prog=prog, description=description or _first_paragraph(cls.__doc__),
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    hints = typing.get_type_hints(cls)
    comments = field_comments(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        kwargs: dict = {"help": f.metadata.get("help") or comments.get(f.name) or " "}
        if f.default is not dataclasses.MISSING:
            kwargs["default"] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            kwargs["default"] = f.default_factory()
        elif f.name not in positional:
            kwargs["required"] = True
        origin, args = typing.get_origin(hint), [a for a in typing.get_args(hint) if a is not type(None)]
        if hint is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif origin is list:
            kwargs.update(action="append", type=args[0], default=None)
        elif origin is tuple:
            kwargs.update(nargs="*" if kwargs.get("default") == () else "+", type=args[0])
        else:
            kwargs["type"] = args[0] if args else hint
        kwargs.update({key: f.metadata[key] for key in ARGPARSE_KEYS if key in f.metadata})
        if kwargs.get("action") in ("store_true", "store_false"):
            kwargs.pop("type", None)
        if f.name in positional:
            if "default" in kwargs:
                kwargs.setdefault("nargs", "?")
            parser.add_argument(f.name, **kwargs)
        else:
            parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, **kwargs)
    return parser


def parse_dataclass(cls, argv, prog: str, positional: tuple[str, ...] = (), description: str | None = None):
    """``cls`` filled from ``argv`` by :func:`dataclass_parser` (a repeatable option never given is ``[]``, a
    ``tuple`` field a tuple)."""
    namespace = dataclass_parser(cls, prog, description, positional=positional).parse_args(argv)
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in vars(namespace).items():
        origin = typing.get_origin(hints[name])
        if origin is list and value is None:
            value = []
        elif origin is tuple and value is not None:
            value = tuple(value)
        values[name] = value
    return cls(**values)


def field_comments(cls) -> dict[str, str]:
    """Each field's ``#:`` comment lines (joined) from the class source; empty where the source is not there."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    comments, pending = {}, []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("#:"):
            pending.append(stripped[2:].strip())
            continue
        match = re.match(r"(\w+)\s*:", stripped)
        if match and pending:
            comments[match.group(1)] = " ".join(pending)
        pending = []
    return comments


def _first_paragraph(text: str | None) -> str | None:
    return inspect.cleandoc(text).split("\n\n")[0] if text else None
