"""A build as its service role: its variables, its reports, its own ``aws ...`` commands, its masked logs.

CodeBuild gives a build temporary credentials of its service role and judges what the build reads
with that role (https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html);
it hides Parameter Store and Secrets Manager values in the build's logs.
"""

from helpers import lambda_function, role
from test_codebuild import ENV, all_messages, finished

ACCOUNT = "123456789012"


def logs_policy(name: str, *extra: dict) -> dict:
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/codebuild/{name}"
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [group, f"{group}:*"]}, *extra]}


def build(aws, name: str, buildspec: str, policy: dict, env_vars=None) -> tuple[dict, list[str]]:
    arn = role(aws("iam"), name, policy)
    env = dict(ENV, environmentVariables=env_vars or [])
    cb = aws("codebuild")
    cb.create_project(name=name, source={"type": "NO_SOURCE", "buildspec": buildspec},
                      artifacts={"type": "NO_ARTIFACTS"}, environment=env, serviceRole=arn)
    done = finished(cb, cb.start_build(projectName=name)["build"]["id"])
    return done, [m.rstrip("\n") for m in all_messages(aws("logs"), done)]


def phase(done: dict, kind: str) -> dict:
    return next(p for p in done["phases"] if p["phaseType"] == kind)


def test_parameter_store_variables_need_ssm_get_parameters(aws, name):
    aws("ssm").put_parameter(Name=f"/{name}/token", Value="p4ss", Type="SecureString")
    spec = f"version: 0.2\nenv:\n  parameter-store:\n    TOKEN: /{name}/token\nphases:\n  build:\n    commands:\n      - echo ok\n"
    done, _ = build(aws, name, spec, logs_policy(name))
    assert done["buildStatus"] == "FAILED"
    context = phase(done, "DOWNLOAD_SOURCE")["contexts"][0]
    assert context["statusCode"] == "Decrypted Variables Error"
    assert context["message"] == (
        f"AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/{name}/AWSCodeBuild-"
        f"{done['id'].split(':', 1)[1]} is not authorized to perform: ssm:GetParameters on resource: "
        f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{name}/token because no identity-based policy allows the "
        "ssm:GetParameters action")

    granted = logs_policy(f"{name}b", {"Effect": "Allow", "Action": "ssm:GetParameters",
                                        "Resource": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{name}/*"})
    done, _ = build(aws, f"{name}b", spec, granted)
    assert done["buildStatus"] == "SUCCEEDED"


def test_secrets_manager_variables_need_get_secret_value_on_the_secret_arn(aws, name):
    secret_arn = aws("secretsmanager").create_secret(Name=f"{name}-db", SecretString='{"pw": "s3cr3t"}')["ARN"]
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n"
    env = [{"name": "PW", "value": f"{name}-db:pw", "type": "SECRETS_MANAGER"}]
    done, _ = build(aws, name, spec, logs_policy(name), env)
    context = phase(done, "DOWNLOAD_SOURCE")["contexts"][0]
    assert context["statusCode"] == "Secrets Manager Error"
    assert f"is not authorized to perform: secretsmanager:GetSecretValue on resource: {secret_arn} " in context["message"]

    pattern = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-db-??????"
    granted = logs_policy(f"{name}b", {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                        "Resource": pattern})
    done, _ = build(aws, f"{name}b", spec, granted, env)
    assert done["buildStatus"] == "SUCCEEDED"


def test_parameter_and_secret_values_are_masked_in_the_logs(aws, name):
    aws("ssm").put_parameter(Name=f"/{name}/token", Value="tok-9f2", Type="SecureString")
    aws("secretsmanager").create_secret(Name=f"{name}-db", SecretString='{"pw": "pw-7c1", "user": "admin"}')
    spec = (f"version: 0.2\nenv:\n  parameter-store:\n    TOKEN: /{name}/token\n  secrets-manager:\n"
            f"    PW: {name}-db:pw\n  variables:\n    PLAIN: plain-3b\nphases:\n  build:\n    commands:\n"
            "      - echo \"token=$TOKEN pw=$PW plain=$PLAIN\"\n      - echo \"again $TOKEN$PW\" >&2\n")
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    done, messages = build(aws, name, spec, allow_all)
    assert done["buildStatus"] == "SUCCEEDED"
    body = [m for m in messages if not m.startswith("[Container]")]
    assert body == ["token=*** pw=*** plain=plain-3b", "again ******"]
    assert not any("tok-9f2" in m or "pw-7c1" in m for m in messages)


def test_the_build_runs_aws_cli_commands_as_its_role(aws, name):
    fn = lambda_function(aws, f"{name}-fn")
    spec = ("version: 0.2\nphases:\n  build:\n    commands:\n"
            "      - aws sts get-caller-identity --query Arn --output text\n"
            f"      - aws lambda get-function --function-name {name}-fn --query Configuration.Version --output text\n"
            f"      - aws lambda get-function-configuration --function-name {name}-fn\n")
    allowed = logs_policy(name, {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": fn})
    done, messages = build(aws, name, spec, allowed)
    assert done["buildStatus"] == "FAILED"
    build_uuid = done["id"].split(":", 1)[1]
    assert f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/AWSCodeBuild-{build_uuid}" in messages
    assert "$LATEST" in messages  # get-function was allowed
    assert (f"An error occurred (AccessDeniedException) when calling the GetFunctionConfiguration operation: User: "
            f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/AWSCodeBuild-{build_uuid} is not authorized to perform: "
            f"lambda:GetFunctionConfiguration on resource: {fn} because no identity-based policy allows the "
            "lambda:GetFunctionConfiguration action") in messages
    context = phase(done, "BUILD")["contexts"][0]
    assert context["message"] == (f"Error while executing command: aws lambda get-function-configuration "
                                  f"--function-name {name}-fn. Reason: exit status 255")
    # the user's own credentials stay unrestricted
    assert aws("lambda").get_function_configuration(FunctionName=f"{name}-fn")["FunctionName"] == f"{name}-fn"


def test_ecr_login_needs_get_authorization_token_on_star(aws, name):
    aws("ecr").create_repository(repositoryName=name)
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - aws ecr get-login-password > /dev/null\n"
    repo = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{name}"
    scoped = logs_policy(name, {"Effect": "Allow", "Action": "ecr:*", "Resource": repo})
    done, messages = build(aws, name, spec, scoped)
    assert done["buildStatus"] == "FAILED"
    assert any("when calling the GetAuthorizationToken operation: User: " in m and
               "is not authorized to perform: ecr:GetAuthorizationToken on resource: * because" in m for m in messages)
    star = logs_policy(f"{name}b", {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"})
    done, _ = build(aws, f"{name}b", spec, star)
    assert done["buildStatus"] == "SUCCEEDED"


def test_s3_requests_from_a_build_name_the_object(aws, name):
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"{name}-data")
    s3.put_object(Bucket=f"{name}-data", Key="in.txt", Body=b"x")
    spec = (f"version: 0.2\nphases:\n  build:\n    commands:\n      - aws s3 cp s3://{name}-data/in.txt in.txt\n"
            f"      - aws s3api put-object --bucket {name}-data --key out.txt --body in.txt\n")
    read_only = logs_policy(name, {"Effect": "Allow", "Action": "s3:GetObject",
                                   "Resource": f"arn:aws:s3:::{name}-data/*"})
    done, messages = build(aws, name, spec, read_only)
    assert done["buildStatus"] == "FAILED"
    assert any(f'is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::{name}-data/out.txt" because'
               in m and "(AccessDenied)" in m for m in messages), messages


def test_a_refused_report_is_logged_and_the_build_goes_on(aws, name):
    spec = ("version: 0.2\nphases:\n  build:\n    commands:\n      - echo '<testsuite/>' > report.xml\n"
            "reports:\n  unit:\n    files: [report.xml]\n")
    done, messages = build(aws, name, spec, logs_policy(name))
    assert done["buildStatus"] == "SUCCEEDED"
    group = f"arn:aws:codebuild:us-east-1:{ACCOUNT}:report-group/{name}-unit"
    assert any(f"is not authorized to perform: codebuild:CreateReportGroup on resource: {group}" in m for m in messages)
    reports = {"Effect": "Allow", "Action": ["codebuild:CreateReportGroup", "codebuild:CreateReport",
                                              "codebuild:UpdateReport", "codebuild:BatchPutTestCases"],
               "Resource": f"arn:aws:codebuild:us-east-1:{ACCOUNT}:report-group/{name}b-*"}
    done, messages = build(aws, f"{name}b", spec, logs_policy(f"{name}b", reports))
    assert done["buildStatus"] == "SUCCEEDED"
    assert not any("not authorized" in m for m in messages)


def test_knobs_turn_each_build_judgement_off(aws, emulator, access_key, name):
    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "judge_requests": False,
                                                     "mask_secrets": False})
    aws("ssm").put_parameter(Name=f"/{name}/token", Value="tok-visible", Type="SecureString")
    spec = (f"version: 0.2\nenv:\n  parameter-store:\n    TOKEN: /{name}/token\nphases:\n  build:\n    commands:\n"
            "      - echo $TOKEN\n      - aws ssm describe-parameters > /dev/null\n")
    granted = logs_policy(name, {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "*"})
    done, messages = build(aws, name, spec, granted)
    assert done["buildStatus"] == "SUCCEEDED"  # describe-parameters not judged
    assert "tok-visible" in messages
    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "judge_roles": False})
    done, _ = build(aws, f"{name}b", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n",
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    assert done["buildStatus"] == "SUCCEEDED"
