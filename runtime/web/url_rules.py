"""URL rules whose builders are compiled once per process, not once per app.

Werkzeug compiles two Python functions (through ``ast`` and ``compile``) for every route of
every app it binds: 90 % of ``create_app``'s 45 ms, paid again by each app a process builds (a
test builds one per test; a gunicorn worker builds one). For a rule without defaults the
functions depend only on the rule's parsed parts (``_trace``) and on ``append_unknown``: they
take the rule as their first argument and are bound to it by ``Rule.compile``, so one function
serves every app's copy of the rule. A rule with defaults keeps Werkzeug's own compilation.
"""
from __future__ import annotations

from typing import Any, ClassVar

from werkzeug.routing import Rule


class SharedBuilderRule(Rule):
    _builders: ClassVar[dict[tuple, Any]] = {}

    def _compile_builder(self, append_unknown: bool = True, *args: Any, **kwargs: Any):
        if self.defaults or args or kwargs:
            return super()._compile_builder(append_unknown, *args, **kwargs)
        key = (self.rule, tuple(self._trace), append_unknown)
        builder = self._builders.get(key)
        if builder is None:
            builder = self._builders[key] = super()._compile_builder(append_unknown)
        return builder
