"""Maps the repository's stage folders onto one import package, ``sdmf``.

``model/`` is installed as ``sdmf.model``, ``quant/`` as ``sdmf.quant`` and so on,
so the folders read like the architecture while no import name can collide with
another distribution's top-level ``model`` or ``sim`` package.
"""

from setuptools import find_packages, setup

STAGES = ("model", "quant", "hw", "sim", "host")
DATA_PATTERNS = ["*.sv", "*.v", "*.tcl", "*.json", "*.h", "*.cpp", "*.mk", "templates/**/*"]

package_dir = {"sdmf": "sdmf"}
packages = ["sdmf", *(f"sdmf.{p}" for p in find_packages("sdmf"))]
for stage in STAGES:
    package_dir[f"sdmf.{stage}"] = stage
    packages += [f"sdmf.{stage}", *(f"sdmf.{stage}.{p}" for p in find_packages(stage))]

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={name: DATA_PATTERNS for name in packages},
)
