"""Built-in report sections; every module of this package is imported, which registers its section.

Add a section: create ``alignlab/report/sections/<name>.py`` with a function decorated by
:func:`alignlab.report.register_section` (see :mod:`alignlab.report.core`).
"""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    importlib.import_module(f"{__name__}.{_module}")
