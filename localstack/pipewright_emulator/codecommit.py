"""CodeCommit: repositories that hold real git objects, branches, commits and tags.

moto 5.2.5 serves Create/Get/DeleteRepository only (and ignores ``tags``). Here every
repository keeps real git objects (``state.git``), so commit and blob ids look and behave
like real ones. A repository's first commit creates its branch and makes it the default.
A change to a branch notifies the pipeline engine (change detection).
"""

from __future__ import annotations

import base64
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import iso_8601_datetime_with_milliseconds

from .common import add_methods, aws_error
from .state.git import MODE_NAMES, MODES, TREE_MODE, Commit, GitStore, store_of


# --- the operations --------------------------------------------------------------------------

def _backend(self):
    return self.codecommit_backend


def _repo(self, name: str | None = None):
    name = name if name is not None else self._get_param("repositoryName")
    if not name:
        raise aws_error("RepositoryNameRequiredException", "A repository name is required, but was not specified.")
    repo = _backend(self).repositories.get(name)
    if repo is None:
        raise aws_error("RepositoryDoesNotExistException", f"{name} does not exist")
    return repo


def _metadata(repo) -> dict[str, Any]:
    meta = dict(repo.repository_metadata)
    store = store_of(repo)
    if store.default_branch:
        meta["defaultBranch"] = store.default_branch
    return meta


def _repo_by_arn(self, arn: str):
    if not arn:
        raise aws_error("ResourceArnRequiredException", "A valid Amazon Resource Name (ARN) for an AWS CodeCommit resource is required.")
    for repo in _backend(self).repositories.values():
        if repo.repository_metadata["Arn"] == arn:
            return repo
    if not arn.startswith("arn:"):
        raise aws_error("InvalidResourceArnException", f"The value for the resource ARN is not valid: {arn}")
    raise aws_error("RepositoryDoesNotExistException", f"{arn.rsplit(':', 1)[-1]} does not exist")


def _branch_changed(self, repo, branch: str, commit_id: str, created: bool = False) -> None:
    from .runner import triggers

    triggers.on_codecommit_change(self.current_account, self.region,
                                  repo.repository_metadata["repositoryName"], branch, commit_id, created,
                                  self.get_access_key())


def create_repository(self) -> ActionResult:
    from moto.codecommit.responses import _is_repository_name_valid
    from moto.codecommit.exceptions import InvalidRepositoryNameException

    name = self._get_param("repositoryName")
    if not name or not _is_repository_name_valid(name):
        raise InvalidRepositoryNameException()
    _backend(self).create_repository(name, self._get_param("repositoryDescription"))
    repo = _backend(self).repositories[name]
    tags = self._get_param("tags") or {}
    store_of(repo).tags.update(tags)
    if self._get_param("kmsKeyId"):
        repo.repository_metadata["kmsKeyId"] = self._get_param("kmsKeyId")
    return ActionResult({"repositoryMetadata": _metadata(repo)})


def get_repository(self) -> ActionResult:
    return ActionResult({"repositoryMetadata": _metadata(_repo(self))})


def delete_repository(self) -> ActionResult:
    repository_id = _backend(self).delete_repository(self._get_param("repositoryName"))
    return ActionResult({"repositoryId": repository_id} if repository_id else {})


def batch_get_repositories(self) -> ActionResult:
    found, missing = [], []
    for name in self._get_param("repositoryNames") or []:
        repo = _backend(self).repositories.get(name)
        if repo is None:
            missing.append(name)
        else:
            found.append(_metadata(repo))
    return ActionResult({"repositories": found, "repositoriesNotFound": missing, "errors": []})


def list_repositories(self) -> ActionResult:
    repos = list(_backend(self).repositories.values())
    sort_by = self._get_param("sortBy") or "repositoryName"
    if sort_by == "lastModifiedDate":
        repos.sort(key=lambda r: r.repository_metadata["lastModifiedDate"])
    else:
        repos.sort(key=lambda r: r.repository_metadata["repositoryName"])
    if (self._get_param("order") or "ascending") == "descending":
        repos.reverse()
    start = int(self._get_param("nextToken") or 0)
    page = repos[start:start + 1000]
    result: dict[str, Any] = {"repositories": [
        {"repositoryName": r.repository_metadata["repositoryName"], "repositoryId": r.repository_metadata["repositoryId"]}
        for r in page]}
    if start + 1000 < len(repos):
        result["nextToken"] = str(start + 1000)
    return ActionResult(result)


