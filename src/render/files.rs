//! Which files a spec generates, where they go, and the template set that renders them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::templates::Templates;
use super::{Generated, RenderError, generate, paths};
use crate::spec::{LoadedSpec, Spec};

/// Where the buildspec goes when `build.buildspec` is `generated`.
pub const BUILDSPEC_FILE: &str = "buildspec.yml";
/// Where the appspec goes (for people to read and for `render --check`; the build writes its own
/// copy into the artifact).
pub const APPSPEC_FILE: &str = "appspec.yml";

/// A generated file: its path relative to the output folder, and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// Renders with one set of templates: the built-in ones, or those with a spec's overrides.
#[derive(Debug, Clone)]
pub struct Renderer {
    templates: Templates,
}

impl Renderer {
    /// The built-in templates only.
    #[must_use]
    pub fn built_in() -> Self {
        Self {
            templates: Templates::built_in(),
        }
    }

    /// The templates for a loaded spec: files in its `templates:` folder (relative to the spec
    /// file) replace the built-in ones of the same name.
    pub fn for_spec(loaded: &LoadedSpec) -> Result<Self, RenderError> {
        let Some(folder) = &loaded.spec.templates else {
            return Ok(Self::built_in());
        };
        let base = loaded.path.parent().unwrap_or(Path::new(""));
        Ok(Self {
            templates: Templates::with_folder(&base.join(folder))?,
        })
    }

    /// The built-in templates, refusing a spec that names a templates folder: without the spec's
    /// location the folder cannot be found, and rendering without it would silently differ from
    /// what `pipewright render` writes.
    pub(crate) fn built_in_for(spec: &Spec) -> Result<Self, RenderError> {
        match &spec.templates {
            None => Ok(Self::built_in()),
            Some(_) => Err(RenderError::spec(
                "templates",
                "names a templates folder, which is found relative to the spec file",
                Some(
                    "render this spec with render::render_all or render::Renderer::for_spec"
                        .to_owned(),
                ),
            )),
        }
    }

    pub(crate) fn generate(&self, spec: &Spec) -> Result<Generated, RenderError> {
        generate(spec, &self.templates)
    }

    /// The buildspec text.
    pub fn buildspec(&self, spec: &Spec) -> Result<String, RenderError> {
        self.generate(spec).map(|out| out.buildspec)
    }

    /// The appspec text, or `None` when nothing deploys with CodeDeploy.
    pub fn appspec(&self, spec: &Spec) -> Result<Option<String>, RenderError> {
        self.generate(spec).map(|out| out.appspec)
    }

    /// Every file `spec` generates: the buildspec (at `build.buildspec` when that is a path),
    /// then the appspec for CodeDeploy.
    pub fn files(&self, spec: &Spec) -> Result<Vec<RenderedFile>, RenderError> {
        let buildspec_path = if spec.build.buildspec_is_generated() {
            BUILDSPEC_FILE.to_owned()
        } else {
            paths::relative(&spec.build.buildspec)
                .map_err(|why| RenderError::spec("build.buildspec", why, None))?
        };
        let out = self.generate(spec)?;
        let mut files = vec![RenderedFile {
            path: PathBuf::from(buildspec_path),
            contents: out.buildspec,
        }];
        if let Some(appspec) = out.appspec {
            if files[0].path == Path::new(APPSPEC_FILE) {
                return Err(RenderError::spec(
                    "build.buildspec",
                    "cannot be appspec.yml, where the appspec goes",
                    None,
                ));
            }
            files.push(RenderedFile {
                path: PathBuf::from(APPSPEC_FILE),
                contents: appspec,
            });
        }
        Ok(files)
    }
}

/// Every file a loaded spec generates, with its template overrides; all rendered in memory, so a
/// failure leaves nothing half-written.
pub fn render_all(loaded: &LoadedSpec) -> Result<Vec<RenderedFile>, RenderError> {
    Renderer::for_spec(loaded)?.files(&loaded.spec)
}
