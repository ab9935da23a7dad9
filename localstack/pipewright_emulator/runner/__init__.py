"""Executions that really run: pipelines, builds and deployments, each in a background thread.

``registry`` tracks them so a reset can cancel everything at once; ``shell`` runs commands
with streamed output; ``logsink`` writes CloudWatch events; ``build``/``deploy``/``pipeline``
are the three engines.
"""