def update_repository_description(self) -> EmptyResult:
    repo = _repo(self)
    repo.repository_metadata["repositoryDescription"] = self._get_param("repositoryDescription")
    return EmptyResult()


def tag_resource(self) -> EmptyResult:
    repo = _repo_by_arn(self, self._get_param("resourceArn"))
    tags = self._get_param("tags")
    if tags is None:
        raise aws_error("TagsMapRequiredException", "A map of tags is required.")
    store_of(repo).tags.update(tags)
    return EmptyResult()


def untag_resource(self) -> EmptyResult:
    repo = _repo_by_arn(self, self._get_param("resourceArn"))
    for key in self._get_param("tagKeys") or []:
        store_of(repo).tags.pop(key, None)
    return EmptyResult()


def list_tags_for_resource(self) -> ActionResult:
    repo = _repo_by_arn(self, self._get_param("resourceArn"))
    return ActionResult({"tags": dict(store_of(repo).tags)})


# --- branches --------------------------------------------------------------------------------

def create_branch(self) -> EmptyResult:
    repo = _repo(self)
    store = store_of(repo)
    branch, commit_id = self._get_param("branchName"), self._get_param("commitId")
    if not branch:
        raise aws_error("BranchNameRequiredException", "A branch name is required, but was not specified.")
    if not commit_id:
        raise aws_error("CommitIdRequiredException", "A commit ID is required, but was not specified.")
    if branch in store.branches:
        raise aws_error("BranchNameExistsException", f"Cannot create branch {branch}. A branch with that name already exists.")
    resolved = store.resolve(commit_id, repo.repository_metadata["repositoryName"])
    store.branches[branch] = resolved
    if store.default_branch is None:
        store.default_branch = branch
    _branch_changed(self, repo, branch, resolved, True)
    return EmptyResult()


def _branch(self, store: GitStore, repo, branch: str | None) -> str:
    if not branch:
        raise aws_error("BranchNameRequiredException", "A branch name is required, but was not specified.")
    if branch not in store.branches:
        raise aws_error("BranchDoesNotExistException",
                        f"Branch {branch} does not exist in repository {repo.repository_metadata['repositoryName']}.")
    return store.branches[branch]


def get_branch(self) -> ActionResult:
    repo = _repo(self)
    branch = self._get_param("branchName")
    commit_id = _branch(self, store_of(repo), repo, branch)
    return ActionResult({"branch": {"branchName": branch, "commitId": commit_id}})


def list_branches(self) -> ActionResult:
    repo = _repo(self)
    return ActionResult({"branches": sorted(store_of(repo).branches)})


def delete_branch(self) -> ActionResult:
    repo = _repo(self)
    store = store_of(repo)
    branch = self._get_param("branchName")
    commit_id = _branch(self, store, repo, branch)
    if branch == store.default_branch:
        raise aws_error("DefaultBranchCannotBeDeletedException", f"The default branch {branch} cannot be deleted.")
    del store.branches[branch]
    return ActionResult({"deletedBranch": {"branchName": branch, "commitId": commit_id}})


def update_default_branch(self) -> EmptyResult:
    repo = _repo(self)
    store = store_of(repo)
    branch = self._get_param("defaultBranchName")
    _branch(self, store, repo, branch)
    store.default_branch = branch
    return EmptyResult()


# --- commits ---------------------------------------------------------------------------------

def _normalize_path(path: str | None) -> str:
    if not path:
        raise aws_error("PathRequiredException", "The folderPath for a location cannot be null.")
    clean = "/".join(p for p in path.strip().split("/") if p not in ("", "."))
    if not clean or ".." in clean.split("/"):
        raise aws_error("InvalidPathException", f"The specified path is not valid: {path}")
    return clean


