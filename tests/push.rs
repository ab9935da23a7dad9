//! `pipewright push` through the real binary: a folder committed to CodeCommit through the API
//! (only what differs, split within the API's limits, modes kept), zipped to an S3 source, or
//! refused for a GitHub source. Every result is read back with an independent client.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use aws_sdk_codecommit::types::FileModeTypeEnum;

use crate::support::aws::{Aws, block_on};
use crate::support::{Scope, Test, s3_source_spec};

/// An empty CodeCommit repository, made with the independent client (as `up` would).
fn create_repository(aws: &Aws, name: &str) {
    block_on(
        aws.codecommit
            .create_repository()
            .repository_name(name)
            .send(),
    )
    .expect("CreateRepository");
}

/// Every file on `branch`: path → (mode, content), read with GetFolder/GetFile only.
fn branch_files(aws: &Aws, repository: &str, branch: &str) -> BTreeMap<String, (String, String)> {
    let mut files = BTreeMap::new();
    let mut folders = vec!["/".to_owned()];
    while let Some(folder) = folders.pop() {
        let out = block_on(
            aws.codecommit
                .get_folder()
                .repository_name(repository)
                .commit_specifier(branch)
                .folder_path(&folder)
                .send(),
        )
        .expect("GetFolder");
        for sub in out.sub_folders() {
            folders.push(sub.absolute_path().expect("a path").to_owned());
        }
        for file in out.files() {
            let path = file.absolute_path().expect("a path").to_owned();
            let content = block_on(
                aws.codecommit
                    .get_file()
                    .repository_name(repository)
                    .commit_specifier(branch)
                    .file_path(&path)
                    .send(),
            )
            .expect("GetFile");
            let mode = file
                .file_mode()
                .map_or(FileModeTypeEnum::Normal, Clone::clone);
            files.insert(
                path,
                (
                    mode.as_str().to_owned(),
                    String::from_utf8_lossy(content.file_content().as_ref()).into_owned(),
                ),
            );
        }
    }
    files
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn json_list(value: &serde_json::Value, key: &str) -> Vec<String> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not a list: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

fn count(scope: &Scope, operation: &str) -> u64 {
    scope.requests().get(operation).copied().unwrap_or(0)
}

#[cfg(unix)]
#[test]
fn push_commits_only_what_differs() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let aws = Aws::new();
    create_repository(&aws, &name);
    let test = Test::new()
        .example("static-site", &name)
        .file(".gitignore", "*.log\nbuild/\n")
        .file("debug.log", "not pushed")
        .file("build/out.txt", "not pushed either")
        .file("scripts/deploy.sh", "#!/bin/sh\necho deploy\n")
        .file("sub/deep/notes.txt", "nested\n");
    make_executable(&test.dir().join("scripts/deploy.sh"));

    let first = test
        .emulator(&scope)
        .args(["push", "--output", "json", "-m", "First push"])
        .run()
        .success();
    let report = first.json();
    let commits = json_list(&report, "commits");
    assert_eq!(commits.len(), 1, "{report}");
    let expected: Vec<&str> = vec![
        ".gitignore",
        "pipewright.yml",
        "scripts/deploy.sh",
        "site/404.html",
        "site/index.html",
        "sub/deep/notes.txt",
    ];
    assert_eq!(json_list(&report, "added"), expected);
    assert!(json_list(&report, "modified").is_empty());
    assert!(json_list(&report, "deleted").is_empty());

    let files = branch_files(&aws, &name, "main");
    assert_eq!(
        files.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        files["scripts/deploy.sh"],
        (
            "EXECUTABLE".to_owned(),
            "#!/bin/sh\necho deploy\n".to_owned()
        )
    );
    assert_eq!(files["sub/deep/notes.txt"].1, "nested\n");
    assert_eq!(files["site/index.html"].0, "NORMAL");
    assert_eq!(
        files["site/index.html"].1,
        std::fs::read_to_string(first.dir.path().join("site/index.html")).expect("read")
    );
    let branch = block_on(
        aws.codecommit
            .get_branch()
            .repository_name(&name)
            .branch_name("main")
            .send(),
    )
    .expect("GetBranch");
    let head = branch.branch().and_then(|b| b.commit_id()).expect("a head");
    assert_eq!(head, commits[0]);
    let commit = block_on(
        aws.codecommit
            .get_commit()
            .repository_name(&name)
            .commit_id(head)
            .send(),
    )
    .expect("GetCommit");
    assert_eq!(
        commit.commit().and_then(|c| c.message()).map(str::trim_end),
        Some("First push")
    );

    // Nothing changed: nothing committed, and it says so.
    scope.clear_requests();
    let again = first.then().emulator(&scope).args(["push"]).run().success();
    again.stdout_has("Nothing to push: main already matches .");
    assert_eq!(count(&scope, "codecommit:CreateCommit"), 0);

    // One file changed, one removed, one made executable: one commit with exactly those.
    let dir = again.dir.path();
    std::fs::write(dir.join("site/index.html"), "<h1>v2</h1>\n").expect("edit");
    std::fs::remove_file(dir.join("sub/deep/notes.txt")).expect("remove");
    make_executable(&dir.join("site/404.html"));
    scope.clear_requests();
    let third = again
        .then()
        .emulator(&scope)
        .args(["push", "--output", "json"])
        .run()
        .success();
    let report = third.json();
    assert_eq!(json_list(&report, "commits").len(), 1, "{report}");
    assert!(json_list(&report, "added").is_empty());
    assert_eq!(
        json_list(&report, "modified"),
        ["site/404.html", "site/index.html"]
    );
    assert_eq!(json_list(&report, "deleted"), ["sub/deep/notes.txt"]);
    assert_eq!(count(&scope, "codecommit:CreateCommit"), 1);
    let files = branch_files(&aws, &name, "main");
    assert!(!files.contains_key("sub/deep/notes.txt"));
    assert_eq!(files["site/index.html"].1, "<h1>v2</h1>\n");
    assert_eq!(files["site/404.html"].0, "EXECUTABLE");
    assert_eq!(files.len(), expected.len() - 1);

    // The human report names what changed.
    std::fs::write(third.dir.path().join("new.txt"), "new\n").expect("write");
    third
        .then()
        .emulator(&scope)
        .args(["push"])
        .run()
        .success()
        .stdout_has("  + new.txt");
}

