//! Issue 12: pipelines built the way AWS deploys them, proven on the strict emulator with an
//! independent read (boto3): ECS's small deploy artifact and the task roles it may pass; an S3
//! source's event delivery.

use serde_json::json;

use crate::strict_emulator::quiet_scope;
use crate::support::emulator::{boto3, boto3_output};
use crate::support::{Checked, Scope, Test, s3_source_spec};

/// Run `commands` one after the other in one session, each expected to succeed.
fn succeed(test: Test, commands: &[&[&str]]) -> Checked {
    let (first, rest) = commands.split_first().expect("a command");
    let mut done = test.args(first.iter().copied()).run().success();
    for command in rest {
        done = done.then().args(command.iter().copied()).run().success();
    }
    done
}

/// An ECS service behind a load balancer (blue and green target groups, a production listener),
/// with the CODE_DEPLOY controller, and a task execution role; prints the listener ARN.
fn ecs_service(name: &str) -> String {
    boto3_output(&format!(
        "import json\n\
         ec2, elb, ecs, iam = client('ec2'), client('elbv2'), client('ecs'), client('iam')\n\
         vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']\n\
         subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.0.{{i}}.0/24', AvailabilityZone=f'us-east-1{{z}}')['Subnet']['SubnetId'] for i, z in ((1, 'a'), (2, 'b'))]\n\
         lb = elb.create_load_balancer(Name='{name}', Subnets=subnets)['LoadBalancers'][0]['LoadBalancerArn']\n\
         blue, green = (elb.create_target_group(Name=f'{name}-{{c}}', Protocol='HTTP', Port=80, VpcId=vpc, TargetType='ip')['TargetGroups'][0]['TargetGroupArn'] for c in ('blue', 'green'))\n\
         prod = elb.create_listener(LoadBalancerArn=lb, Protocol='HTTP', Port=80, DefaultActions=[{{'Type': 'forward', 'TargetGroupArn': blue}}])['Listeners'][0]['ListenerArn']\n\
         ecs.create_cluster(clusterName='{name}')\n\
         web = [{{'name': 'web', 'image': 'nginx:blue', 'memory': 128, 'portMappings': [{{'containerPort': 80}}], 'essential': True}}]\n\
         v1 = ecs.register_task_definition(family='{name}', containerDefinitions=web)['taskDefinition']['taskDefinitionArn']\n\
         ecs.create_service(cluster='{name}', serviceName='{name}', taskDefinition=v1, desiredCount=1, launchType='FARGATE', \
         deploymentController={{'type': 'CODE_DEPLOY'}}, loadBalancers=[{{'targetGroupArn': blue, 'containerName': 'web', 'containerPort': 80}}])\n\
         trust = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'ecs-tasks.amazonaws.com'}}, 'Action': 'sts:AssumeRole'}}]}})\n\
         iam.create_role(RoleName='{name}-exec', AssumeRolePolicyDocument=trust)\n\
         print(prod)\n"
    ))
    .trim()
    .to_owned()
}

