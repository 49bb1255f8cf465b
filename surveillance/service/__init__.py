"""The service's work, as functions of a store, a config and "today": the detect job
(``detect``), the full cycle and its job steps (``cycle``), and what a store holds
(``status``). The scheduler and the web server that call them live outside the library
(``jobs``, ``dashboards``).
"""
