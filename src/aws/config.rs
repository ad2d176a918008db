//! Settings → SDK clients. Everything unset falls back to the standard AWS
//! chain (environment, shared files, SSO, IMDS) through `aws-config`.
//! Clients are built on first use, so configuring the provider needs neither
//! credentials nor network.

use std::fmt;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::region::Region;

use super::error::Service;

/// A value that must never reach a log, an error message or state.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub ec2: Option<String>,
    pub elbv2: Option<String>,
    pub kafka: Option<String>,
    pub sts: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
}

/// The provider block, as the AWS layer needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_config_files: Vec<String>,
    pub shared_credentials_files: Vec<String>,
    pub access_key: Option<Secret>,
    pub secret_key: Option<Secret>,
    pub token: Option<Secret>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Endpoints,
    /// Attempts after the first, for throttling and transient errors.
    pub max_retries: Option<u32>,
}

/// Retries of a throttled or transiently failing call when `max_retries` is
/// not set: hashicorp/aws's default, for pipelines that run many applies
/// against one account at once (the SDK's own default is 2).
pub const DEFAULT_MAX_RETRIES: u32 = 25;

/// The retry settings when nothing chose any: standard mode with
/// [`DEFAULT_MAX_RETRIES`].
fn default_retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(DEFAULT_MAX_RETRIES + 1)
}

fn unlimited_retries(name: &'static str) -> aws_sdk_ec2::config::retry::RetryPartition {
    use aws_sdk_ec2::config::retry::{RetryPartition, TokenBucket};
    RetryPartition::custom(name).token_bucket(TokenBucket::unlimited()).build()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no AWS region: set `region` in the provider block, AWS_REGION in the environment, or a region in the shared config profile"
    )]
    NoRegion,
    #[error("access_key and secret_key must be set together")]
    PartialStaticCredentials,
}

/// The service clients the provider uses.
#[derive(Debug, Clone)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub kafka: aws_sdk_kafka::Client,
    pub region: String,
    /// Endpoint overrides (the provider's `endpoints`, else AWS_ENDPOINT_URL).
    pub endpoints: Endpoints,
}

impl Clients {
    /// The endpoint a call of `action` ("reading EC2 Subnets", "creating
    /// ELBv2 …", "reading MSK …") went to: the configured one, or AWS's
    /// regional default.
    pub fn endpoint_for(&self, service: Service) -> String {
        let configured = match service {
            Service::Ec2 => &self.endpoints.ec2,
            Service::Elbv2 => &self.endpoints.elbv2,
            Service::Kafka => &self.endpoints.kafka,
        };
        configured
            .clone()
            .unwrap_or_else(|| format!("https://{}.{}.amazonaws.com", service.endpoint_prefix(), self.region))
    }

    /// An AWS error in words, with the endpoint when it could not be
    /// reached (the error knows its service).
    pub fn explain(&self, e: &super::AwsError) -> String {
        match (&e.kind, e.service) {
            (super::ErrorKind::Unreachable(_), Some(service)) => {
                format!("{e} (endpoint {})", self.endpoint_for(service))
            }
            _ => e.to_string(),
        }
    }
}

