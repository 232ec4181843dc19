//! The authorization code a redirect's Location carries (a code flow: in its query).

pub fn code_in(location: &str) -> String {
    url::Url::parse(location)
        .expect("an absolute redirect")
        .query_pairs()
        .find_map(|(key, value)| (key == "code").then(|| value.into_owned()))
        .expect("a code")
}
