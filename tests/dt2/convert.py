"""Rewrites the imports of DeepTrack2's test modules so that they test deeptrack_native.

DeepTrack2 2.0.1 ships its unit tests inside the package (``deeptrack/tests/``). They import the package
in every way Python allows: ``from deeptrack import features``, ``import deeptrack as dt``,
``from deeptrack.image import Image``, ``from .. import math`` and ``from ..optics import Fluorescence``.
:func:`convert_source` rewrites those import statements, and nothing else, so that ``deeptrack`` means
``deeptrack_native``:

- ``deeptrack`` and ``deeptrack.<sub>`` become ``deeptrack_native`` and ``deeptrack_native.<sub>``;
- relative imports are resolved against the test module's own package (``deeptrack.tests`` or a
  subpackage) first, then mapped the same way;
- ``deeptrack.tests`` (the test suite itself) becomes the package the converted copies live in;
- a few names of DeepTrack2's internal backend that the tests import as plain tools are replaced by what
  they are when DeepTrack2 runs without a GPU (:data:`SUBSTITUTES`).

Where deeptrack_native lacks a submodule or a name, the rewritten import fails, and the test module
counts as failing: that is part of the measurement. Every other line of the test is left as it is.

``flat=True`` is a diagnostic, never the measurement: an imported DeepTrack2 submodule
(``from deeptrack import math``, ``features``) is a view that finds a name in deeptrack_native's
submodule of that name when there is one, else in its top-level package; a name deeptrack_native lacks
altogether (``units``) becomes a placeholder that raises ImportError when a test uses it. The tests of a module then run past its imports and show
what else fails, test by test.
It rewrites DeepTrack2 imports into calls of the scratch package's ``_flat`` module (:data:`FLAT_HELPER`).
"""

import ast

SOURCE_PACKAGE = "deeptrack"
TARGET_PACKAGE = "deeptrack_native"
TESTS_PACKAGE = "deeptrack.tests"

# (module, name) -> the module the name stands for, for names of DeepTrack2's internals that the tests
# import as tools rather than as subjects under test. DeepTrack2's backend exports ``cupy`` as numpy
# itself when CuPy is not installed (deeptrack/backend/_config.py: ``import numpy as cupy`` before
# trying ``import cupy``); deeptrack_native has no GPU backend, so the tests get numpy, as they do from
# DeepTrack2 on a machine without CuPy.
SUBSTITUTES = {
    ("deeptrack.backend._config", "cupy"): "numpy",
}


class ConversionError(ValueError):
    """An import statement of a form the converter does not know how to rewrite."""


def resolve_relative(level, module, package):
    """The absolute name of ``from <'.' * level><module> import ...`` written in a module of ``package``."""
    if level == 0:
        return module
    parts = package.split(".")
    if level - 1 > len(parts) - 1:
        raise ConversionError(f"relative import beyond the top-level package: level {level} in {package}")
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def map_module(name, tests_package):
    """The module that ``name`` (absolute) stands for once converted; other modules are unchanged."""
    if name == TESTS_PACKAGE or name.startswith(TESTS_PACKAGE + "."):
        return tests_package + name[len(TESTS_PACKAGE) :]
    if name == SOURCE_PACKAGE or name.startswith(SOURCE_PACKAGE + "."):
        return TARGET_PACKAGE + name[len(SOURCE_PACKAGE) :]
    return name


def _alias(alias):
    return alias.name + (f" as {alias.asname}" if alias.asname else "")


# The `_flat` module of the converted tests' package, for flat=True; {submodules} is the list of
# DeepTrack2's submodule names (the package's modules and subpackages).
FLAT_HELPER = """\
\"\"\"Imports of DeepTrack2 names for tests converted with flat=True (tests/dt2/convert.py).\"\"\"
import importlib

import deeptrack_native

SUBMODULES = {submodules!r}


class Flat:
    \"\"\"A DeepTrack2 submodule seen through deeptrack_native: the native submodule's names when it
    has one, then the top-level package's.\"\"\"

    def __init__(self, name):
        self._name = name
        try:
            self._module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            self._module = None

    def __getattr__(self, attr):
        for module in (self._module, deeptrack_native):
            if module is not None and hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"deeptrack_native has no {{attr!r}} (looked for {{self._name}}.{{attr}})")


class Missing:
    \"\"\"A name deeptrack_native does not have: the test that uses it fails there, and says which.\"\"\"

    def __init__(self, name):
        self._name = name

    def _fail(self, *args, **kwargs):
        raise ImportError(f"cannot import name {{self._name!r}} (deeptrack_native has no such name)")

    __call__ = __getitem__ = __iter__ = _fail

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._fail()


def resolve(name, names=None):
    if names is None:
        return Flat(name)
    values = []
    for n in names:
        if name == "deeptrack_native" and n in SUBMODULES:
            values.append(Flat(name + "." + n))
        else:
            try:
                values.append(getattr(Flat(name), n))
            except AttributeError:
                values.append(Missing(name + "." + n))
    return values
"""


