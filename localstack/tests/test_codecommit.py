"""CodeCommit: repositories with real git objects, branches, commits, tags."""

import hashlib

import pytest
from botocore.exceptions import ClientError


def git_blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def code(err: pytest.ExceptionInfo) -> str:
    return err.value.response["Error"]["Code"]


def test_repository_lifecycle_tags_and_listing(aws, name):
    cc = aws("codecommit")
    meta = cc.create_repository(repositoryName=name, repositoryDescription="d", tags={"pipewright:pipeline": "x"})
    arn = meta["repositoryMetadata"]["Arn"]
    assert arn.endswith(f":{name}")
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"pipewright:pipeline": "x"}
    cc.tag_resource(resourceArn=arn, tags={"b": "2"})
    cc.untag_resource(resourceArn=arn, tagKeys=["pipewright:pipeline"])
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    names = [r["repositoryName"] for r in cc.list_repositories()["repositories"]]
    assert name in names
    with pytest.raises(ClientError) as err:
        cc.create_repository(repositoryName=name)
    assert code(err) == "RepositoryNameExistsException"
    cc.delete_repository(repositoryName=name)
    with pytest.raises(ClientError) as err:
        cc.get_repository(repositoryName=name)
    assert code(err) == "RepositoryDoesNotExistException"
    with pytest.raises(ClientError) as err:
        cc.list_tags_for_resource(resourceArn=arn)
    assert code(err) == "RepositoryDoesNotExistException"


def test_commits_have_git_ids_and_first_commit_creates_default_branch(aws, name):
    cc = aws("codecommit")
    cc.create_repository(repositoryName=name)
    first = cc.create_commit(
        repositoryName=name, branchName="main", commitMessage="initial", authorName="Ada", email="ada@example.com",
        putFiles=[{"filePath": "a.txt", "fileContent": b"hello\n"},
                  {"filePath": "d/b.sh", "fileContent": b"echo\n", "fileMode": "EXECUTABLE"}],
    )
    # the same tree `git write-tree` computes for these two files
    assert first["treeId"] == "a40e46dcccf91060405e442493652bef8edc7f57"
    assert {f["blobId"] for f in first["filesAdded"]} == {git_blob_id(b"hello\n"), git_blob_id(b"echo\n")}
    assert cc.get_repository(repositoryName=name)["repositoryMetadata"]["defaultBranch"] == "main"
    assert cc.get_branch(repositoryName=name, branchName="main")["branch"]["commitId"] == first["commitId"]
    commit = cc.get_commit(repositoryName=name, commitId=first["commitId"])["commit"]
    assert commit["parents"] == [] and commit["message"] == "initial" and commit["author"]["name"] == "Ada"

    with pytest.raises(ClientError) as err:  # an existing branch needs the tip as parent
        cc.create_commit(repositoryName=name, branchName="main", putFiles=[{"filePath": "c", "fileContent": b"c"}])
    assert code(err) == "ParentCommitIdRequiredException"
    with pytest.raises(ClientError) as err:
        cc.create_commit(repositoryName=name, branchName="main", parentCommitId=first["commitId"],
                         putFiles=[{"filePath": "a.txt", "fileContent": b"hello\n"}])
    assert code(err) == "NoChangeException"

    second = cc.create_commit(repositoryName=name, branchName="main", parentCommitId=first["commitId"],
                              commitMessage="update", putFiles=[{"filePath": "a.txt", "fileContent": b"bye\n"}],
                              deleteFiles=[{"filePath": "d/b.sh"}])
    assert [f["absolutePath"] for f in second["filesUpdated"]] == ["a.txt"]
    assert [f["absolutePath"] for f in second["filesDeleted"]] == ["d/b.sh"]
    with pytest.raises(ClientError) as err:
        cc.create_commit(repositoryName=name, branchName="main", parentCommitId=first["commitId"],
                         putFiles=[{"filePath": "x", "fileContent": b"x"}])
    assert code(err) == "ParentCommitIdOutdatedException"

    got = cc.get_file(repositoryName=name, filePath="a.txt")
    assert got["fileContent"] == b"bye\n" and got["commitId"] == second["commitId"]
    with pytest.raises(ClientError) as err:
        cc.get_file(repositoryName=name, filePath="d/b.sh")
    assert code(err) == "FileDoesNotExistException"
    old = cc.get_folder(repositoryName=name, commitSpecifier=first["commitId"], folderPath="/")
    assert [f["absolutePath"] for f in old["files"]] == ["a.txt"] and old["subFolders"][0]["absolutePath"] == "d"
    diff = cc.get_differences(repositoryName=name, beforeCommitSpecifier=first["commitId"],
                              afterCommitSpecifier=second["commitId"])["differences"]
    assert sorted((d["changeType"], (d.get("afterBlob") or d["beforeBlob"])["path"]) for d in diff) == \
        [("D", "d/b.sh"), ("M", "a.txt")]


def test_branches_and_put_file(aws, name):
    cc = aws("codecommit")
    cc.create_repository(repositoryName=name)
    put = cc.put_file(repositoryName=name, branchName="main", fileContent=b"v1", filePath="/f.txt",
                      commitMessage="m1")
    assert put["blobId"] == git_blob_id(b"v1")
    cc.create_branch(repositoryName=name, branchName="dev", commitId=put["commitId"])
    assert cc.list_branches(repositoryName=name)["branches"] == ["dev", "main"]
    with pytest.raises(ClientError) as err:
        cc.create_branch(repositoryName=name, branchName="dev", commitId=put["commitId"])
    assert code(err) == "BranchNameExistsException"
    with pytest.raises(ClientError) as err:
        cc.put_file(repositoryName=name, branchName="main", fileContent=b"v1", filePath="f.txt",
                    parentCommitId=put["commitId"])
    assert code(err) == "SameFileContentException"
    with pytest.raises(ClientError) as err:
        cc.get_branch(repositoryName=name, branchName="nope")
    assert code(err) == "BranchDoesNotExistException"