/// The ECS deploy action reads a small artifact holding only taskdef.json, appspec.yml and
/// imageDetail.json, registers the task definition passing exactly the execution role the spec
/// names, and CodeDeploy moves the service to it.
#[test]
fn ecs_deploys_from_a_small_artifact_passing_only_the_named_roles() {
    let scope = quiet_scope();
    let name = scope.name.clone();
    let listener = ecs_service(&name);
    let taskdef = json!({
        "family": name,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": format!("arn:aws:iam::123456789012:role/{name}-exec"),
        "containerDefinitions": [{
            "name": "web", "image": "<IMAGE1_NAME>", "essential": true,
            "portMappings": [{ "containerPort": 80, "protocol": "tcp" }]
        }]
    });
    let spec = format!(
        "version: 1\nname: {name}\nsource:\n  codecommit:\n    repository: {name}\n\
         build:\n  commands:\n    - mkdir -p big && head -c 4000000 /dev/urandom > big/blob\n\
         \x20   - printf '{{\"ImageURI\":\"%s\"}}' \"nginx:green\" > imageDetail.json\n\
         deploy:\n  codedeploy:\n    platform: ecs\n    strategy: blue-green\n    ecs:\n\
         \x20     cluster: {name}\n      service: {name}\n      container: web\n      port: 80\n\
         \x20     target_groups: [{name}-blue, {name}-green]\n      execution_role: {name}-exec\n\
         \x20     listener: {listener}\n"
    );
    let up = Test::new()
        .spec(&spec)
        .file("taskdef.json", taskdef.to_string())
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    let pushed = up.then().args(["push"]).run().success();
    // The build's whole output holds a 4 MB file: over the ECS action's 3 MB input limit.
    pushed.then().args(["run"]).run().success();
    boto3_output(&format!(
        "import io, json, zipfile\n\
         cp, s3, ecs = client('codepipeline'), client('s3'), client('ecs')\n\
         runs = cp.list_action_executions(pipelineName='{name}-pipeline')['actionExecutionDetails']\n\
         deploy = [r for r in runs if r['actionName'] == 'Deploy'][0]\n\
         art = deploy['input']['inputArtifacts'][0]\n\
         assert art['name'] == 'EcsDeploy', art\n\
         loc = art['s3location']\n\
         data = s3.get_object(Bucket=loc['bucket'], Key=loc['key'])['Body'].read()\n\
         names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())\n\
         assert names == ['appspec.yml', 'imageDetail.json', 'taskdef.json'], names\n\
         svc = ecs.describe_services(cluster='{name}', services=['{name}'])['services'][0]\n\
         primary = [t for t in svc.get('taskSets', []) if t['status'] == 'PRIMARY'][0]\n\
         td = ecs.describe_task_definition(taskDefinition=primary['taskDefinition'])['taskDefinition']\n\
         assert td['containerDefinitions'][0]['image'] == 'nginx:green', td\n\
         assert td['executionRoleArn'].endswith('/{name}-exec'), td\n\
         policy = client('iam').get_role_policy(RoleName='{name}-codepipeline-role', PolicyName='pipewright')['PolicyDocument']\n\
         passes = [s for s in policy['Statement'] if 'iam:PassRole' in s['Action']]\n\
         assert [s['Resource'] for s in passes] == [['arn:aws:iam::123456789012:role/{name}-exec']], passes\n"
    ));
}

/// Whether the bucket sends its object events to EventBridge, read with boto3.
fn bucket_sends_to_eventbridge(bucket: &str) -> bool {
    boto3_output(&format!(
        "print('EventBridgeConfiguration' in client('s3').get_bucket_notification_configuration(Bucket='{bucket}'))"
    ))
    .trim()
        == "True"
}

/// An S3 source's rule needs the bucket's EventBridge delivery: `up` turns it on (keeping the
/// bucket's other notifications) and `down` turns it off again, but only when `up` was the one
/// that turned it on; a delivery the user had on is left on.
#[test]
fn an_s3_source_bucket_sends_events_while_the_pipeline_exists_and_down_restores_it() {
    for already_on in [false, true] {
        let scope = quiet_scope();
        let name = scope.name.clone();
        let bucket = format!("{name}-source");
        boto3(&format!(
            "s3, sqs = client('s3'), client('sqs')\n\
             s3.create_bucket(Bucket='{bucket}')\n\
             s3.put_bucket_versioning(Bucket='{bucket}', VersioningConfiguration={{'Status': 'Enabled'}})\n\
             queue = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName='{name}')['QueueUrl'], AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
             config = {{'QueueConfigurations': [{{'Id': 'users', 'QueueArn': queue, 'Events': ['s3:ObjectRemoved:*']}}]}}\n\
             if {already_on}: config['EventBridgeConfiguration'] = {{}}\n\
             s3.put_bucket_notification_configuration(Bucket='{bucket}', NotificationConfiguration=config)\n",
            already_on = if already_on { "True" } else { "False" },
        ));
        let test = Test::new().example("static-site", &name);
        let spec = s3_source_spec(&test, &name, &bucket);
        let up = test
            .spec(&spec)
            .emulator(&scope)
            .args(["up", "--yes"])
            .run()
            .success();
        assert!(bucket_sends_to_eventbridge(&bucket), "after up");
        let again = up.then().args(["up", "--yes"]).run().success();
        again.stdout_has("No changes");
        again.then().args(["down", "--yes"]).run().success();
        assert_eq!(
            bucket_sends_to_eventbridge(&bucket),
            already_on,
            "after down (on before up: {already_on})"
        );
        // The user's own notification is untouched either way.
        boto3(&format!(
            "q = client('s3').get_bucket_notification_configuration(Bucket='{bucket}')['QueueConfigurations']\n\
             assert [c['Id'] for c in q] == ['users'], q\n"
        ));
    }
}

