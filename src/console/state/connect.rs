//! Screen 1, Connect: the form (profile, endpoint, SDKAppID, admin, secret key, key file), the
//! connection test and its answer in plain words. The secret is only ever held as a
//! [`SecretKey`](crate::api::SecretKey) or in a masked field; the form shows where it came from.

use crate::api::{Client, Credentials};

use super::super::keymap::{Action, Keymap, Place};
use super::super::msg::ErrorView;
use super::super::settings::{
    DEFAULT_SANDBOX_URL, EndpointChoice, LoadedSecret, Prefill, SecretOrigin,
};

/// A line of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The profile name (load with ←/→, type a new name to save under).
    Profile,
    /// Region, sandbox or custom.
    Endpoint,
    /// The URL for a sandbox or custom endpoint.
    Url,
    /// The SDKAppID.
    SdkAppId,
    /// The admin account.
    Admin,
    /// The secret key (masked).
    SecretKey,
    /// The key file.
    KeyFile,
}

impl Field {
    /// Every field, top to bottom.
    pub const ALL: [Field; 7] = [
        Field::Profile,
        Field::Endpoint,
        Field::Url,
        Field::SdkAppId,
        Field::Admin,
        Field::SecretKey,
        Field::KeyFile,
    ];

    /// The label in the form.
    pub fn label(self) -> &'static str {
        match self {
            Field::Profile => "Profile",
            Field::Endpoint => "Endpoint",
            Field::Url => "URL",
            Field::SdkAppId => "SDKAppID",
            Field::Admin => "Admin account",
            Field::SecretKey => "Secret key",
            Field::KeyFile => "Key file",
        }
    }
}

/// Where the connection test stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestState {
    /// Not tested since the form last changed.
    Untested,
    /// Something the test needs is missing; each line says what.
    Incomplete(Vec<String>),
    /// Waiting for the answer.
    Testing,
    /// It worked: the answer in plain words.
    Passed(String),
    /// It failed: code, meaning, remedy.
    Failed(ErrorView),
}

/// A tested connection.
#[derive(Debug, Clone)]
pub struct Live {
    /// The client every later call uses.
    pub client: Client,
    /// Groups in the app at the test.
    pub total_groups: u64,
    /// The test call's round trip (for the expected duration of a run).
    pub round_trip: std::time::Duration,
}

impl Live {
    /// `administrator @ 127.0.0.1:8080`, for narrow places.
    pub fn short(&self) -> String {
        let base = self.client.endpoint().base();
        let host = base.split_once("://").map_or(base, |(_, rest)| rest);
        format!("{} @ {host}", self.client.admin())
    }

    /// `administrator @ http://127.0.0.1:8080 (SDKAppID 1400000000)`.
    pub fn describe(&self) -> String {
        format!(
            "{} @ {} (SDKAppID {})",
            self.client.admin(),
            self.client.endpoint().base(),
            self.client.sdkappid()
        )
    }
}

/// The Connect screen.
#[derive(Debug, Clone)]
pub struct ConnectState {
    /// Profiles in the config file.
    pub profiles: Vec<String>,
    /// The profile name.
    pub profile: String,
    /// Where requests go.
    pub choice: EndpointChoice,
    /// The URL for a sandbox or custom endpoint.
    pub url: String,
    /// The SDKAppID as typed.
    pub sdkappid: String,
    /// The admin account.
    pub admin: String,
    /// The key file path as typed.
    pub key_file: String,
    /// The loaded key.
    pub secret: Option<LoadedSecret>,
    /// The focused field.
    pub focus: Field,
    /// The connection test.
    pub test: TestState,
    /// The tested connection in use (kept while the form is edited, until a new test passes).
    pub live: Option<Live>,
    /// Problems and warnings from loading settings, in words.
    pub notes: Vec<String>,
    attempt: u64,
    /// Whether the running test was started by the console itself (then a pass opens Groups).
    auto: bool,
}

impl ConnectState {
    /// The form filled from the settings.
    pub fn new(prefill: Prefill) -> ConnectState {
        let mut state = ConnectState {
            profiles: Vec::new(),
            profile: String::new(),
            choice: EndpointChoice::Sandbox,
            url: DEFAULT_SANDBOX_URL.into(),
            sdkappid: String::new(),
            admin: String::new(),
            key_file: String::new(),
            secret: None,
            focus: Field::Endpoint,
            test: TestState::Untested,
            live: None,
            notes: Vec::new(),
            attempt: 0,
            auto: false,
        };
        state.apply(prefill);
        state
    }

    /// Replaces the form's values (a profile was loaded). A key typed or loaded in this session
    /// is kept when the profile names none.
    pub fn apply(&mut self, p: Prefill) {
        self.profiles = p.profiles;
        self.profile = p.profile.unwrap_or_default();
        self.choice = p.choice;
        self.url = p.url;
        self.sdkappid = p.sdkappid.map(|n| n.to_string()).unwrap_or_default();
        self.admin = p.admin.unwrap_or_default();
        self.key_file = p
            .key_file
            .map(|f| f.display().to_string())
            .unwrap_or_default();
        if let Some(secret) = p.secret {
            self.notes = secret.warnings.clone();
            self.secret = Some(secret);
        } else {
            self.notes.clear();
        }
        self.notes.extend(p.problems);
        self.test = TestState::Untested;
    }

