"""l2study: coupled L2 in Adam against AdamW's decoupled weight decay, measured.

Run it with ``python examples/adam_l2_vs_adamw.py`` (``--help`` for the options). The package
holds one module per part of the study (``equivalences``, ``convergence``, ``per_parameter``,
``grid``, ``same_number``, ``weight_norm``), the shared pieces (``data``, ``training``,
``runs``: the resumable store of results, ``settings``), and the outputs (``report``,
``plots``); ``study`` ties them together.
"""
