//! Fixed states for snapshots and render tests: every screen with deterministic data, built
//! only through `update` (as the real app builds them) and a fixed clock.

use std::collections::HashMap;

use timport::api::types::GroupInfo;
use timport::api::{Client, ClientOptions, Credentials, Endpoint, SecretKey};
use timport::console::keymap::Screen;
use timport::console::msg::{Connected, GroupIdPage, Msg};
use timport::console::state::groups::StagedCounts;
use timport::console::state::{AppState, update};

use super::{ADMIN, APP, KEY, state};

pub const URL: &str = "http://127.0.0.1:8080";

pub fn client() -> Client {
    Client::new(
        Endpoint::parse(URL).expect("url"),
        Credentials {
            sdkappid: APP,
            admin: ADMIN.into(),
            secret: SecretKey::new(KEY),
        },
        ClientOptions::default(),
    )
    .expect("client")
}

/// The form as `timport demo` fills it, not tested yet.
pub fn connect_form() -> AppState {
    state(URL)
}

/// Connected: the test passed.
pub fn connected() -> AppState {
    let mut s = state(URL);
    let effects = s.start();
    assert_eq!(effects.len(), 1, "a complete form is tested at start");
    update(
        &mut s,
        Msg::ConnectionTested {
            attempt: 1,
            result: Ok(Connected {
                client: client(),
                total_groups: 7,
            }),
        },
    );
    s
}

fn info(id: &str, kind: &str, name: &str, last: i64, members: u64) -> GroupInfo {
    GroupInfo {
        group_id: id.into(),
        group_type: Some(kind.into()),
        name: Some(name.into()),
        create_time: Some(1_669_852_800),
        last_msg_time: Some(last),
        member_num: Some(members),
        ..GroupInfo::default()
    }
}

/// The Groups screen with the demo's groups, details in.
pub fn groups() -> AppState {
    let mut s = connected();
    let generation = s.groups.generation;
    let ids = [
        "support-desk",
        "eng-core",
        "@TGS#_bookclub",
        "town-hall",
        "live-launch",
        "sales-emea",
        "gone-group",
    ];
    update(
        &mut s,
        Msg::GroupIds {
            generation,
            result: Ok(GroupIdPage {
                ids: ids.iter().map(|s| s.to_string()).collect(),
                total: 7,
                last: true,
            }),
        },
    );
    let mut gone = GroupInfo {
        group_id: "gone-group".into(),
        error_code: 10010,
        ..GroupInfo::default()
    };
    gone.error_info = "group not found".into();
    update(
        &mut s,
        Msg::GroupInfos {
            generation,
            result: Ok(vec![
                info("support-desk", "Public", "Support desk", 0, 9),
                info("eng-core", "Private", "Engineering", 0, 6),
                info("@TGS#_bookclub", "Community", "Book club", 0, 1),
                info("town-hall", "ChatRoom", "Town hall", 0, 1),
                info("live-launch", "AVChatRoom", "Launch livestream", 0, 1),
                info("sales-emea", "Public", "Sales EMEA", 1_672_729_377, 4),
                gone,
            ]),
        },
    );
    let staged = |messages, invalid, first: i64| StagedCounts {
        messages,
        invalid,
        first,
        last: first + 3_500_000,
    };
    s.groups.set_staged(HashMap::from([
        ("support-desk".to_string(), staged(1400, 0, 1_672_704_100)),
        ("eng-core".to_string(), staged(900, 3, 1_672_704_200)),
        ("@TGS#_bookclub".to_string(), staged(350, 0, 1_672_704_300)),
        ("town-hall".to_string(), staged(298, 2, 1_672_704_400)),
        ("live-launch".to_string(), staged(120, 0, 1_672_704_500)),
        ("sales-emea".to_string(), staged(500, 0, 1_672_712_653)),
        ("archive-2019".to_string(), staged(50, 0, 1_632_704_000)),
    ]));
    s.screen = Screen::Groups;
    s
}
