//! Starter projects for `pipewright init`: a commented spec, and the files its kind needs to run
//! (hook scripts, a tiny site, a Lambda handler, a task definition).
//!
//! The starters are templates in `templates/init/`, embedded in the binary, so `examples/` can be
//! checked to be exactly what `init` writes and never drift from it.

use minijinja::context;

use super::RenderError;
use super::templates::environment;

/// The kinds of pipeline `init` can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StarterKind {
    StaticSite,
    Ec2Rolling,
    Ec2BlueGreen,
    LambdaCanary,
    EcsBlueGreen,
    GithubSource,
}

impl StarterKind {
    pub const ALL: [StarterKind; 6] = [
        StarterKind::StaticSite,
        StarterKind::Ec2Rolling,
        StarterKind::Ec2BlueGreen,
        StarterKind::LambdaCanary,
        StarterKind::EcsBlueGreen,
        StarterKind::GithubSource,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StarterKind::StaticSite => "static-site",
            StarterKind::Ec2Rolling => "ec2-rolling",
            StarterKind::Ec2BlueGreen => "ec2-blue-green",
            StarterKind::LambdaCanary => "lambda-canary",
            StarterKind::EcsBlueGreen => "ecs-blue-green",
            StarterKind::GithubSource => "github-source",
        }
    }

    /// The starter's spec template, then `(path written, template)` for each companion file.
    fn files(self) -> (&'static str, &'static [(&'static str, &'static str)]) {
        match self {
            StarterKind::StaticSite => (
                include_str!("../../templates/init/static-site.yml.j2"),
                SITE,
            ),
            StarterKind::Ec2Rolling => (
                include_str!("../../templates/init/ec2-rolling.yml.j2"),
                SERVER,
            ),
            StarterKind::Ec2BlueGreen => (
                include_str!("../../templates/init/ec2-blue-green.yml.j2"),
                SERVER_BLUE_GREEN,
            ),
            StarterKind::LambdaCanary => (
                include_str!("../../templates/init/lambda-canary.yml.j2"),
                LAMBDA,
            ),
            StarterKind::EcsBlueGreen => (
                include_str!("../../templates/init/ecs-blue-green.yml.j2"),
                ECS,
            ),
            StarterKind::GithubSource => (
                include_str!("../../templates/init/github-source.yml.j2"),
                SITE,
            ),
        }
    }
}

const SITE: &[(&str, &str)] = &[
    (
        "site/index.html",
        include_str!("../../templates/init/site/index.html.j2"),
    ),
    (
        "site/404.html",
        include_str!("../../templates/init/site/404.html.j2"),
    ),
];

const APP: (&str, &str) = (
    "app/index.html",
    include_str!("../../templates/init/site/index.html.j2"),
);
const STOP: (&str, &str) = (
    "scripts/stop.sh",
    include_str!("../../templates/init/scripts/stop.sh.j2"),
);
const INSTALL: (&str, &str) = (
    "scripts/install.sh",
    include_str!("../../templates/init/scripts/install.sh.j2"),
);
const START: (&str, &str) = (
    "scripts/start.sh",
    include_str!("../../templates/init/scripts/start.sh.j2"),
);
const VALIDATE: (&str, &str) = (
    "scripts/validate.sh",
    include_str!("../../templates/init/scripts/validate.sh.j2"),
);

const SERVER: &[(&str, &str)] = &[APP, STOP, INSTALL, START, VALIDATE];

/// Blue/green installs on fresh instances, where ApplicationStop never runs.
const SERVER_BLUE_GREEN: &[(&str, &str)] = &[APP, INSTALL, START, VALIDATE];

const LAMBDA: &[(&str, &str)] = &[(
    "function/index.mjs",
    include_str!("../../templates/init/lambda/index.mjs.j2"),
)];

const ECS: &[(&str, &str)] = &[
    (
        "Dockerfile",
        include_str!("../../templates/init/ecs/Dockerfile.j2"),
    ),
    (
        "taskdef.json",
        include_str!("../../templates/init/ecs/taskdef.json.j2"),
    ),
    (
        "site/index.html",
        include_str!("../../templates/init/site/index.html.j2"),
    ),
    (
        "site/404.html",
        include_str!("../../templates/init/site/404.html.j2"),
    ),
];

/// The spec file `init` writes.
pub const SPEC_FILE: &str = "pipewright.yml";