def _parent_check(store: GitStore, branch: str, parent: str | None, repo_name: str) -> list[str]:
    """AWS's rules: an existing branch needs the tip as parent; a new one may start anywhere."""
    if branch in store.branches:
        tip = store.branches[branch]
        if not parent:
            raise aws_error("ParentCommitIdRequiredException",
                            "A parent commit ID is required. To view the full commit ID of a branch in a repository, "
                            "use GetBranch or a Git command (for example, git pull or git log).")
        if parent not in store.commits:
            raise aws_error("ParentCommitDoesNotExistException",
                            f"The parent commit ID {parent} does not exist in the repository {repo_name}.")
        if parent != tip:
            raise aws_error("ParentCommitIdOutdatedException",
                            f"The parent commit ID {parent} is not the tip of the branch {branch}. "
                            f"The latest commit ID of the branch is {tip}.")
        return [tip]
    if parent:
        if parent not in store.commits:
            raise aws_error("ParentCommitDoesNotExistException",
                            f"The parent commit ID {parent} does not exist in the repository {repo_name}.")
        return [parent]
    if store.commits:
        raise aws_error("ParentCommitIdRequiredException",
                        "A parent commit ID is required. To view the full commit ID of a branch in a repository, "
                        "use GetBranch or a Git command (for example, git pull or git log).")
    return []


def _author(self) -> tuple[str, str]:
    name = self._get_param("authorName") or self._get_param("name") or "pipewright-emulator"
    return name, self._get_param("email") or ""


def _decode(content: Any) -> bytes:
    if content is None:
        return b""
    if isinstance(content, bytes):
        return content
    try:
        return base64.b64decode(content, validate=True)
    except (ValueError, TypeError):
        return str(content).encode()


def _commit_files(self, repo, store: GitStore, branch: str, parents: list[str], files: dict[str, tuple[str, str]],
                  message: str) -> Commit:
    tree_id = store.write_tree(files)
    name, email = _author(self)
    commit = store.write_commit(tree_id, parents, message, name, email)
    created = branch not in store.branches
    store.branches[branch] = commit.commit_id
    if store.default_branch is None:
        store.default_branch = branch
    repo.repository_metadata["lastModifiedDate"] = iso_8601_datetime_with_milliseconds()
    _branch_changed(self, repo, branch, commit.commit_id, created)
    return commit


def put_file(self) -> ActionResult:
    repo = _repo(self)
    store = store_of(repo)
    repo_name = repo.repository_metadata["repositoryName"]
    branch = self._get_param("branchName")
    if not branch:
        raise aws_error("BranchNameRequiredException", "A branch name is required, but was not specified.")
    if self._get_param("fileContent") is None:
        raise aws_error("FileContentRequiredException", "The file cannot be added because it is empty. Empty files cannot be added to the repository with this API.")
    path = _normalize_path(self._get_param("filePath"))
    mode = MODES.get(self._get_param("fileMode") or "NORMAL", "100644")
    parents = _parent_check(store, branch, self._get_param("parentCommitId"), repo_name)
    files = store.files_at(parents[0]) if parents else {}
    blob = store.put_blob(_decode(self._get_param("fileContent")))
    if files.get(path) == (mode, blob):
        raise aws_error("SameFileContentException",
                        "The file was not added or updated because the content of the file is exactly the same as "
                        "the content of that file in the repository and branch that you specified.")
    files[path] = (mode, blob)
    commit = _commit_files(self, repo, store, branch, parents, files, self._get_param("commitMessage") or "")
    return ActionResult({"commitId": commit.commit_id, "blobId": blob, "treeId": commit.tree_id})


