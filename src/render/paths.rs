//! Repository-relative paths, as the bundle commands and the appspec both need them.
//!
//! A hook script is copied to the artifact root at the path the appspec names, so both must be the
//! same normal form: no leading `./`, no `..`, never absolute (a path outside the repository cannot
//! be part of the revision).

/// `path` in normal form, or why it cannot be a path inside the repository.
pub(crate) fn relative(path: &str) -> Result<String, String> {
    let trimmed = path.trim();
    if trimmed.is_empty() {
        return Err("is empty".to_owned());
    }
    if trimmed.starts_with('/') || trimmed.starts_with('\\') || trimmed.contains(":\\") {
        return Err(format!(
            "{path:?} is absolute: use a path relative to the repository root"
        ));
    }
    let mut parts = Vec::new();
    for part in trimmed.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "{path:?} leaves the repository: `..` is not allowed"
                ));
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err(format!("{path:?} names no file"));
    }
    Ok(parts.join("/"))
}

/// A folder relative to the repository root; `None` for the root itself (`.`, `./`, empty).
pub(crate) fn folder(path: Option<&str>) -> Result<Option<String>, String> {
    match path.map(str::trim) {
        None | Some("" | "." | "./") => Ok(None),
        Some(path) => relative(path).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form() {
        assert_eq!(relative("./scripts//start.sh").unwrap(), "scripts/start.sh");
        assert_eq!(relative("dist/").unwrap(), "dist");
        assert!(relative("/etc/passwd").is_err());
        assert!(relative("../outside.sh").is_err());
        assert!(relative("a/../../b").is_err());
        assert!(relative("./").is_err());
        assert_eq!(folder(Some("./")).unwrap(), None);
        assert_eq!(folder(Some("./dist/")).unwrap(), Some("dist".to_owned()));
    }
}

/// Whether a CodeBuild artifact glob (`**/*`, `dist/*.html`, `appspec.yml`) matches `path`:
/// `**` spans any number of folders, `*` and `?` stay within one.
pub(crate) fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern = relative(pattern).unwrap_or_default();
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments_match(&pattern, &path)
}

fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments_match(rest, &path[skip..])),
        Some((first, rest)) => path
            .split_first()
            .is_some_and(|(name, tail)| segment_matches(first, name) && segments_match(rest, tail)),
    }
}

fn segment_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // Classic wildcard matching with one backtrack point for the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((star_p, star_n)) = star {
            p = star_p + 1;
            n = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod glob_tests {
    use super::glob_matches;

    #[test]
    fn codebuild_globs() {
        assert!(glob_matches("**/*", "appspec.yml"));
        assert!(glob_matches("**/*", "scripts/start.sh"));
        assert!(glob_matches("scripts/*", "scripts/start.sh"));
        assert!(glob_matches("scripts/*.sh", "scripts/start.sh"));
        assert!(glob_matches("./appspec.yml", "appspec.yml"));
        assert!(glob_matches("**/*.yml", "appspec.yml"));
        assert!(!glob_matches("*", "scripts/start.sh"));
        assert!(!glob_matches("app/**/*", "appspec.yml"));
        assert!(!glob_matches("scripts/*.py", "scripts/start.sh"));
    }
}
