"""tour: the SGD → AdaGrad → RMSProp → Adam → AdamW story, one measured claim at a time.

Run it with ``python examples/optimizer_tour.py`` (``--help`` for the options). The package holds
one module per claim (``valley``, ``scales``, ``adagrad``, ``sparse``, ``bias_correction``,
``noise``, ``weight_decay``), the shared pieces (``claim``: the result type and helpers;
``race``: training runs side by side), and the outputs (``plots``, ``report``); ``runner`` ties
them together.
"""