def create_commit(self) -> ActionResult:
    repo = _repo(self)
    store = store_of(repo)
    repo_name = repo.repository_metadata["repositoryName"]
    branch = self._get_param("branchName")
    if not branch:
        raise aws_error("BranchNameRequiredException", "A branch name is required, but was not specified.")
    parents = _parent_check(store, branch, self._get_param("parentCommitId"), repo_name)
    before = store.files_at(parents[0]) if parents else {}
    files = dict(before)
    added, updated, deleted = [], [], []
    puts = self._get_param("putFiles") or []
    deletes = self._get_param("deleteFiles") or []
    modes = self._get_param("setFileModes") or []
    if not puts and not deletes and not modes:
        raise aws_error("FileEntryRequiredException", "The commit cannot be created because no files have been specified as added, updated, or changed (PutFile or DeleteFile) for the commit.")
    touched: set[str] = set()
    for entry in puts:
        path = _normalize_path(entry.get("filePath"))
        if path in touched:
            raise aws_error("SamePathRequestException", f"The commit cannot be created because one or more changes in this commit duplicate actions in the same file path: {path}")
        touched.add(path)
        mode = MODES.get(entry.get("fileMode") or MODE_NAMES.get(files.get(path, ("100644",))[0], "NORMAL"), "100644")
        if "sourceFile" in entry and entry["sourceFile"]:
            src = _normalize_path(entry["sourceFile"].get("filePath"))
            if src not in files:
                raise aws_error("FileDoesNotExistException", f"The specified file {src} does not exist.")
            blob = files[src][1]
            if entry["sourceFile"].get("isMove"):
                files.pop(src)
                deleted.append({"absolutePath": src, "blobId": blob, "fileMode": MODE_NAMES.get(before[src][0], "NORMAL")})
        elif entry.get("fileContent") is not None:
            blob = store.put_blob(_decode(entry.get("fileContent")))
        else:
            raise aws_error("FileContentRequiredException",
                            "The file cannot be added because it is empty. Empty files cannot be added to the repository with this API.")
        record = {"absolutePath": path, "blobId": blob, "fileMode": MODE_NAMES.get(mode, "NORMAL")}
        if path in before:
            if before[path] != (mode, blob):
                updated.append(record)
        else:
            added.append(record)
        files[path] = (mode, blob)
    for entry in deletes:
        path = _normalize_path(entry.get("filePath"))
        if path in touched:
            raise aws_error("SamePathRequestException", f"The commit cannot be created because one or more changes in this commit duplicate actions in the same file path: {path}")
        touched.add(path)
        if path not in files:
            raise aws_error("FileDoesNotExistException", f"The specified file {path} does not exist.")
        mode, blob = files.pop(path)
        deleted.append({"absolutePath": path, "blobId": blob, "fileMode": MODE_NAMES.get(mode, "NORMAL")})
    for entry in modes:
        path = _normalize_path(entry.get("filePath"))
        if path not in files:
            raise aws_error("FileDoesNotExistException", f"The specified file {path} does not exist.")
        new_mode = MODES.get(entry.get("fileMode"), "100644")
        if files[path][0] != new_mode:
            files[path] = (new_mode, files[path][1])
            updated.append({"absolutePath": path, "blobId": files[path][1], "fileMode": entry.get("fileMode")})
    if parents and files == before:
        raise aws_error("NoChangeException",
                        "The commit cannot be created because no changes will be made to the repository as a result "
                        "of this commit. A commit must contain at least one change.")
    commit = _commit_files(self, repo, store, branch, parents, files, self._get_param("commitMessage") or "")
    return ActionResult({"commitId": commit.commit_id, "treeId": commit.tree_id, "filesAdded": added,
                         "filesUpdated": updated, "filesDeleted": deleted})


def get_commit(self) -> ActionResult:
    repo = _repo(self)
    store = store_of(repo)
    commit_id = self._get_param("commitId")
    if not commit_id:
        raise aws_error("CommitIdRequiredException", "A commit ID is required, but was not specified.")
    if commit_id not in store.commits:
        raise aws_error("CommitIdDoesNotExistException",
                        f"The specified commit ID {commit_id} does not exist in the repository {repo.repository_metadata['repositoryName']}.")
    return ActionResult({"commit": store.commits[commit_id].to_dict()})


def _specifier(self, store: GitStore, repo, param: str = "commitSpecifier") -> str:
    spec = self._get_param(param)
    if not spec:
        spec = store.default_branch
        if spec is None:
            raise aws_error("CommitDoesNotExistException", "The repository is empty.")
    return store.resolve(spec, repo.repository_metadata["repositoryName"])


