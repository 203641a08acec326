"""Does the generated C fit a named chip? Near the chip's flash the per-node estimate of
codegen/fit.py cannot tell (if-else code ranges from a few to ~90 bytes a node), so there the
header is built with the chip's cross compiler and measured, as `verify` sizes it: a model
either fits, or is refused with the numbers. Without the compiler the estimate decides."""

from __future__ import annotations

from codegen.chips import built_part
from codegen.errors import UserError

# Above this share of the chip's flash (estimated) the build decides.
UNCERTAIN_SHARE = 0.7


def confirm_fits(header_text: str, settings, estimate: int, flash: int, what: str) -> None:
    """Raises UserError when the model cannot fit the chip's `flash`: measured when the
    estimate is near the limit and the cross compiler is there, else by the estimate."""
    from codegen.harness import toolchains

    if estimate <= UNCERTAIN_SHARE * flash:
        return
    part = built_part(settings.chip)
    missing = None if part is None else toolchains.missing(toolchains.tools_for(part))
    if part is None or missing:
        if estimate > flash:
            hint = f" (install {', '.join(missing)} to measure it instead)" if missing else ""
            raise UserError(f"the model does not fit the {settings.chip}: {what} need about {estimate:,} bytes of "
                            f"flash (estimated{hint}), the chip has {flash:,}; use --layout table, or prune it")
        return
    from codegen.harness.targets import model_footprint

    try:
        size = model_footprint(part, header_text, settings.name, settings.input)
    except UserError as error:
        raise UserError(f"the model does not fit the {settings.chip}: {what}, built: {error}") from None
    if size.flash > flash:
        raise UserError(f"the model does not fit the {settings.chip}: {what} take {size.flash:,} bytes of flash "
                        f"(built and measured), the chip has {flash:,}; use --layout table, or prune it")
