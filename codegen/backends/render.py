"""The one Jinja2 environment: templates only loop and print what Python decided."""

from __future__ import annotations

import functools

import jinja2

from codegen.resources import templates_dir


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, context: dict) -> str:
    return environment().get_template(template).render(**context)