/// A build command refused by AWS: `logs` names the permission and the spec lines that grant it;
/// with those lines added, `up` and `run` succeed.
#[test]
fn logs_names_the_permission_a_build_lacks_and_the_lines_that_grant_it() {
    let scope = quiet_scope();
    let name = scope.name.clone();
    boto3(&format!(
        "client('dynamodb').create_table(TableName='{name}-orders', BillingMode='PAY_PER_REQUEST', \
         KeySchema=[{{'AttributeName': 'id', 'KeyType': 'HASH'}}], \
         AttributeDefinitions=[{{'AttributeName': 'id', 'AttributeType': 'S'}}])\n"
    ));
    let test = Test::new().example("static-site", &name);
    let spec = std::fs::read_to_string(test.dir().join("pipewright.yml")).expect("spec");
    let spec = spec.replacen(
        "    - mkdir -p dist && cp -r site/. dist/\n",
        &format!(
            "    - mkdir -p dist && cp -r site/. dist/\n    - aws dynamodb describe-table --table-name {name}-orders > dist/table.json\n"
        ),
        1,
    );
    let pushed = succeed(
        test.spec(&spec).emulator(&scope),
        &[&["up", "--yes"], &["push"]],
    );
    let logs = pushed
        .then()
        .args(["run"])
        .run()
        .code(1)
        .then()
        // Three lines shown: the refusal, further up, is still found.
        .args(["logs", "--lines", "3"])
        .run()
        .success();
    let table = format!("arn:aws:dynamodb:us-east-1:123456789012:table/{name}-orders");
    logs.stdout_has(&format!(
        "a build command called dynamodb:DescribeTable on {table}, which the build role ({name}-codebuild-role) is not allowed to do"
    ))
    .stdout_has(&format!(
        "        statements:\n          - actions: [dynamodb:DescribeTable]\n            resources: [\"{table}\"]"
    ));
    // The lines it names are what the build needs.
    let granted = spec.replacen(
        "  artifacts:\n",
        &format!(
            "  permissions:\n    statements:\n      - actions: [dynamodb:DescribeTable]\n        resources: [\"{table}\"]\n  artifacts:\n"
        ),
        1,
    );
    std::fs::write(logs.dir.path().join("pipewright.yml"), granted).expect("write spec");
    succeed(logs.then(), &[&["up", "--yes"], &["run"]]);
}

/// IAM is eventually consistent: right after `up`, CodeBuild may not assume the new build role
/// yet. The emulator's propagation knob holds the roles unassumable for a while; `up` waits
/// (its creates are retried) and the first `run` retries the stage until the role is visible.
#[test]
fn the_first_run_after_up_waits_for_new_roles_to_propagate() {
    let scope = quiet_scope();
    let name = scope.name.clone();
    scope.configure(json!({ "iam_propagation_ms": 1500 }));
    let up = Test::new()
        .example("static-site", &name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    let pushed = up.then().args(["push"]).run().success();
    // The roles are now a little older than 1.5 s: make them young again, as a slower
    // propagation would.
    scope.configure(json!({ "iam_propagation_ms": 6000 }));
    pushed
        .then()
        .args(["run"])
        .run()
        .success()
        .stderr_has("Build: a new IAM role is not visible to the service yet; retrying the stage");
}

/// `up` prints a website URL only for a public site: a private bucket's website endpoint refuses
/// anonymous reads, so it says how such a site is reached instead.
#[test]
fn up_prints_a_website_url_only_for_a_public_site() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let up = Test::new()
        .example("static-site", &name)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    up.stdout_has(&format!(
        "Website:   not served: bucket {name}-site allows no anonymous reads, so its website answers 403"
    ));
    let spec = up
        .read("pipewright.yml")
        .replacen("    # public: true ", "    public: true   ", 1);
    assert!(spec.contains("\n    public: true"), "{spec}");
    std::fs::write(up.dir.path().join("pipewright.yml"), spec).expect("write spec");
    up.then()
        .args(["up", "--yes"])
        .run()
        .success()
        .stdout_has("Website:   http")
        .stdout_lacks("not served");
}

