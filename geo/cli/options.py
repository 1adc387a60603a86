"""Command-line options derived from the parameters types (:mod:`geo.params`), and the shared plumbing of the
question commands: area selection, credits, the output folder and the report printed at the end.

Every field of a parameters type becomes one option, with the field's help and default, so an option cannot
exist on the command line only and a config key cannot be missing here (``tests/test_parity.py`` checks both).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import click

from geo._errors import ValidationError
from geo.params import AreaParams, fields_of, make, parse_pairs

DEFAULT_BOUNDARIES = "n03-2021-s0010"
"""The boundaries a question uses when ``--areas`` is not given: the same default as the config's [area]."""


def option_names(f: dataclasses.Field) -> list[str]:
    """``["--radius"]`` for ``radii_m`` (the field's ``cli`` names), else ``--`` + the field name with dashes."""
    return (f.metadata.get("cli") or "--" + f.name.replace("_", "-")).split()


def option_name(f: dataclasses.Field) -> str:
    """The long option name of a field (``--classes`` for ``k``)."""
    return next((n for n in option_names(f) if n.startswith("--")), option_names(f)[0])


def _hint(cls: type, f: dataclasses.Field) -> Any:
    hint = typing.get_type_hints(cls)[f.name]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        hint = next(a for a in args if a is not type(None))
    return hint


def params_options(cls: type, *, skip: tuple[str, ...] = ()) -> Callable[[Callable], Callable]:
    """A decorator adding one click option per field of ``cls`` (help, default, choices from the field)."""

    def decorate(func: Callable) -> Callable:
        for f in reversed(fields_of(cls)):
            if f.name in skip:
                continue
            func = _option(cls, f)(func)
        return func

    return decorate


def _option(cls: type, f: dataclasses.Field) -> Callable[[Callable], Callable]:
    hint = _hint(cls, f)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    names, name, help_text = option_names(f), option_name(f), f.metadata["help"]
    default = f.default
    kw: dict[str, Any] = {"help": help_text}
    if f.metadata.get("metavar"):
        kw["metavar"] = f.metadata["metavar"]
    if hint is bool:
        flag = name.removeprefix("--")
        return click.option(f"--{flag}/--no-{flag}", f.name, default=default, show_default=default is not None, **kw)
    if origin is tuple and args and args[0] is float:  # numbers: comma separated, or the option repeated
        return click.option(*names, f.name, multiple=True, type=str, help=help_text + " Repeat or separate by commas.",
                            metavar=kw.get("metavar", "NUMBER"))  # fmt: skip
    if origin is tuple:
        inner = args[0]
        kind = click.Choice(typing.get_args(inner)) if typing.get_origin(inner) is Literal else str
        return click.option(*names, f.name, multiple=True, type=kind, help=help_text + " Repeatable.",
                            **{k: v for k, v in kw.items() if k != "help"})  # fmt: skip
    if origin in (Mapping, dict) or hint is Mapping:
        return click.option(*names, f.name, multiple=True, type=str, help=help_text + " Repeatable.",
                            **{k: v for k, v in kw.items() if k != "help"})  # fmt: skip
    if origin is Literal:
        kw["type"] = click.Choice([a for a in args if a != ""])
    elif hint in (int, float):
        kw["type"] = hint
    show = default is not None and default != ""
    return click.option(*names, f.name, default=None if default == "" else default, show_default=show, **kw)


def params_from(cls: type, values: dict[str, Any]) -> Any:
    """Pop the fields of ``cls`` from a command's keyword arguments and build the parameters object.

    A value the parameters type refuses is a usage error (exit 2) naming the option.
    """
    given = {}
    try:
        for f in fields_of(cls):
            if f.name not in values:
                continue
            value = values.pop(f.name)
            hint = _hint(cls, f)
            origin, args = typing.get_origin(hint), typing.get_args(hint)
            if origin is tuple and args and args[0] is float:
                value = tuple(_numbers(value, option_name(f)))
            elif origin is tuple:
                value = tuple(value)
            elif origin in (Mapping, dict) or hint is Mapping:
                value = parse_pairs(value, option_name(f), f.metadata.get("metavar") or "NAME=VALUE")
            given[f.name] = value
        return make(cls, given)
    except ValidationError as exc:
        raise click.UsageError(str(exc)) from None


def _numbers(values: Any, option: str) -> list[float]:
    out = []
    for value in values or ():
        for part in str(value).replace("、", ",").split(","):
            if part.strip():
                try:
                    out.append(float(part))
                except ValueError:
                    raise click.BadParameter(f"{value!r}: give numbers separated by commas, e.g. 1000,5000",
                                            param_hint=option) from None  # fmt: skip
    return out


def area_options(func: Callable) -> Callable:
    """``--areas`` (the boundaries) and the :class:`~geo.params.AreaParams` options."""
    func = params_options(AreaParams)(func)
    return click.option(
        "--areas", default=DEFAULT_BOUNDARIES, show_default=True,
        help="Boundaries: an N03 file/folder or a pinned source name (geo sources list).",
    )(func)  # fmt: skip


def output_options(default: str) -> Callable[[Callable], Callable]:
    """``-o/--output`` (the output folder, replaced whole) and ``--credit`` (user files' credit lines)."""

    def decorate(func: Callable) -> Callable:
        func = click.option(
            "--credit", "credits", multiple=True,
            help="Credit line of a user input file (e.g. 「○○市 バス停データ」); repeatable. Pinned sources carry "
            "their own.",
        )(func)  # fmt: skip
        return click.option(
            "-o", "--output", default=default, show_default=True, type=click.Path(dir_okay=True),
            help="Output folder: layers.gpkg, one CSV per layer and table, report.json (replaced whole).",
        )(func)  # fmt: skip

    return decorate


def quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and (ctx.find_root().obj or {}).get("quiet"))


def finish(result: Any, output: str, *, params: Any = (), inputs: Mapping[str, Any] | None = None,
           summary: bool = True) -> list[Path]:  # fmt: skip
    """Write the result into the output folder, print its summary and the files written."""
    record = {"parameters": {type(p).__name__: dataclasses.asdict(p) for p in params}, "inputs": dict(inputs or {})}
    files = result.write(output, record=record)
    if summary and not quiet():
        click.echo(str(result.report))
        for path in files:
            click.echo(f"wrote {path}")
    return files