def _flat_call(target, names, tests_package):
    call = f"__import__('{tests_package}._flat', fromlist=['resolve']).resolve"
    if names is None:
        return f"{call}({target!r})"
    return f"{call}({target!r}, {names!r})"


def _rewrite_import(node, tests_package, flat=False):
    """``import a.b [as c], ...``: the rewritten statement, or None when nothing changes."""
    parts, changed = [], False
    for alias in node.names:
        target = map_module(alias.name, tests_package)
        if target == alias.name:
            parts.append(_alias(alias))
            continue
        changed = True
        if flat and target.startswith(TARGET_PACKAGE) and target != TARGET_PACKAGE:
            if not alias.asname:
                raise ConversionError(f"flat: unsupported import without an alias: import {alias.name}")
            parts.append(f"{alias.asname} = {_flat_call(target, None, tests_package)}")
            continue
        if alias.asname:
            parts.append(f"{target} as {alias.asname}")
        elif alias.name.startswith(TESTS_PACKAGE):
            # `import deeptrack.tests.x` binds `deeptrack` to DeepTrack2 itself, a test of which could
            # then reach both packages; no DeepTrack2 test does it, and guessing would hide the mix.
            raise ConversionError(f"unsupported import of the test suite without an alias: import {alias.name}")
        elif "." in alias.name:
            # `import deeptrack.features` imports the submodule and binds `deeptrack`.
            parts.append(f"{target}, {TARGET_PACKAGE} as {SOURCE_PACKAGE}")
        else:
            parts.append(f"{TARGET_PACKAGE} as {SOURCE_PACKAGE}")
    if not changed:
        return None
    imports = [p for p in parts if " = " not in p]
    assigns = [p for p in parts if " = " in p]
    return "; ".join(([f"import {', '.join(imports)}"] if imports else []) + assigns)


def _rewrite_import_from(node, package, tests_package, flat=False):
    """``from m import a [as b], ...`` (absolute or relative): the rewritten statement(s), or None."""
    absolute = resolve_relative(node.level, node.module, package)
    target = map_module(absolute, tests_package)
    if node.level == 0 and target == absolute:
        return None
    statements, kept = [], []
    for alias in node.names:
        substitute = SUBSTITUTES.get((absolute, alias.name))
        if substitute is not None:
            statements.append(f"import {substitute} as {alias.asname or alias.name}")
        else:
            kept.append(_alias(alias))
    if kept and flat and target.startswith(TARGET_PACKAGE) and "*" not in kept:
        names = [a.name for a in node.names if (absolute, a.name) not in SUBSTITUTES]
        bound = [a.asname or a.name for a in node.names if (absolute, a.name) not in SUBSTITUTES]
        # resolve() returns a list of values: `a, = ...` binds one name.
        statements.insert(0, f"{', '.join(bound)}{',' if len(bound) == 1 else ''} = {_flat_call(target, names, tests_package)}")
    elif kept:
        statements.insert(0, f"from {target} import {', '.join(kept)}")
    return "; ".join(statements)


def _offsets(source):
    """The offset in ``source`` of the start of every line (1-based line numbers index it)."""
    starts, pos = [0, 0], 0
    for line in source.splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def convert_source(source, package=TESTS_PACKAGE, tests_package="dt2_tests", flat=False):
    """``source``, a module of ``package`` (``deeptrack.tests`` or a subpackage of it), with its imports
    of DeepTrack2 rewritten to deeptrack_native and those of the test suite to ``tests_package``. Every
    import statement is considered, top-level or nested in a function; nothing else changes, and every
    other line keeps its line number."""
    tree = ast.parse(source)
    starts = _offsets(source)
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            new = _rewrite_import(node, tests_package, flat)
        elif isinstance(node, ast.ImportFrom):
            new = _rewrite_import_from(node, package, tests_package, flat)
        else:
            continue
        if new is None:
            continue
        # Byte offsets from ast are in UTF-8; the lines of the tests are ASCII where imports are, but
        # slice by characters of the line to stay right if a line holds other characters.
        start_line = source[starts[node.lineno] : starts[node.lineno + 1]]
        end_line = source[starts[node.end_lineno] : starts[node.end_lineno + 1]]
        start = starts[node.lineno] + len(start_line.encode()[: node.col_offset].decode())
        end = starts[node.end_lineno] + len(end_line.encode()[: node.end_col_offset].decode())
        rest = end_line.encode()[node.end_col_offset :].decode()
        if node.end_lineno > node.lineno and (not rest.strip() or rest.strip().startswith("#")):
            # A statement over several lines becomes one: blank lines after it keep the numbering.
            new += "\n" * (node.end_lineno - node.lineno)
        edits.append((start, end, new))
    for start, end, new in sorted(edits, reverse=True):
        source = source[:start] + new + source[end:]
    return source


def module_package(relative_path):
    """The package of a test file from its path under ``deeptrack/tests`` (``backend/test_core.py`` is
    in ``deeptrack.tests.backend``)."""
    parts = relative_path.replace("\\", "/").split("/")[:-1]
    return ".".join([TESTS_PACKAGE] + [p for p in parts if p])
