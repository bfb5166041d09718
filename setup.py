"""The one compiled part of the project: the native bill flattener (etl/flatten/native/*.c).

Everything else is in pyproject.toml. The extension is optional: without a C compiler the
install still succeeds and bills take the pure-Python fast path (about 3x slower to flatten,
same tables); ``etl.flatten.qianhub_native.AVAILABLE`` tells which path a process has. The
sources' fingerprint is compiled in (``SOURCE_HASH``), so that a build of older sources is
recognised at import and left unused.
"""

import importlib.util

from setuptools import Extension, setup

NATIVE = "etl/flatten/native/"

_spec = importlib.util.spec_from_file_location("native_sources", "etl/flatten/native_sources.py")
assert _spec is not None and _spec.loader is not None
sources = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sources)
SOURCE_HASH = sources.source_hash()
assert SOURCE_HASH is not None, "etl/flatten/native/: a C source or header is missing"

setup(
    ext_modules=[
        Extension(
            "etl.flatten._native",
            sources=[NATIVE + name for name in sources.C_FILES],
            depends=[NATIVE + name for name in sources.HEADERS],
            define_macros=[("NATIVE_SOURCE_HASH", f'"{SOURCE_HASH}"')],
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
