"""Hardware generator: integer IR → hardware graph → passes → backend → project.

Layer kinds (:mod:`sdmf.hw.kinds`) hold everything backend-neutral about each kind of
layer; backends (:mod:`sdmf.hw.backends`) add their half per kind in their own folder.

Entry points: :func:`sdmf.hw.flow.generate` and :func:`sdmf.hw.flow.build_graph`;
design notes in docs/generator.md, interfaces in docs/hardware.md.
"""
