"""Operation classes counted per inference, by the interpreter and by the instrumented C build
(`<NAME>_COUNT_OP(op_class, n)`). Energy per class is in codegen/data/energy_45nm.json."""

CMP32 = "cmp32"  # 32-bit integer compare (tree node test)
CMP16 = "cmp16"
CMP8 = "cmp8"
ADD32 = "add32"  # 32-bit integer add (score accumulation, requantisation)
ADD16 = "add16"
ADD8 = "add8"
MUL8 = "mul8"  # 8x8-bit multiply (MLP multiply-accumulate)
MUL32 = "mul32"  # 32-bit multiply (requantisation)
BRANCH = "branch"  # a taken decision (tree node)
FLASH_BYTES = "flash_bytes"  # bytes read from constant tables
RAM_BYTES = "ram_bytes"  # bytes read from RAM (inputs, activations, scores)

OP_CLASSES = (CMP32, CMP16, CMP8, ADD32, ADD16, ADD8, MUL8, MUL32, BRANCH, FLASH_BYTES, RAM_BYTES)
