"""The judge: what AWS refuses, decided in one place and worded as AWS words it.

* ``policy``    - moto's IAM policy evaluator, asked the way AWS asks it (explicit Deny wins,
                  NotAction/NotResource, wildcards, the condition operators policies use).
* ``access``    - may this role do this to that resource? Each service's checks, each citing the
                  AWS page that lists them, and AWS's "is not authorized to perform" wording.
* ``requests``  - the IAM action and resource ARN of a signed request (a build's own ``aws ...``).
* ``providers`` - the rules CodePipeline's action providers enforce on their input.

Each judgement has a knob that turns it off (``control.KNOBS``: ``judge_roles``,
``judge_requests``, ``judge_providers``, ``judge_event_sources``, ``mask_secrets``).
The judge sits at the bottom: it imports moto and ``control``, never a handler or the runner.
"""
