"""The one compiled part of the project: the native bill flattener (etl/flatten/native/*.c).

Everything else is in pyproject.toml. The extension is optional: without a C compiler the
install still succeeds and bills take the pure-Python fast path (about 3x slower to flatten,
same tables); ``etl.flatten.qianhub_native.AVAILABLE`` tells which path a process has.
"""

from setuptools import Extension, setup

NATIVE = "etl/flatten/native/"

setup(
    ext_modules=[
        Extension(
            "etl.flatten._native",
            sources=[
                NATIVE + name for name in ("module.c", "bills.c", "json.c", "values.c", "columns.c")
            ],
            depends=[NATIVE + name for name in ("native.h", "bills.h")],
            extra_compile_args=[
                "-std=c11",
                "-O3",
                "-flto",
                "-Wall",
                "-Wextra",
                "-Wno-unused-parameter",
            ],
            extra_link_args=["-flto", "-O3"],
            optional=True,
        )
    ]
)