/// Where editors find the spec's JSON Schema (the first line of every starter).
pub const SCHEMA_URL: &str =
    "https://raw.githubusercontent.com/pipewright/pipewright/main/schema/pipewright.schema.json";

/// Longest pipeline name whose derived names fit AWS limits in every Region: the artifact bucket
/// `<name>-artifacts-<12-digit account>-<region>` must stay within 63 characters, with Region
/// names up to 14.
pub const MAX_NAME_LEN: usize = 63 - "-artifacts-".len() - 12 - 1 - crate::spec::LONGEST_REGION_LEN;

/// A file of a starter project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterFile {
    /// Relative to the folder of the spec.
    pub path: &'static str,
    pub contents: String,
    /// Hook scripts are run directly by the CodeDeploy agent, so they must be executable.
    pub executable: bool,
}

/// Every file of a `kind` starter for pipeline `name` (which must pass [`check_name`]), the spec
/// first.
pub fn starter(kind: StarterKind, name: &str) -> Result<Vec<StarterFile>, RenderError> {
    let env = environment();
    let context = context! {
        name => name,
        kind => kind.as_str(),
        schema_url => SCHEMA_URL,
    };
    let render = |path: &str, source: &str| {
        env.render_str(source, context.clone())
            .map_err(|e| RenderError::Template {
                at: format!("built-in starter template for {path}"),
                message: e.to_string(),
                hint: None,
            })
    };
    let (spec, companions) = kind.files();
    let mut files = vec![StarterFile {
        path: SPEC_FILE,
        contents: render(SPEC_FILE, spec)?,
        executable: false,
    }];
    for (path, source) in companions {
        files.push(StarterFile {
            path,
            contents: render(path, source)?,
            executable: std::path::Path::new(path)
                .extension()
                .is_some_and(|e| e == "sh"),
        });
    }
    Ok(files)
}

/// Why `name` cannot be a pipeline name, if it cannot.
pub fn check_name(name: &str) -> Result<(), String> {
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !starts_with_letter || !allowed || name.ends_with('-') || name.contains("--") {
        return Err(format!(
            "{name:?} is not a valid pipeline name: use lowercase letters, digits and single \
             hyphens, starting with a letter and not ending with a hyphen"
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "{name:?} is too long: at most {MAX_NAME_LEN} characters, so that the artifact bucket \
             name (<name>-artifacts-<account>-<region>) fits in 63"
        ));
    }
    Ok(())
}

/// A valid pipeline name made from a folder name: lowercased, other characters turned into
/// hyphens, starting with a letter, short enough. `pipeline` when nothing usable is left.
#[must_use]
pub fn name_from_folder(folder: &str) -> String {
    let mut name = String::new();
    for c in folder.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if c == '-' && (name.is_empty() || name.ends_with('-')) {
            continue;
        }
        if name.is_empty() && !c.is_ascii_lowercase() {
            continue;
        }
        name.push(c);
    }
    name.truncate(MAX_NAME_LEN);
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "pipeline".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_become_valid_pipeline_names() {
        for (folder, expected) in [
            ("hello", "hello"),
            ("My Project", "my-project"),
            ("2024_site", "site"),
            ("__--", "pipeline"),
            ("Ünïcode App", "n-code-app"),
            (
                "a-very-long-folder-name-that-goes-on-and-on",
                "a-very-long-folder-name-t",
            ),
        ] {
            let name = name_from_folder(folder);
            assert_eq!(name, expected, "{folder}");
            check_name(&name).unwrap();
        }
    }

    #[test]
    fn names_fit_aws_limits() {
        assert_eq!(MAX_NAME_LEN, 25);
        assert!(check_name("static-site").is_ok());
        assert!(check_name("Hello").is_err());
        assert!(check_name("1st").is_err());
        assert!(check_name("trailing-").is_err());
        assert!(check_name("double--hyphen").is_err());
        assert!(check_name(&"a".repeat(26)).is_err());
    }

    #[test]
    fn every_starter_begins_with_the_schema_line() {
        for kind in StarterKind::ALL {
            let files = starter(kind, "demo").unwrap();
            assert_eq!(files[0].path, SPEC_FILE);
            assert!(
                files[0]
                    .contents
                    .starts_with(&format!("# yaml-language-server: $schema={SCHEMA_URL}\n")),
                "{}",
                kind.as_str()
            );
        }
    }
}
