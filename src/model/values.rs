//! The closed sets of AWS values the model holds, as types: each serialises to exactly the
//! string AWS uses (so plans and `--output json` show AWS's words), and each keeps a value AWS
//! reports that pipewright never sets ([`Other`](ComputePlatform::Other)) rather than losing it,
//! so a live resource still compares honestly with the desired one.

use serde::{Deserialize, Serialize};

/// An enum of AWS strings: `as_str` gives AWS's spelling, `from_aws` reads it back.
macro_rules! aws_values {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
            /// A value AWS reported that pipewright does not set, kept as AWS wrote it.
            #[serde(untagged)]
            Other(String),
        }

        impl $name {
            /// AWS's spelling.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(text) => text,
                }
            }

            /// The value for AWS's spelling.
            #[must_use]
            pub fn from_aws(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

aws_values! {
    /// CodeDeploy's compute platform of an application or deployment config.
    ComputePlatform {
        Server = "Server",
        Lambda = "Lambda",
        Ecs = "ECS",
    }
}

aws_values! {
    /// How a deployment group replaces the old revision.
    DeploymentStyle {
        InPlace = "IN_PLACE",
        BlueGreen = "BLUE_GREEN",
    }
}

aws_values! {
    /// Whether a deployment group routes traffic through a load balancer while it deploys.
    TrafficControl {
        With = "WITH_TRAFFIC_CONTROL",
        Without = "WITHOUT_TRAFFIC_CONTROL",
    }
}

aws_values! {
    /// Where a server blue/green deployment's new (green) instances come from.
    GreenFleet {
        /// Instances that already exist (found by tag).
        DiscoverExisting = "DISCOVER_EXISTING",
        /// A copy of the deployment group's Auto Scaling groups.
        CopyAutoScalingGroup = "COPY_AUTO_SCALING_GROUP",
    }
}

aws_values! {
    /// A CodePipeline action's category.
    ActionCategory {
        Source = "Source",
        Build = "Build",
        Test = "Test",
        Deploy = "Deploy",
        Approval = "Approval",
        Invoke = "Invoke",
        Compute = "Compute",
    }
}

aws_values! {
    /// Who provides a CodePipeline action.
    ActionOwner {
        Aws = "AWS",
        ThirdParty = "ThirdParty",
        Custom = "Custom",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_serialise_as_aws_spells_them_and_keep_unknown_ones() {
        assert_eq!(
            serde_json::to_value(ComputePlatform::Ecs).unwrap(),
            serde_json::json!("ECS")
        );
        assert_eq!(
            serde_json::to_value(ActionCategory::Other("Later".into())).unwrap(),
            serde_json::json!("Later")
        );
        let back: DeploymentStyle =
            serde_json::from_value(serde_json::json!("BLUE_GREEN")).unwrap();
        assert_eq!(back, DeploymentStyle::BlueGreen);
        let other: GreenFleet = serde_json::from_value(serde_json::json!("NEW")).unwrap();
        assert_eq!(other, GreenFleet::Other("NEW".into()));
        assert_eq!(ActionOwner::from_aws("AWS"), ActionOwner::Aws);
        assert_eq!(TrafficControl::from_aws("X").as_str(), "X");
    }
}
