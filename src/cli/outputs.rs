//! What users need once a pipeline exists: where to push, where to look, where the site is.

use serde::Serialize;

use crate::aws::Clients;
use crate::spec::{Deploy, Source, Spec};

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Outputs {
    pub pipeline: String,
    pub console_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clone_url_http: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clone_url_grc: Option<String>,
    /// Website endpoints of public sites only: a private bucket's endpoint answers 403.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<String>,
    /// Buckets of private sites (no website URL: they are reached another way).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub private_sites: Vec<String>,
}

/// Regions whose S3 website endpoints use a dash (`s3-website-us-east-1`) rather than a dot.
const DASH_WEBSITE_REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "eu-west-1",
    "sa-east-1",
];

impl Outputs {
    pub(crate) fn of(spec: &Spec, clients: &Clients) -> Self {
        let region = clients.region.as_str();
        let pipeline = spec.names().pipeline();
        let (clone_url_http, clone_url_grc) = match &spec.source {
            Source::Codecommit(cc) => (
                Some(format!(
                    "https://git-codecommit.{region}.amazonaws.com/v1/repos/{}",
                    cc.repository
                )),
                Some(format!("codecommit::{region}://{}", cc.repository)),
            ),
            _ => (None, None),
        };
        let websites = spec
            .stages()
            .into_iter()
            .filter_map(|stage| match stage.deploy {
                Deploy::S3(site) if site.website.is_some() && site.public => Some(website_url(
                    &site.bucket,
                    region,
                    clients.endpoint.as_deref(),
                    site.website
                        .as_ref()
                        .map_or("index.html", |w| w.index.as_str()),
                )),
                _ => None,
            })
            .collect();
        let private_sites = spec
            .stages()
            .into_iter()
            .filter_map(|stage| match stage.deploy {
                Deploy::S3(site) if !site.public => Some(site.bucket.clone()),
                _ => None,
            })
            .collect();
        Self {
            console_url: format!(
                "https://{region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/{pipeline}/view?region={region}"
            ),
            pipeline,
            clone_url_http,
            clone_url_grc,
            websites,
            private_sites,
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut lines = vec![
            format!("Pipeline:  {}", self.pipeline),
            format!("Console:   {}", self.console_url),
        ];
        if let Some(url) = &self.clone_url_http {
            lines.push(format!("Clone URL: {url}"));
        }
        if let Some(grc) = &self.clone_url_grc {
            lines.push(format!(
                "Push:      git remote add aws {grc} && git push aws HEAD  (or: pipewright push)"
            ));
        }
        for site in &self.websites {
            lines.push(format!("Website:   {site}"));
        }
        for bucket in &self.private_sites {
            lines.push(format!(
                "Site:      s3://{bucket} (private: its website endpoint refuses anonymous reads; \
                 serve it through CloudFront with origin access control, or set `public: true`)"
            ));
        }
        lines.join("\n")
    }
}

fn website_url(bucket: &str, region: &str, endpoint: Option<&str>, index: &str) -> String {
    if let Some(endpoint) = endpoint {
        return format!("{}/{bucket}/{index}", endpoint.trim_end_matches('/'));
    }
    let sep = if DASH_WEBSITE_REGIONS.contains(&region) {
        '-'
    } else {
        '.'
    };
    format!("http://{bucket}.s3-website{sep}{region}.amazonaws.com")
}