#[test]
fn a_push_larger_than_one_commit_is_split() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let aws = Aws::new();
    create_repository(&aws, &name);
    let mut test = Test::new().example("static-site", &name);
    for i in 0..230 {
        test = test.file(&format!("data/file-{i:03}.txt"), format!("file {i}\n"));
    }
    scope.clear_requests();
    let out = test
        .emulator(&scope)
        .args(["push", "--output", "json"])
        .run()
        .success();
    let report = out.json();
    // 233 files, 100 per commit.
    assert_eq!(json_list(&report, "commits").len(), 3, "{report}");
    assert_eq!(json_list(&report, "added").len(), 233);
    assert_eq!(count(&scope, "codecommit:CreateCommit"), 3);
    let files = branch_files(&aws, &name, "main");
    assert_eq!(files.len(), 233);
    assert_eq!(files["data/file-229.txt"].1, "file 229\n");
    // Each commit builds on the one before.
    let last = json_list(&report, "commits")[2].clone();
    let commit = block_on(
        aws.codecommit
            .get_commit()
            .repository_name(&name)
            .commit_id(&last)
            .send(),
    )
    .expect("GetCommit");
    assert_eq!(
        commit.commit().map(|c| c.parents().to_vec()),
        Some(vec![json_list(&report, "commits")[1].clone()])
    );
    scope.clear_requests();
    out.then()
        .emulator(&scope)
        .args(["push"])
        .run()
        .success()
        .stdout_has("Nothing to push");
    assert_eq!(count(&scope, "codecommit:CreateCommit"), 0);
}

#[test]
fn push_to_a_missing_repository_says_to_run_up() {
    let scope = Scope::new();
    Test::new()
        .example("static-site", &scope.name)
        .emulator(&scope)
        .args(["push"])
        .run()
        .code(1)
        .stderr_has("pipewright up");
}

#[test]
fn push_to_an_s3_source_uploads_a_zip_of_the_folder() {
    let scope = Scope::new();
    let name = scope.name.clone();
    let aws = Aws::new();
    let bucket = format!("{name}-source");
    block_on(aws.s3.create_bucket().bucket(&bucket).send()).expect("CreateBucket");
    let test = Test::new().example("static-site", &name);
    let spec = s3_source_spec(&test, &name, &bucket);
    let test = test
        .spec(&spec)
        .file(".gitignore", "*.log\n")
        .file("debug.log", "not in the zip");

    // Versioning off: uploaded all the same, with a warning that the pipeline cannot use it.
    let out = test.emulator(&scope).args(["push"]).run().success();
    out.stdout_has(&format!("to s3://{bucket}/source/app.zip"));
    out.stderr_has("versioning off");

    // One runtime for the request and its body: the body streams from the same connection.
    let bytes = block_on(async {
        let object = aws
            .s3
            .get_object()
            .bucket(&bucket)
            .key("source/app.zip")
            .send()
            .await
            .expect("GetObject");
        object.body.collect().await.expect("body").into_bytes()
    });
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.expect("a UTF-8 name").into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".gitignore",
            "pipewright.yml",
            "site/404.html",
            "site/index.html"
        ]
    );
    let mut index = String::new();
    archive
        .by_name("site/index.html")
        .expect("index.html")
        .read_to_string(&mut index)
        .expect("read");
    assert_eq!(
        index,
        std::fs::read_to_string(out.dir.path().join("site/index.html")).expect("read")
    );

    // The same folder again: nothing uploaded.
    scope.clear_requests();
    out.then()
        .emulator(&scope)
        .args(["push"])
        .run()
        .success()
        .stdout_has("Nothing to push");
    assert_eq!(count(&scope, "s3:PutObject"), 0);
}

#[test]
fn push_with_a_github_source_points_to_git() {
    Test::new()
        .example("github-source", "gh-push")
        .args(["push"])
        .run()
        .code(2)
        .stderr_has("git push");
}

/// Ctrl-C between commits: nothing half-written, the rest left for the next push.
#[test]
fn a_cancelled_push_stops_between_commits() {
    let scope = Scope::new();
    let aws = Aws::new();
    create_repository(&aws, &scope.name);
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..150 {
        std::fs::write(dir.path().join(format!("f{i:03}.txt")), format!("{i}\n")).expect("write");
    }
    let files = pipewright::push::scan(dir.path()).expect("scan");
    let clients = crate::support::aws::clients(&scope);
    let cancel = tokio_util::sync::CancellationToken::new();
    cancel.cancel();
    scope.clear_requests();
    let pushed = block_on(pipewright::push::to_codecommit(
        &clients.codecommit,
        &scope.name,
        "main",
        &files,
        "interrupted",
        &cancel,
    ))
    .expect("a push that starts");
    assert!(matches!(
        pushed.stopped,
        Some(pipewright::push::Stop::Interrupted)
    ));
    assert_eq!(pushed.remaining, 2);
    assert!(pushed.report.commits.is_empty());
    assert_eq!(count(&scope, "codecommit:CreateCommit"), 0);
}
