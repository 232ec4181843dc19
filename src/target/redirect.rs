//! The one reader of redirects back to an app: the runner's authorization step, the live
//! probes, `login` and `diagnose --har` all read a `Location` (or a callback URL) with it.

/// A redirect to an app's redirect URI, read: where it goes and the parameters it carries in
/// its query and its fragment (an implicit or hybrid response puts them there), in order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redirect {
    /// The redirect without its query and fragment.
    pub target: String,
    /// The query's parameters, then the fragment's, percent-decoded.
    pub params: Vec<(String, String)>,
}

// the parameters carry codes and tokens: never print them
impl std::fmt::Debug for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.params.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Redirect")
            .field("target", &self.target)
            .field("params", &names)
            .finish()
    }
}

impl Redirect {
    /// Reads `location`; anything after the first `?` is the query, after the first `#` the fragment.
    pub fn parse(location: &str) -> Self {
        let (before_fragment, fragment) = location.split_once('#').unwrap_or((location, ""));
        let (target, query) = before_fragment.split_once('?').unwrap_or((before_fragment, ""));
        let parse = |s: &str| {
            url::form_urlencoded::parse(s.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<Vec<_>>()
        };
        let mut params = parse(query);
        params.extend(parse(fragment));
        Self {
            target: target.to_string(),
            params,
        }
    }

    /// The first value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_fragment_parameters_are_read_in_order_and_decoded() {
        let redirect = Redirect::parse("http://127.0.0.1/cb?error=access_denied&error_description=a+b%21#state=x");
        assert_eq!(redirect.target, "http://127.0.0.1/cb");
        assert_eq!(redirect.get("error_description"), Some("a b!"));
        assert_eq!(redirect.get("state"), Some("x"));
        assert_eq!(redirect.params.len(), 3);
        assert_eq!(redirect.get("code"), None);
    }

    #[test]
    fn the_debug_form_names_parameters_without_their_values() {
        let redirect = Redirect::parse("https://a.example/cb?code=secret-code");
        assert!(!format!("{redirect:?}").contains("secret-code"));
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn redirect_example() {
        use super::Redirect;
        let redirect = Redirect::parse("https://app.example.com/cb?code=4%2F0A&state=s#id_token=t");
        assert_eq!(redirect.target, "https://app.example.com/cb");
        assert_eq!(redirect.get("code"), Some("4/0A"));
        assert_eq!(redirect.get("id_token"), Some("t"));
    }
}
