//! What users need once a pipeline exists: how to start it, where to look, where the site is.
//! On AWS that is the console, the clone URL and the website endpoint; on an emulator, the
//! endpoint and `pipewright push` (the console and git URLs would point at real AWS), and a
//! website only where it answers.

use serde::Serialize;

use super::args::GlobalArgs;
use crate::aws::Clients;
use crate::diagnose::known::{self, Explanation};
use crate::spec::{Deploy, Source, Spec};

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Outputs {
    pub pipeline: String,
    /// The emulator the pipeline lives on; `None` on AWS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The pipeline in the AWS console (AWS only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clone_url_http: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clone_url_grc: Option<String>,
    /// The command that puts this folder in the source and so starts the pipeline (not for a
    /// GitHub source, which starts on a `git push` to GitHub).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<Website>,
    /// Whether a deploy has run (`run` succeeded): until then a website has nothing to serve.
    #[serde(skip)]
    deployed: bool,
}

/// A deploy stage's website: its URL when it answers anonymous requests, else why it does not.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Website {
    pub bucket: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_served: Option<Explanation>,
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
    /// The outputs of `spec`'s pipeline as `clients` reach it; `deployed` once a run succeeded.
    pub(crate) fn of(spec: &Spec, clients: &Clients, global: &GlobalArgs, deployed: bool) -> Self {
        let region = clients.region.as_str();
        let pipeline = spec.names().pipeline();
        let on_aws = clients.endpoint.is_none();
        let (clone_url_http, clone_url_grc) = match &spec.source {
            Source::Codecommit(cc) if on_aws => (
                Some(format!(
                    "https://git-codecommit.{region}.amazonaws.com/v1/repos/{}",
                    cc.repository
                )),
                Some(format!("codecommit::{region}://{}", cc.repository)),
            ),
            _ => (None, None),
        };
        let push = match &spec.source {
            Source::Github(_) => None,
            _ => Some(format!("pipewright push{}", same_flags(global))),
        };
        Self {
            console_url: on_aws.then(|| {
                format!(
                    "https://{region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/{pipeline}/view?region={region}"
                )
            }),
            endpoint: clients.endpoint.clone(),
            pipeline,
            clone_url_http,
            clone_url_grc,
            push,
            websites: websites(spec, clients),
            deployed,
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut lines = vec![format!("Pipeline:  {}", self.pipeline)];
        if let Some(endpoint) = &self.endpoint {
            lines.push(format!(
                "Endpoint:  {endpoint} (an emulator: nothing here is on AWS)"
            ));
        }
        if let Some(url) = &self.console_url {
            lines.push(format!("Console:   {url}"));
        }
        if let Some(url) = &self.clone_url_http {
            lines.push(format!("Clone URL: {url}"));
        }
        match (&self.push, &self.clone_url_grc) {
            (Some(push), Some(grc)) => lines.push(format!(
                "Push:      {push}  (or: git remote add aws {grc} && git push aws HEAD)"
            )),
            (Some(push), None) => lines.push(format!(
                "Push:      {push}  (commits this folder to the source; the pipeline runs)"
            )),
            _ => {}
        }
        for site in &self.websites {
            match (&site.url, &site.not_served) {
                (Some(url), _) if self.deployed => lines.push(format!("Website:   {url}")),
                (Some(url), _) => lines.push(format!(
                    "Website:   {url}  (serves the site once the pipeline has deployed it)"
                )),
                (None, Some(why)) => {
                    lines.push(format!("Website:   not served: {}", why.summary));
                    lines.push(format!("           {}", why.fix));
                    lines.push(format!("           {}", why.docs));
                }
                (None, None) => {}
            }
        }
        lines.join("\n")
    }
}

/// The global flags a command was given that the next command needs too (the spec file, the
/// profile, the Region, the endpoint), as they were typed.
fn same_flags(global: &GlobalArgs) -> String {
    let mut flags = Vec::new();
    if global.file.as_os_str() != "pipewright.yml" {
        flags.push(format!("-f {}", global.file.display()));
    }
    if let Some(profile) = &global.aws.profile {
        flags.push(format!("--profile {profile}"));
    }
    if let Some(region) = &global.aws.region {
        flags.push(format!("--region {region}"));
    }
    let from_environment = std::env::var("AWS_ENDPOINT_URL").ok();
    match &global.aws.endpoint_url {
        Some(url) if !url.is_empty() && from_environment.as_deref() != Some(url.as_str()) => {
            flags.push(format!("--endpoint-url {url}"));
        }
        _ if global.aws.localstack => flags.push("--localstack".to_owned()),
        _ => {}
    }
    flags.iter().fold(String::new(), |mut all, flag| {
        all.push(' ');
        all.push_str(flag);
        all
    })
}

/// Each deploy stage's website: its URL when the bucket is public, else why it answers 403.
fn websites(spec: &Spec, clients: &Clients) -> Vec<Website> {
    spec.stages()
        .into_iter()
        .filter_map(|stage| match stage.deploy {
            Deploy::S3(site) => site.website.as_ref().map(|website| (site, website)),
            Deploy::Codedeploy(_) => None,
        })
        .map(|(site, website)| Website {
            bucket: site.bucket.clone(),
            url: site.public.then(|| {
                website_url(
                    &site.bucket,
                    &clients.region,
                    clients.endpoint.as_deref(),
                    &website.index,
                )
            }),
            not_served: (!site.public).then(|| known::private_website(&site.bucket)),
        })
        .collect()
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