    /// Whether a field can be focused (the URL only for a sandbox or custom endpoint).
    pub fn focusable(&self, field: Field) -> bool {
        field != Field::Url || self.choice.uses_url()
    }

    /// Moves the focus up or down, skipping fields that do not apply.
    pub fn move_focus(&mut self, down: bool) {
        let fields: Vec<Field> = Field::ALL
            .into_iter()
            .filter(|f| self.focusable(*f))
            .collect();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if down {
            (at + 1).min(fields.len() - 1)
        } else {
            at.saturating_sub(1)
        };
        self.focus = fields[next];
    }

    /// The text a field is edited from (the secret starts empty: it is typed fresh).
    pub fn field_text(&self, field: Field) -> String {
        match field {
            Field::Profile => self.profile.clone(),
            Field::Url => self.url.clone(),
            Field::SdkAppId => self.sdkappid.clone(),
            Field::Admin => self.admin.clone(),
            Field::KeyFile => self.key_file.clone(),
            Field::Endpoint | Field::SecretKey => String::new(),
        }
    }

    /// Cycles the endpoint choice.
    pub fn cycle_choice(&mut self, forward: bool) {
        let all = EndpointChoice::all();
        let at = all.iter().position(|c| *c == self.choice).unwrap_or(0);
        let next = if forward {
            (at + 1) % all.len()
        } else {
            (at + all.len() - 1) % all.len()
        };
        self.choice = all[next];
        self.changed();
    }

    /// The profile before or after the current one, to load.
    pub fn cycle_profile(&self, forward: bool) -> Option<String> {
        if self.profiles.is_empty() {
            return None;
        }
        let n = self.profiles.len();
        let next = match self.profiles.iter().position(|p| *p == self.profile) {
            Some(at) if forward => (at + 1) % n,
            Some(at) => (at + n - 1) % n,
            None if forward => 0,
            None => n - 1,
        };
        Some(self.profiles[next].clone())
    }

    /// A connection setting changed: the last test no longer says anything about it.
    pub fn changed(&mut self) {
        self.test = TestState::Untested;
    }

    /// Everything the test needs, or what is missing (naming the keys that give it).
    pub fn settings(
        &self,
        keys: &Keymap,
    ) -> Result<(crate::api::Endpoint, Credentials), Vec<String>> {
        let mut missing = Vec::new();
        let endpoint = self
            .choice
            .endpoint(&self.url)
            .map_err(|e| missing.push(format!("URL: {e}")))
            .ok();
        let sdkappid = match self.sdkappid.trim() {
            "" => {
                missing.push("SDKAppID: enter the app's SDKAppID (a number)".into());
                None
            }
            text => text
                .parse::<u64>()
                .map_err(|_| missing.push(format!("SDKAppID: '{text}' is not a number")))
                .ok(),
        };
        if self.admin.trim().is_empty() {
            missing.push("Admin account: enter an app admin UserID".into());
        }
        if self.secret.is_none() {
            let key = |action| keys.name(Place::Connect, action);
            missing.push(format!(
                "Secret key: load it from a key file ({}) or TIMPORT_SECRET_KEY ({}), or type it ({})",
                key(Action::KeyFromFile),
                key(Action::KeyFromEnv),
                key(Action::Select)
            ));
        }
        match (endpoint, sdkappid, &self.secret) {
            (Some(endpoint), Some(sdkappid), Some(secret)) if missing.is_empty() => Ok((
                endpoint,
                Credentials {
                    sdkappid,
                    admin: self.admin.trim().to_owned(),
                    secret: secret.key.clone(),
                },
            )),
            _ => Err(missing),
        }
    }

    /// Starts a test: the attempt number, or `None` with the form saying what is missing.
    pub fn begin_test(
        &mut self,
        auto: bool,
        keys: &Keymap,
    ) -> Option<(u64, crate::api::Endpoint, Credentials)> {
        match self.settings(keys) {
            Ok((endpoint, creds)) => {
                self.attempt += 1;
                self.auto = auto;
                self.test = TestState::Testing;
                Some((self.attempt, endpoint, creds))
            }
            Err(missing) => {
                self.test = TestState::Incomplete(missing);
                None
            }
        }
    }

    /// Whether `attempt` is the test being waited for.
    pub fn is_current(&self, attempt: u64) -> bool {
        attempt == self.attempt && self.test == TestState::Testing
    }

    /// Whether the current test was started by the console itself.
    pub fn is_auto(&self) -> bool {
        self.auto
    }

    /// The secret was typed into the masked field.
    pub fn typed_secret(&mut self, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        self.secret = Some(LoadedSecret {
            key: crate::api::SecretKey::new(text),
            origin: SecretOrigin::Typed,
            warnings: Vec::new(),
        });
        self.changed();
    }
}
