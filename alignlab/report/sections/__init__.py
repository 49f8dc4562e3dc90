"""Built-in report sections; importing a module registers its section.

Add a section: create ``alignlab/report/sections/<name>.py`` with a function decorated by
:func:`alignlab.report.register_section` and import it here.
"""

from alignlab.report.sections import data_summary  # noqa: F401