/// `kms_key`: the artifact bucket, the build's artifacts and the pipeline's artifact store are
/// encrypted with the customer-managed key, the build and pipeline roles may use exactly that
/// key, a second `up` has nothing to do, and the pipeline runs.
#[test]
fn a_customer_managed_key_encrypts_the_artifacts_and_the_roles_may_use_it() {
    let scope = quiet_scope();
    let name = scope.name.clone();
    let key = boto3_output("print(client('kms').create_key()['KeyMetadata']['Arn'])")
        .trim()
        .to_owned();
    let test = Test::new().example("static-site", &name);
    let spec = std::fs::read_to_string(test.dir().join("pipewright.yml")).expect("spec");
    let spec = format!("{spec}kms_key: {key}\n");
    let up = test
        .spec(&spec)
        .emulator(&scope)
        .args(["up", "--yes"])
        .run()
        .success();
    let again = up.then().args(["up", "--yes"]).run().success();
    again.stdout_has("No changes");
    boto3(&format!(
        "s3, cb, cp, iam = client('s3'), client('codebuild'), client('codepipeline'), client('iam')\n\
         rule = s3.get_bucket_encryption(Bucket='{name}-artifacts-123456789012-us-east-1')['ServerSideEncryptionConfiguration']['Rules'][0]\n\
         assert rule['ApplyServerSideEncryptionByDefault'] == {{'SSEAlgorithm': 'aws:kms', 'KMSMasterKeyID': '{key}'}}, rule\n\
         assert rule.get('BucketKeyEnabled') is True, rule\n\
         assert cb.batch_get_projects(names=['{name}-build'])['projects'][0]['encryptionKey'] == '{key}'\n\
         store = cp.get_pipeline(name='{name}-pipeline')['pipeline']['artifactStore']\n\
         assert store['encryptionKey'] == {{'id': '{key}', 'type': 'KMS'}}, store\n\
         for role in ('codebuild', 'codepipeline'):\n\
         \x20   doc = iam.get_role_policy(RoleName=f'{name}-{{role}}-role', PolicyName='pipewright')['PolicyDocument']\n\
         \x20   kms = [s for s in doc['Statement'] if any(a.startswith('kms:') for a in s['Action'])]\n\
         \x20   assert [(sorted(s['Action']), s['Resource']) for s in kms] == [(['kms:Decrypt', 'kms:GenerateDataKey'], ['{key}'])], kms\n"
    ));
    succeed(again.then(), &[&["push"], &["run"]]);
}

/// The examples not run end to end elsewhere run on the strict emulator: `up`, a change pushed
/// (or, for GitHub, a repository the connection reads), `run` to Succeeded. (ECS, Lambda and EC2
/// blue/green run in `strict_emulator`.)
#[test]
fn the_static_site_ec2_rolling_and_github_examples_run_on_the_strict_emulator() {
    for kind in ["static-site", "ec2-rolling"] {
        let scope = quiet_scope();
        let test = Test::new().example(kind, &scope.name).emulator(&scope);
        succeed(test, &[&["up", "--yes"], &["push"], &["run"]]);
    }
    let scope = quiet_scope();
    let name = scope.name.clone();
    let test = Test::new().example("github-source", &name);
    let connection = boto3_output(&format!(
        "import json, urllib.request\n\
         arn = client('codestar-connections').create_connection(ProviderType='GitHub', ConnectionName='{name}')['ConnectionArn']\n\
         def control(path, body):\n\
         \x20   request = urllib.request.Request('{endpoint}' + path, data=json.dumps(body).encode(), headers={{'Content-Type': 'application/json'}})\n\
         \x20   urllib.request.urlopen(request).read()\n\
         control('/_pipewright/codestar-connections/status', {{'arn': arn, 'status': 'AVAILABLE'}})\n\
         control('/_pipewright/github-repos', {{'fullRepositoryId': 'my-org/{name}', 'path': '{dir}'}})\n\
         print(arn)\n",
        endpoint = crate::support::emulator::endpoint(),
        dir = test.dir().display(),
    ))
    .trim()
    .to_owned();
    let spec = std::fs::read_to_string(test.dir().join("pipewright.yml")).expect("spec");
    let spec = spec.replace(
        "arn:aws:codeconnections:us-east-1:123456789012:connection/00000000-0000-0000-0000-000000000000",
        &connection,
    );
    succeed(
        test.spec(&spec).emulator(&scope),
        &[&["up", "--yes"], &["run"]],
    );
}