impl AwsSettings {
    /// Resolves configuration (files, environment, role) and builds clients.
    /// Credentials themselves are fetched by the SDK on the first request.
    #[expect(
        clippy::too_many_lines,
        reason = "one SDK config: region, credentials chain, retries and each service's endpoint, in the order the SDK applies them"
    )]
    pub async fn connect(&self) -> Result<Clients, ConfigError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if !self.shared_config_files.is_empty() || !self.shared_credentials_files.is_empty() {
            let mut files = EnvConfigFiles::builder();
            if self.shared_config_files.is_empty() {
                files = files.include_default_config_file(true);
            }
            if self.shared_credentials_files.is_empty() {
                files = files.include_default_credentials_file(true);
            }
            for f in &self.shared_config_files {
                files = files.with_file(EnvConfigFileKind::Config, f);
            }
            for f in &self.shared_credentials_files {
                files = files.with_file(EnvConfigFileKind::Credentials, f);
            }
            loader = loader.profile_files(files.build());
        }
        match (&self.access_key, &self.secret_key) {
            (Some(ak), Some(sk)) => {
                let token = self.token.as_ref().map(|t| t.expose().to_owned());
                let creds = Credentials::new(ak.expose(), sk.expose(), token, None, "terraform-provider-kafka");
                loader = loader.credentials_provider(creds);
            }
            (None, None) => {}
            _ => return Err(ConfigError::PartialStaticCredentials),
        }
        if let Some(n) = self.max_retries {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(n.saturating_add(1)));
        }
        let mut sdk = loader.load().await;
        // Unset everywhere (no max_retries, no AWS_MAX_ATTEMPTS, no
        // max_attempts or retry_mode in the profile): hashicorp/aws's budget.
        if self.max_retries.is_none() && sdk.retry_config().is_none_or(|r| *r == RetryConfig::standard()) {
            sdk = sdk.into_builder().retry_config(default_retries()).build();
        }
        let region = sdk.region().map(ToString::to_string).ok_or(ConfigError::NoRegion)?;

        if let Some(role) = &self.assume_role {
            let mut sts_config = sdk.to_builder();
            if let Some(url) = &self.endpoints.sts {
                sts_config.set_endpoint_url(Some(url.clone()));
            }
            let mut provider = AssumeRoleProvider::builder(role.role_arn.clone())
                .session_name(role.session_name.clone().unwrap_or_else(|| "terraform-provider-kafka".to_owned()));
            if let Some(id) = &role.external_id {
                provider = provider.external_id(id);
            }
            if let Some(d) = role.duration {
                provider = provider.session_length(d);
            }
            let provider = provider.configure(&sts_config.build()).build().await;
            sdk = sdk.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
        }

        // Each client retries from a bucket of its own with no quota, as
        // hashicorp/aws does since v5.42: under a throttling storm the SDK's
        // default bucket (500 tokens, 5 a retry) runs dry after a few dozen
        // retried calls and then fails calls that still had attempts left.
        let mut ec2 =
            aws_sdk_ec2::config::Builder::from(&sdk).retry_partition(unlimited_retries("terraform-provider-kafka-ec2"));
        if let Some(url) = &self.endpoints.ec2 {
            ec2 = ec2.endpoint_url(url);
        }
        let mut elbv2 = aws_sdk_elasticloadbalancingv2::config::Builder::from(&sdk)
            .retry_partition(unlimited_retries("terraform-provider-kafka-elbv2"));
        if let Some(url) = &self.endpoints.elbv2 {
            elbv2 = elbv2.endpoint_url(url);
        }
        let mut kafka = aws_sdk_kafka::config::Builder::from(&sdk)
            .retry_partition(unlimited_retries("terraform-provider-kafka-kafka"));
        if let Some(url) = &self.endpoints.kafka {
            kafka = kafka.endpoint_url(url);
        }
        Ok(Clients {
            ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(elbv2.build()),
            kafka: aws_sdk_kafka::Client::from_conf(kafka.build()),
            endpoints: {
                let global = sdk.endpoint_url().map(str::to_owned);
                let pick = |own: &Option<String>| own.clone().or_else(|| global.clone());
                Endpoints {
                    ec2: pick(&self.endpoints.ec2),
                    elbv2: pick(&self.endpoints.elbv2),
                    kafka: pick(&self.endpoints.kafka),
                    sts: pick(&self.endpoints.sts),
                }
            },
            region,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let s = AwsSettings {
            access_key: Some(Secret::new("AKIDEXAMPLE")),
            secret_key: Some(Secret::new("wJalrXUtnFEMI/K7MDENG")),
            token: Some(Secret::new("session-token-value")),
            ..Default::default()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(!shown.contains("session-token-value"), "{shown}");
        assert!(!shown.contains("AKIDEXAMPLE"), "{shown}");
    }

    #[tokio::test]
    async fn explicit_region_and_endpoints_build_clients_without_network() {
        let s = AwsSettings {
            region: Some("eu-west-1".into()),
            access_key: Some(Secret::new("a")),
            secret_key: Some(Secret::new("b")),
            endpoints: Endpoints { ec2: Some("http://127.0.0.1:1".into()), ..Default::default() },
            ..Default::default()
        };
        let c = s.connect().await.unwrap();
        assert_eq!(c.region, "eu-west-1");
    }

    #[tokio::test]
    async fn retries_default_to_hashicorps_unless_chosen() {
        let base = AwsSettings {
            region: Some("eu-west-1".into()),
            access_key: Some(Secret::new("a")),
            secret_key: Some(Secret::new("b")),
            ..Default::default()
        };
        let attempts = |c: &Clients| c.ec2.config().retry_config().map(|r| r.max_attempts());
        let c = base.connect().await.unwrap();
        assert_eq!(attempts(&c), Some(DEFAULT_MAX_RETRIES + 1));
        assert_eq!(c.elbv2.config().retry_config().map(|r| r.max_attempts()), Some(DEFAULT_MAX_RETRIES + 1));
        let c = AwsSettings { max_retries: Some(4), ..base.clone() }.connect().await.unwrap();
        assert_eq!(attempts(&c), Some(5));
    }

    #[tokio::test]
    async fn half_static_credentials_are_refused() {
        let s =
            AwsSettings { region: Some("eu-west-1".into()), access_key: Some(Secret::new("a")), ..Default::default() };
        assert!(matches!(s.connect().await, Err(ConfigError::PartialStaticCredentials)));
    }
}
