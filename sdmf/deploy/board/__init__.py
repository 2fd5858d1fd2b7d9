"""Files that go into the deployment bundle as they are: ``run.py``, the board script
(numpy, the image's pynq and the sdmformer-host wheel only; it also owns the layout of
the bundle's test vectors, which :mod:`sdmf.deploy.vectors` writes)."""
