//! Who is deciding: `user@host`, recorded with every operator decision so that a run steered
//! from several consoles and shells over days says who did what.

/// `user@host` of this process (`?` for a part that cannot be found). The user is `USER` or
/// `LOGNAME`, else the name the password database gives the process's uid (a systemd unit or
/// cron job often has neither variable), else `uid N`.
pub fn current() -> String {
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(user_of_uid);
    format!("{}@{}", clean(&user), clean(&host()))
}

fn user_of_uid() -> String {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: an all-zero passwd is a valid value for getpwuid_r to fill.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, and `buf` for its length; on success `found`
    // points at `pwd`, whose strings live in `buf`, both alive while read below.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
        return format!("uid {uid}");
    }
    // SAFETY: pw_name is a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    name.to_string_lossy().into_owned()
}

fn host() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "?".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Keeps the name printable and short (it reaches the screen and the ledger).
fn clean(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
    if s.is_empty() { "?".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_is_user_at_host_without_control_characters() {
        let who = current();
        let (user, host) = who.split_once('@').unwrap();
        assert!(!user.is_empty() && !host.is_empty(), "{who}");
        assert_eq!(clean("a\u{1b}[2Jb"), "a[2Jb");
        assert_eq!(clean(""), "?");
    }

    #[test]
    fn without_user_variables_the_uid_is_named() {
        let name = user_of_uid();
        assert!(!name.is_empty() && name != "?", "{name}");
        // SAFETY: getuid cannot fail.
        if unsafe { libc::getuid() } == 0 {
            assert_eq!(name, "root");
        }
    }
}
