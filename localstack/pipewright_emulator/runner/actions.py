"""The action handlers of the pipeline engine: sources, CodeBuild, approval, deploys.

Each handler gets the ``ActionRun`` to fill (external id/URL, summary, output artifacts,
variables) and raises ``ActionFailed`` with CodePipeline's wording when the action fails.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import uuid
from typing import Any

from ..judge import access, providers
from ..patches import ensure
from ..state import connections, git
from . import artifacts as art
from . import builds, deployments, lambda_deploy, registry
from .build import Output, SourceError
from .records import Abandoned, ActionFailed, ActionRun, _now


class Actions:
    """Mixed into PipelineRunner, which provides account, region, ex (the Execution) and job."""

    def handler_for(self, type_id: dict[str, str]):
        key = (type_id.get("category"), type_id.get("owner"), type_id.get("provider"))
        table = {
            ("Source", "AWS", "CodeCommit"): self.source_codecommit,
            ("Source", "AWS", "S3"): self.source_s3,
            ("Source", "AWS", "CodeStarSourceConnection"): self.source_connection,
            ("Build", "AWS", "CodeBuild"): self.build,
            ("Test", "AWS", "CodeBuild"): self.build,
            ("Approval", "AWS", "Manual"): self.approval,
            ("Deploy", "AWS", "S3"): self.deploy_s3,
            ("Deploy", "AWS", "CodeDeploy"): self.deploy_codedeploy,
            ("Deploy", "AWS", "CodeDeployToECS"): self.deploy_ecs,
            ("Deploy", "AWS", "Lambda"): self.deploy_lambda,
        }
        handler = table.get(key)
        if handler is None:
            def unsupported(run: ActionRun, action: dict[str, Any]) -> None:
                raise ActionFailed(f"The pipewright emulator does not run {key[1]}/{key[2]} {key[0]} actions")
            return unsupported
        return handler

    # --- helpers ---------------------------------------------------------------------------
    def role_of(self, run: ActionRun) -> str | None:
        """The role CodePipeline acts as for this action: the action's own, else the pipeline's."""
        return run.role_arn or self.ex.structure.get("roleArn")

    def judged(self, run: ActionRun, rule: access.Rule) -> None:
        """Fail the action as AWS does when its role may not take this step."""
        refusal = access.judge(rule, account=self.account, region=run.region, role_arn=self.role_of(run),
                               session=run.session, scope=self.ex.access_key)
        if refusal is not None:
            raise ActionFailed(refusal.message, code=refusal.code)

    def store_bucket(self, region: str) -> str:
        structure = self.ex.structure
        stores = structure.get("artifactStores") or {}
        store = stores.get(region) or structure.get("artifactStore") or {}
        bucket = store.get("location")
        if not bucket:
            raise ActionFailed("The pipeline has no artifact store location")
        return bucket

    def put_output(self, run: ActionRun, action: dict[str, Any], data: bytes, index: int = 0) -> None:
        outputs = action.get("outputArtifacts") or []
        if len(outputs) <= index:
            return
        name = outputs[index]["name"]
        bucket = self.store_bucket(run.region)
        key = art.artifact_key(self.ex.pipeline, name)
        self.judged(run, access.artifact_write(bucket, key))
        try:
            art.put(self.account, bucket, key, data)
        except art.ArtifactError as err:
            raise ActionFailed(f"Insufficient permissions or missing bucket: the pipeline could not write its "
                               f"artifact to the artifact store ({err})") from None
        self.record_output(run, name, bucket, key)

    def record_output(self, run: ActionRun, name: str, bucket: str, key: str) -> None:
        self.ex.artifacts[name] = {"bucket": bucket, "key": key}
        run.outputs.append({"name": name, "s3location": {"bucket": bucket, "key": key}})

    def input_bytes(self, run: ActionRun, action: dict[str, Any], name: str | None = None) -> tuple[str, bytes]:
        inputs = action.get("inputArtifacts") or []
        if not inputs:
            raise ActionFailed("The action has no input artifact")
        wanted = name or inputs[0]["name"]
        loc = self.ex.artifacts.get(wanted)
        if loc is None:
            raise ActionFailed(f"Input artifact {wanted} was not produced by an earlier action")
        self.judged(run, access.artifact_read(loc["bucket"], loc["key"]))
        try:
            return wanted, art.get(self.account, loc["bucket"], loc["key"]).value
        except art.ArtifactError as err:
            raise ActionFailed(f"Could not read input artifact {wanted}: {err}") from None

    def artifact_bytes(self, name: str) -> bytes:
        """An input artifact's bytes, read by someone else than the pipeline's role (CodeBuild)."""
        loc = self.ex.artifacts.get(name)
        if loc is None:
            raise ActionFailed(f"Input artifact {name} was not produced by an earlier action")
        try:
            return art.get(self.account, loc["bucket"], loc["key"]).value
        except art.ArtifactError as err:
            raise ActionFailed(f"Could not read input artifact {name}: {err}") from None

    def wait(self, done: threading.Event, run: ActionRun) -> None:
        while not done.wait(0.05):
            self.job.check()
            if self.ex.stop is not None and self.ex.stop.get("abandon"):
                raise Abandoned()

    def add_revision(self, action: str, artifact: str | None, revision_id: str, summary: str | None,
                     url: str | None) -> None:
        if artifact:
            self.ex.artifact_revision[artifact] = revision_id
        self.ex.revisions.append({k: v for k, v in {"name": artifact, "revisionId": revision_id,
                                                      "revisionSummary": summary, "revisionUrl": url,
                                                      "created": _now()}.items() if v is not None})
        self.ex.source_revisions.append({k: v for k, v in {"actionName": action, "revisionId": revision_id,
                                                             "revisionSummary": summary, "revisionUrl": url}.items()
                                         if v is not None})

    # --- sources ---------------------------------------------------------------------------
    def source_codecommit(self, run: ActionRun, action: dict[str, Any]) -> None:
        ensure("codecommit")
        repo, branch = run.resolved.get("RepositoryName", ""), run.resolved.get("BranchName", "")
        self.judged(run, access.codecommit_source(run.region, self.account, repo))
        try:
            commit, files = git.repository_files(self.account, run.region, repo, branch)
        except git.RepositoryMissing:
            raise ActionFailed(f"The repository {repo} does not exist or could not be found. Make sure the "
                               "repository exists and try again.", code="ConfigurationError") from None
        except git.BranchMissing:
            # AWS's words when nothing was pushed to the branch yet (a new repository has no branch at all),
            # reported with errorCode ConfigurationError
            raise ActionFailed(f"The action failed because no branch named {branch} was found in the selected AWS "
                               f"CodeCommit repository {repo}. Make sure you are using the correct branch name, and "
                               "then try again. Error: null", code="ConfigurationError") from None
        url = (f"https://{run.region}.console.aws.amazon.com/codesuite/codecommit/repositories/{repo}/commit/"
               f"{commit.commit_id}?region={run.region}")
        run.external_id, run.summary, run.external_url = commit.commit_id, commit.message, url
        self.put_output(run, action, art.zip_files(files))
        when = dt.datetime.fromtimestamp(int(commit.author["date"].split()[0]), dt.timezone.utc)
        run.variables = {"CommitId": commit.commit_id, "CommitMessage": commit.message, "RepositoryName": repo,
                         "BranchName": branch, "AuthorDate": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "CommitterDate": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
        outputs = action.get("outputArtifacts") or [{}]
        self.add_revision(run.action, outputs[0].get("name"), commit.commit_id, commit.message, url)

    def source_s3(self, run: ActionRun, action: dict[str, Any]) -> None:
        bucket, key = run.resolved.get("S3Bucket", ""), run.resolved.get("S3ObjectKey", "")
        backend = art.s3_backend(self.account)
        try:
            bucket_obj = backend.get_bucket(bucket)
        except Exception:  # noqa: BLE001
            raise ActionFailed(f"The specified bucket {bucket} does not exist.") from None
        try:
            obj = art.get(self.account, bucket, key)
        except art.ArtifactError:
            obj = None
        self.judged(run, access.s3_source(bucket, key, obj.version_id if obj is not None else None))
        if not bucket_obj.is_versioned:
            raise ActionFailed(f"Bucket versioning is not enabled on {bucket}. An Amazon S3 source bucket must have "
                               "versioning enabled.")
        if obj is None:
            raise ActionFailed(f"The object with key {key} does not exist in bucket {bucket}.")
        run.external_id = obj.version_id
        run.summary = f"Amazon S3 version id: {obj.version_id}"
        self.put_output(run, action, obj.value)
        run.variables = {"ETag": obj.etag.strip('"'), "VersionId": obj.version_id, "ObjectKey": key}
        outputs = action.get("outputArtifacts") or [{}]
        self.add_revision(run.action, outputs[0].get("name"), obj.version_id, None, None)

    def source_connection(self, run: ActionRun, action: dict[str, Any]) -> None:
        arn = run.resolved.get("ConnectionArn", "")
        repo = run.resolved.get("FullRepositoryId", "")
        self.judged(run, access.connection_source(arn))
        conn = connections.STORE.get(arn)
        if conn is None:
            raise ActionFailed(f"Connection {arn} does not exist.")
        if conn.status != "AVAILABLE":
            raise ActionFailed(f"Connection {arn} is not available (status {conn.status}). Complete the connection "
                               "in the console first (emulator: POST /_pipewright/codestar-connections/status with "
                               "status AVAILABLE).")
        local = connections.STORE.github_repos.get(repo)
        if local is None:
            raise ActionFailed(f"The pipewright emulator cannot reach {conn.provider} to fetch {repo}: it has no "
                               "network access. Map the repository to a local directory with "
                               "POST /_pipewright/github-repos {\"fullRepositoryId\": ..., \"path\": ...}.")
        workdir = registry.new_tempdir("connection-")
        art.copy_tree(local, workdir)
        revision = _git_head(local) or "local"
        run.external_id, run.summary = revision, f"Local copy of {repo} ({local})"
        self.put_output(run, action, art.zip_directory(workdir))
        run.variables = {"CommitId": revision, "FullRepositoryName": repo,
                         "BranchName": run.resolved.get("BranchName", ""), "ConnectionArn": arn,
                         "ProviderType": conn.provider}
        outputs = action.get("outputArtifacts") or [{}]
        self.add_revision(run.action, outputs[0].get("name"), revision, run.summary, None)

    # --- build -----------------------------------------------------------------------------
    def build(self, run: ActionRun, action: dict[str, Any]) -> None:
        ensure("codebuild")

        project = run.resolved.get("ProjectName", "")
        env_overrides: list[dict[str, str]] = []
        if run.resolved.get("EnvironmentVariables"):
            try:
                env_overrides = [{"name": v["name"], "value": self.resolve(str(v.get("value", ""))),
                                  "type": v.get("type", "PLAINTEXT")}
                                 for v in json.loads(run.resolved["EnvironmentVariables"])]
            except (ValueError, KeyError, TypeError):
                raise ActionFailed("The EnvironmentVariables configuration is not a valid JSON list of "
                                   "{name, value, type}") from None
        inputs = [a["name"] for a in action.get("inputArtifacts") or []]
        primary = run.resolved.get("PrimarySource") or (inputs[0] if inputs else None)

        def loader(name: str):
            def load(dest: str) -> str | None:
                data = self.artifact_bytes(name)  # read by CodeBuild with the build's role (runner.build judges)
                try:
                    art.extract(data, dest)
                except art.ArtifactError as err:
                    raise SourceError("CLIENT_ERROR", str(err)) from None
                return self.ex.artifact_revision.get(name)
            return load

        load_source = loader(primary) if primary else (lambda dest: None)
        secondary = {name: loader(name) for name in inputs if name != primary}
        outputs = []
        for out in action.get("outputArtifacts") or []:
            bucket = self.store_bucket(run.region)
            outputs.append(Output(out["name"], bucket, art.artifact_key(self.ex.pipeline, out["name"])))
        primary_loc = self.ex.artifacts.get(primary or "")
        source_version = f"arn:aws:s3:::{primary_loc['bucket']}/{primary_loc['key']}" if primary_loc else None
        objects = {("" if name == primary else name): (loc["bucket"], loc["key"])
                   for name in inputs if (loc := self.ex.artifacts.get(name))}
        self.judged(run, access.codebuild_action(run.region, self.account, project))
        try:
            build = builds.start(self.account, run.region, project, access_key=self.ex.access_key,
                                 initiator=f"codepipeline/{self.ex.pipeline}", load_source=load_source,
                                 secondary_sources=secondary, env_overrides=env_overrides, outputs=outputs,
                                 source_version=source_version, source_objects=objects)
        except Exception as err:  # noqa: BLE001 - e.g. the project does not exist
            message = getattr(err, "message", None) or str(err)
            code = getattr(err, "error_type", None) or type(err).__name__
            raise ActionFailed(f"Error calling startBuild: {message} (Service: AWSCodeBuild; Status Code: 400; "
                               f"Error Code: {code}; Request ID: {uuid.uuid4()}; Proxy: null)") from None
        build_id = build.data["id"]
        run.external_id = build_id
        run.external_url = f"https://console.aws.amazon.com/codebuild/home?region={run.region}#/builds/{build_id}/view/new"
        self.wait(build.done, run)
        if build.status != "SUCCEEDED":
            message = build.failure_message()
            raise ActionFailed(message, summary=message)
        for out in outputs:
            placed = build.output_locations.get(out.identifier)
            if placed:
                self.record_output(run, out.identifier, placed["bucket"], placed["key"])
        run.variables = dict(build.exported)

    # --- approval ----------------------------------------------------------------------------
    def approval(self, run: ActionRun, action: dict[str, Any]) -> None:
        run.token = str(uuid.uuid4())
        run.approval = {"event": threading.Event(), "result": None}
        while not run.approval["event"].wait(0.05):
            self.job.check()
            if self.ex.stop is not None:
                if self.ex.stop.get("abandon"):
                    raise Abandoned()
        result = run.approval["result"] or {}
        run.summary = result.get("summary")
        if result.get("status") == "Rejected":
            raise ActionFailed(f"Rejected by {run.updated_by}: {result.get('summary') or ''}".rstrip(": "),
                               code="JobFailed", summary=result.get("summary"))

    # --- deploys ---------------------------------------------------------------------------
    def deploy_s3(self, run: ActionRun, action: dict[str, Any]) -> None:
        bucket = run.resolved.get("BucketName", "")
        extract = str(run.resolved.get("Extract", "false")).lower() == "true"
        object_key = run.resolved.get("ObjectKey") or ""
        acl = run.resolved.get("CannedACL")
        if not extract and not object_key:
            raise ActionFailed("ObjectKey is required when Extract is false")
        if not art.bucket_exists(self.account, bucket):
            raise ActionFailed(f"The specified bucket does not exist: {bucket}")
        _, data = self.input_bytes(run, action)
        if not extract:
            self.judged(run, access.s3_deploy(bucket, object_key, acl))
            art.put(self.account, bucket, object_key, data)
            run.summary = f"Deployed {object_key} to {bucket}"
            return
        workdir = registry.new_tempdir("s3deploy-")
        try:
            art.extract(data, workdir)
        except art.ArtifactError as err:
            raise ActionFailed(str(err)) from None
        files = []
        for root, _dirs, names in os.walk(workdir):
            for name in names:
                full = os.path.join(root, name)
                rel = os.path.relpath(full, workdir).replace(os.sep, "/")
                files.append((full, f"{object_key.strip('/')}/{rel}" if object_key.strip("/") else rel))
        for _full, key in files:  # the role is asked about every object before the first one is written
            self.judged(run, access.s3_deploy(bucket, key, acl))
        for full, key in files:
            with open(full, "rb") as fh:
                art.put(self.account, bucket, key, fh.read())
        run.summary = f"Extracted {len(files)} file(s) to {bucket}"

    def _codedeploy(self, run: ActionRun, revision: dict[str, Any]) -> None:
        """CodePipeline's CodeDeploy job worker: the role's checks, then CreateDeployment, then wait."""
        ensure("codedeploy")
        from moto.codedeploy.models import codedeploy_backends

        backend = codedeploy_backends[self.account][run.region]
        app, group = run.resolved.get("ApplicationName", ""), run.resolved.get("DeploymentGroupName", "")
        group_obj = backend.deployment_groups.get(app, {}).get(group)
        config = str(getattr(group_obj, "deployment_config_name", None) or "CodeDeployDefault.OneAtATime")
        self.judged(run, access.codedeploy_action(run.region, self.account, app, group, config))
        try:
            deployment_id = deployments.create(self.account, run.region, backend, app, group, revision,
                                               description=f"Deployment from CodePipeline {self.ex.pipeline}",
                                               external_id=None, scope=self.ex.access_key)
        except Exception as err:  # noqa: BLE001 - the service's error, as the job worker's SDK prints it
            message = getattr(err, "message", None) or str(err)
            code = getattr(err, "error_type", None) or type(err).__name__
            raise ActionFailed(f"{message} (Service: AmazonCodeDeploy; Status Code: 400; Error Code: {code}; "
                               f"Request ID: {uuid.uuid4()}; Proxy: null)") from None
        run.external_id = deployment_id
        run.external_url = f"https://console.aws.amazon.com/codedeploy/home?region={run.region}#/deployments/{deployment_id}"
        d = backend.deployments[deployment_id]
        self.wait(d._pw_done, run)
        if d.status != "Succeeded":
            error = getattr(d, "_pw_error", None) or {"message": f"Deployment {deployment_id} {d.status}"}
            raise ActionFailed(error["message"], summary=error["message"])
        run.summary = f"Deployment {deployment_id} succeeded"

    def deploy_codedeploy(self, run: ActionRun, action: dict[str, Any]) -> None:
        """The input artifact is registered as a zip revision in S3: fine for EC2/on-premises applications,
        refused by CodeDeploy for Lambda and ECS ones ("BundleType must be either YAML or JSON")."""
        name = (action.get("inputArtifacts") or [{}])[0].get("name")
        loc = self.ex.artifacts.get(name or "")
        if loc is None:
            raise ActionFailed(f"Input artifact {name} was not produced by an earlier action")
        obj = art.get(self.account, loc["bucket"], loc["key"])
        revision = {"revisionType": "S3", "s3Location": {"bucket": loc["bucket"], "key": loc["key"],
                                                        "bundleType": "zip", "eTag": obj.etag.strip('"')}}
        self._codedeploy(run, revision)

    def deploy_ecs(self, run: ActionRun, action: dict[str, Any]) -> None:
        """CodeDeployToECS: register the task definition from its template (image from imageDetail.json), put its
        ARN in the AppSpec template, and deploy that AppSpec
        (https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECSbluegreen.html)."""
        import hashlib
        import io
        import zipfile

        for artifact in action.get("inputArtifacts") or []:
            loc = self.ex.artifacts.get(artifact["name"])
            if loc is not None and providers.judging(self.ex.access_key):
                size = len(art.get(self.account, loc["bucket"], loc["key"]).value)
                refused = providers.ecs_input_artifact(artifact["name"], size)
                if refused is not None:
                    raise ActionFailed(refused[1], code=refused[0])

        def read(artifact: str | None, path: str, what: str) -> str:
            _, data = self.input_bytes(run, action, artifact)
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    return zf.read(path).decode()
            except (KeyError, zipfile.BadZipFile):
                raise ActionFailed(f"Exception while trying to read the {what} artifact file from: {artifact}",
                                   code="ConfigurationError") from None

        appspec = read(run.resolved.get("AppSpecTemplateArtifact"), run.resolved.get("AppSpecTemplatePath")
                       or "appspec.yaml", "AppSpec")
        template = read(run.resolved.get("TaskDefinitionTemplateArtifact"),
                        run.resolved.get("TaskDefinitionTemplatePath") or "taskdef.json", "task definition")
        for number in range(1, 5):  # Image<N>ArtifactName: imageDetail.json's ImageURI replaces <Image<N>ContainerName>
            artifact = run.resolved.get(f"Image{number}ArtifactName")
            if not artifact:
                continue
            try:
                uri = json.loads(read(artifact, "imageDetail.json", "image")).get("ImageURI", "")
            except ValueError:
                raise ActionFailed(f"Exception while trying to read the image artifact file from the artifact: "
                                   f"{artifact}.", code="ConfigurationError") from None
            placeholder = run.resolved.get(f"Image{number}ContainerName") or f"IMAGE{number}_NAME"
            template = template.replace(f"<{placeholder}>", uri)
        try:
            taskdef = json.loads(template)
        except ValueError:
            raise ActionFailed("The task definition template is not valid JSON", code="ConfigurationError") from None
        family = taskdef.get("family", "task")
        ensure("ecs")
        from moto.ecs.models import ecs_backends

        ecs = ecs_backends[self.account][run.region]
        revision_number = 1 + max((t.revision for t in ecs.task_definitions.get(family, {}).values()), default=0)
        roles = [r for r in (taskdef.get("taskRoleArn"), taskdef.get("executionRoleArn")) if r]
        self.judged(run, access.ecs_task_definition(run.region, self.account, family, revision_number, roles))
        try:
            registered = ecs.register_task_definition(
                family, taskdef.get("containerDefinitions") or [], volumes=taskdef.get("volumes"),
                network_mode=taskdef.get("networkMode"), tags=taskdef.get("tags"),
                placement_constraints=taskdef.get("placementConstraints"),
                requires_compatibilities=taskdef.get("requiresCompatibilities"), cpu=taskdef.get("cpu"),
                memory=taskdef.get("memory"), task_role_arn=taskdef.get("taskRoleArn"),
                execution_role_arn=taskdef.get("executionRoleArn"))
        except Exception as err:  # noqa: BLE001 - moto's validation of the template
            raise ActionFailed(f"Failed to register the task definition: {getattr(err, 'message', err)}") from None
        content = appspec.replace("<TASK_DEFINITION>", registered.arn)
        revision = {"revisionType": "AppSpecContent",
                    "appSpecContent": {"content": content, "sha256": hashlib.sha256(content.encode()).hexdigest()}}
        self._codedeploy(run, revision)

    def deploy_lambda(self, run: ActionRun, action: dict[str, Any]) -> None:
        """The V2 Lambda deploy action (https://docs.aws.amazon.com/codepipeline/latest/userguide/
        action-reference-LambdaDeploy.html): the input artifact becomes the function's code and a new version,
        and the alias moves to it by DeployStrategy (AllAtOnce, Canary<P>Percent<M>Minutes,
        Linear<P>PercentEvery<M>Minute[s]); an alarm in ALARM puts the alias back on its version."""
        inputs = action.get("inputArtifacts") or []
        if providers.judging(self.ex.access_key):
            refused = providers.lambda_deploy_config(run.resolved, bool(inputs))
            if refused is not None:
                raise ActionFailed(refused[1], code=refused[0])
        lambda_deploy.run(self, run, action)


def _git_head(path: str) -> str | None:
    head = os.path.join(path, ".git", "HEAD")
    try:
        with open(head) as fh:
            ref = fh.read().strip()
        if ref.startswith("ref: "):
            with open(os.path.join(path, ".git", ref[5:])) as fh:
                return fh.read().strip()
        return ref
    except OSError:
        return None


