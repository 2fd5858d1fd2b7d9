"""Hardware generator: integer IR → hardware graph → passes → backend → project.

Entry points: :func:`sdmf.hw.flow.generate` and :func:`sdmf.hw.flow.build_graph`;
design notes in docs/generator.md, interfaces in docs/hardware.md.
"""