def get_file(self) -> ActionResult:
    repo = _repo(self)
    store = store_of(repo)
    commit_id = _specifier(self, store, repo)
    path = _normalize_path(self._get_param("filePath"))
    files = store.files_at(commit_id)
    if path not in files:
        raise aws_error("FileDoesNotExistException", f"The specified file {path} does not exist.")
    mode, blob = files[path]
    content = store.blobs[blob]
    return ActionResult({"commitId": commit_id, "blobId": blob, "filePath": path,
                         "fileMode": MODE_NAMES.get(mode, "NORMAL"), "fileSize": len(content), "fileContent": content})


def get_blob(self) -> ActionResult:
    repo = _repo(self)
    blob_id = self._get_param("blobId")
    store = store_of(repo)
    if blob_id not in store.blobs:
        raise aws_error("BlobIdDoesNotExistException", f"The specified blob {blob_id} does not exist.")
    return ActionResult({"content": store.blobs[blob_id]})


def get_folder(self) -> ActionResult:
    repo = _repo(self)
    store = store_of(repo)
    commit_id = _specifier(self, store, repo)
    raw = (self._get_param("folderPath") or "/").strip()
    folder = "/".join(p for p in raw.split("/") if p not in ("", "."))
    tree_id = store.commits[commit_id].tree_id
    for part in folder.split("/") if folder else []:
        nxt = next((sha for mode, name, sha in store.trees[tree_id] if name == part and mode == TREE_MODE), None)
        if nxt is None:
            raise aws_error("FolderDoesNotExistException", f"The specified folder {raw} does not exist.")
        tree_id = nxt
    sub, files, links, mods = [], [], [], []
    for mode, name, sha in store.trees[tree_id]:
        absolute = f"{folder}/{name}" if folder else name
        if mode == TREE_MODE:
            sub.append({"treeId": sha, "absolutePath": absolute, "relativePath": name})
        elif mode == "120000":
            links.append({"blobId": sha, "absolutePath": absolute, "relativePath": name, "fileMode": "SYMLINK"})
        elif mode == "160000":
            mods.append({"commitId": sha, "absolutePath": absolute, "relativePath": name})
        else:
            files.append({"blobId": sha, "absolutePath": absolute, "relativePath": name,
                          "fileMode": MODE_NAMES.get(mode, "NORMAL")})
    return ActionResult({"commitId": commit_id, "folderPath": "/" + folder if folder else "/", "treeId": tree_id,
                         "subFolders": sub, "files": files, "symbolicLinks": links, "subModules": mods})


def get_differences(self) -> ActionResult:
    repo = _repo(self)
    store = store_of(repo)
    after = _specifier(self, store, repo, "afterCommitSpecifier")
    before_spec = self._get_param("beforeCommitSpecifier")
    before_files = store.files_at(store.resolve(before_spec, repo.repository_metadata["repositoryName"])) if before_spec else {}
    after_files = store.files_at(after)
    before_path = (self._get_param("beforePath") or "").strip("/")
    after_path = (self._get_param("afterPath") or "").strip("/")

    def under(path: str, prefix: str) -> bool:
        return not prefix or path == prefix or path.startswith(prefix + "/")

    diffs = []
    for path in sorted(set(before_files) | set(after_files)):
        b, a = before_files.get(path), after_files.get(path)
        if b == a or not (under(path, before_path) or under(path, after_path)):
            continue
        entry: dict[str, Any] = {}
        if b:
            entry["beforeBlob"] = {"blobId": b[1], "path": path, "mode": b[0]}
        if a:
            entry["afterBlob"] = {"blobId": a[1], "path": path, "mode": a[0]}
        entry["changeType"] = "A" if not b else ("D" if not a else "M")
        diffs.append(entry)
    start = int(self._get_param("NextToken") or 0)
    limit = int(self._get_param("MaxResults") or 100)
    result: dict[str, Any] = {"differences": diffs[start:start + limit]}
    if start + limit < len(diffs):
        result["NextToken"] = str(start + limit)
    return ActionResult(result)


def install() -> None:
    from moto.codecommit.responses import CodeCommitResponse

    add_methods(
        CodeCommitResponse,
        create_repository, get_repository, delete_repository, batch_get_repositories, list_repositories,
        update_repository_description, tag_resource, untag_resource, list_tags_for_resource,
        create_branch, get_branch, list_branches, delete_branch, update_default_branch,
        put_file, create_commit, get_commit, get_file, get_blob, get_folder, get_differences,
    )
