"""The policy evaluator the judge wraps (moto's), asked the way AWS asks it.

In-process: these are the evaluation rules every judged step relies on, checked one by one
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
"""

from pipewright_emulator.judge.policy import Decision, decide

FN = "arn:aws:lambda:us-east-1:123456789012:function:app"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_nothing_allowed_is_an_implicit_deny():
    assert decide([], "s3:GetObject", "arn:aws:s3:::b/k") is Decision.IMPLICIT_DENY
    assert decide([doc(allow("s3:PutObject"))], "s3:GetObject", "arn:aws:s3:::b/k") is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow():
    documents = [doc(allow("s3:*")), doc(deny("s3:GetObject", "arn:aws:s3:::b/*"))]
    assert decide(documents, "s3:GetObject", "arn:aws:s3:::b/k") is Decision.EXPLICIT_DENY
    assert decide(documents, "s3:GetObject", "arn:aws:s3:::other/k") is Decision.ALLOWED


def test_actions_ignore_case_and_resources_do_not():
    assert decide([doc(allow("S3:getobject", "arn:aws:s3:::b/*"))], "s3:GetObject", "arn:aws:s3:::b/k") \
        is Decision.ALLOWED
    assert decide([doc(allow("s3:GetObject", "arn:aws:s3:::B/*"))], "s3:GetObject", "arn:aws:s3:::b/k") \
        is Decision.IMPLICIT_DENY


def test_wildcards_star_and_question_mark():
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    assert decide([doc(allow("secretsmanager:Get*", "arn:aws:secretsmanager:*:*:secret:db-??????"))],
                  "secretsmanager:GetSecretValue", secret) is Decision.ALLOWED
    assert decide([doc(allow("secretsmanager:Get*", "arn:aws:secretsmanager:*:*:secret:db-?????"))],
                  "secretsmanager:GetSecretValue", secret) is Decision.IMPLICIT_DENY
    # a dot in an ARN is a dot, not "any character"
    assert decide([doc(allow("codedeploy:GetDeploymentConfig", "arn:aws:codedeploy:*:*:deploymentconfig:A.B"))],
                  "codedeploy:GetDeploymentConfig", "arn:aws:codedeploy:r:1:deploymentconfig:AxB") \
        is Decision.IMPLICIT_DENY


def test_not_action_and_not_resource():
    documents = [doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]
    assert decide(documents, "s3:GetObject", "arn:aws:s3:::b/k") is Decision.ALLOWED
    assert decide(documents, "iam:PassRole", "arn:aws:iam::1:role/r") is Decision.IMPLICIT_DENY
    documents = [doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})]
    assert decide(documents, "s3:GetObject", "arn:aws:s3:::b/k") is Decision.ALLOWED
    assert decide(documents, "s3:GetObject", "arn:aws:s3:::secret/k") is Decision.IMPLICIT_DENY


def test_an_allow_whose_condition_fails_does_not_apply_and_does_not_deny():
    passrole = allow("iam:PassRole", "arn:aws:iam::123456789012:role/*",
                     Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})
    role = "arn:aws:iam::123456789012:role/task"
    assert decide([doc(passrole)], "iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}) \
        is Decision.ALLOWED
    assert decide([doc(passrole)], "iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"}) \
        is Decision.IMPLICIT_DENY
    # moto alone answers DENIED for an unmet condition; a second statement must still be able to allow
    assert decide([doc(passrole, allow("iam:PassRole"))], "iam:PassRole", role,
                  {"iam:PassedToService": "ec2.amazonaws.com"}) is Decision.ALLOWED


def test_condition_operators_policies_use():
    like = allow("lambda:InvokeFunction", Condition={"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci-*"}})
    assert decide([doc(like)], "lambda:InvokeFunction", FN, {"aws:PrincipalArn": "arn:aws:iam::1:role/ci-build"}) \
        is Decision.ALLOWED
    assert decide([doc(like)], "lambda:InvokeFunction", FN, {"aws:PrincipalArn": "arn:aws:iam::1:role/other"}) \
        is Decision.IMPLICIT_DENY
    if_exists = allow("iam:PassRole", Condition={"StringEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}})
    assert decide([doc(if_exists)], "iam:PassRole", "arn:aws:iam::1:role/r") is Decision.ALLOWED  # key absent
    positive = allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})
    assert decide([doc(positive)], "iam:PassRole", "arn:aws:iam::1:role/r") is Decision.IMPLICIT_DENY  # key absent
    tls_only = deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    assert decide([doc(allow("s3:*"), tls_only)], "s3:GetObject", "arn:aws:s3:::b/k",
                  {"aws:SecureTransport": "true"}) is Decision.ALLOWED
    arn_like = allow("sts:AssumeRole", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:codebuild:*:*:project/app-*"}})
    assert decide([doc(arn_like)], "sts:AssumeRole", "*", {"aws:SourceArn": "arn:aws:codebuild:r:1:project/app-x"}) \
        is Decision.ALLOWED


def test_action_only_when_the_resource_is_unknown():
    documents = [doc(allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/t"))]
    assert decide(documents, "dynamodb:GetItem", "*", action_only=True) is Decision.ALLOWED
    assert decide(documents, "dynamodb:PutItem", "*", action_only=True) is Decision.IMPLICIT_DENY
    # a Deny of some resources only does not deny a request whose resource is unknown
    documents.append(doc(deny("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/secret")))
    assert decide(documents, "dynamodb:GetItem", "*", action_only=True) is Decision.ALLOWED
