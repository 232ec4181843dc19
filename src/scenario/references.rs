//! The second look at a parsed scenario: every name that refers to another part of the file
//! (a client, a user, a matrix variable or value, a provider) must name something it defines.
//!
//! The file is deserialised once, without this context; [`check`] then walks the result with
//! the names in hand (no parser state). An error must point at the reference itself, as a
//! deserialising error does, so each problem is found again in the text: a walk over the YAML
//! along the problem's path ([`Locate`]) fails at that node, and yaml_serde gives the failure
//! its line, column and path.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::schema::{Action, AxisValue, Names, Of, Params, ScenarioFile, Step};
use super::schema::{
    check_axis_name, check_axis_value, check_interpolation, check_name, check_name_or_variable, check_param_axis,
};

/// One step of the way from the document's root to a node.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// The value of this key in a map.
    Key(String),
    /// The item at this position in a list.
    Index(usize),
    /// This key itself, in a map (a `when:` axis).
    KeyItself(String),
    /// This scalar, or the first item of a list that is it (`when:` and `with:` take either).
    Value(String),
}

/// A reference that names nothing the file defines, and where it is.
struct Problem {
    path: Vec<Segment>,
    message: String,
}

/// Collects the problems of one file.
struct Walk<'a> {
    names: &'a Names,
    problems: Vec<Problem>,
}

/// Checks every reference of `file` against `names`; the first problem in document order is
/// returned as the error that deserialising gives at that node.
pub(crate) fn check(file: &ScenarioFile, names: &Names, text: &str) -> Result<(), serde_yaml::Error> {
    let mut walk = Walk {
        names,
        problems: Vec::new(),
    };
    walk.file(file);
    let mut located: Vec<serde_yaml::Error> = walk.problems.iter().map(|p| locate(text, p)).collect();
    // an unlocated error (none is expected) last
    located.sort_by_key(|e| {
        e.location()
            .map_or((usize::MAX, usize::MAX), |l| (l.line(), l.column()))
    });
    match located.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

fn key(name: &str) -> Segment {
    Segment::Key(name.to_string())
}

fn under(path: &[Segment], more: &[Segment]) -> Vec<Segment> {
    path.iter().chain(more).cloned().collect()
}

impl Walk<'_> {
    fn at(&mut self, path: Vec<Segment>, result: Result<(), String>) {
        if let Err(message) = result {
            self.problems.push(Problem { path, message });
        }
    }

    fn file(&mut self, file: &ScenarioFile) {
        let names = self.names;
        if let Some(provider) = &file.provider {
            self.at(
                vec![key("provider")],
                check_name("provider", &names.providers, &provider.0),
            );
        }
        if let Some(provider) = &file.specific_to {
            self.at(
                vec![key("specific_to")],
                check_name("provider", &names.providers, &provider.0),
            );
        }
        for (axis, values) in &file.matrix.0 {
            if axis != "provider" {
                continue;
            }
            for value in values {
                if let AxisValue::Scalar(name) = value {
                    let path = vec![key("matrix"), key("provider"), Segment::Value(name.clone())];
                    self.at(path, check_name("provider", &names.providers, name));
                }
            }
        }
        self.steps(&file.steps, &[key("steps")]);
    }

    fn steps(&mut self, steps: &[Step], path: &[Segment]) {
        let names = self.names;
        for (index, step) in steps.iter().enumerate() {
            let here = under(path, &[Segment::Index(index)]);
            for (axis, values) in &step.when {
                let known = check_axis_name(names, axis);
                let unknown_axis = known.is_err();
                self.at(under(&here, &[key("when"), Segment::KeyItself(axis.clone())]), known);
                if unknown_axis {
                    continue;
                }
                for value in values {
                    let at = under(&here, &[key("when"), key(axis), Segment::Value(value.clone())]);
                    self.at(at, check_axis_value(names, axis, value));
                }
            }
            match &step.action {
                Action::Authorize(authorize) => {
                    self.params(&authorize.params, &under(&here, &[key("authorize")]));
                    for axis in &authorize.with {
                        let at = under(&here, &[key("authorize"), key("with"), Segment::Value(axis.clone())]);
                        self.at(at, check_param_axis(names, axis));
                    }
                    self.client_and_user(authorize.client.as_deref(), authorize.user.as_deref(), &here);
                }
                Action::Event(event) => self.client_and_user(event.client.as_deref(), event.user.as_deref(), &here),
                Action::Exchange(exchange) => {
                    let here = under(&here, &[key("exchange")]);
                    self.params(&exchange.params, &under(&here, &[key("params")]));
                    self.client_and_user(exchange.client.as_ref().map(|c| c.0.as_str()), None, &here);
                    self.of(&exchange.of, &here);
                }
                Action::Refresh(refresh) => {
                    let here = under(&here, &[key("refresh")]);
                    self.client_and_user(refresh.client.as_ref().map(|c| c.0.as_str()), None, &here);
                    self.params(&refresh.params, &under(&here, &[key("params")]));
                    self.of(&refresh.of, &here);
                }
                Action::Revoke(revoke) => self.of(&revoke.of, &under(&here, &[key("revoke")])),
                Action::Repeat(block) => self.steps(&block.steps, &under(&here, &[key("repeat"), key("steps")])),
                Action::Userinfo | Action::Discovery | Action::Advance(_) | Action::Expect(_) => {}
            }
        }
    }

    /// `client:` and `user:` keys directly under `path`.
    fn client_and_user(&mut self, client: Option<&str>, user: Option<&str>, path: &[Segment]) {
        let names = self.names;
        if let Some(client) = client {
            self.at(
                under(path, &[key("client")]),
                check_name_or_variable(names, "client", &names.clients, client),
            );
        }
        if let Some(user) = user {
            self.at(
                under(path, &[key("user")]),
                check_name_or_variable(names, "user", &names.users, user),
            );
        }
    }

    /// The `of:` map under `path`.
    fn of(&mut self, of: &Of, path: &[Segment]) {
        let path = under(path, &[key("of")]);
        self.client_and_user(
            of.client.as_ref().map(|c| c.0.as_str()),
            of.user.as_ref().map(|u| u.0.as_str()),
            &path,
        );
    }

    /// Parameter values under `path`, each by its name.
    fn params(&mut self, params: &Params, path: &[Segment]) {
        let names = self.names;
        for (name, value) in params {
            if let Some(value) = value {
                self.at(under(path, &[key(name)]), check_interpolation(names, &value.0));
            }
        }
    }
}

/// The error deserialising would give at the problem's node: its line, column and path.
fn locate(text: &str, problem: &Problem) -> serde_yaml::Error {
    let found = Locate {
        path: &problem.path,
        message: &problem.message,
    }
    .deserialize(serde_yaml::Deserializer::from_str(text));
    match found {
        Err(error) => error,
        // not found again (it always is: the path comes from this text): unlocated
        Ok(()) => de::Error::custom(&problem.message),
    }
}

/// Follows `path` through the document and fails with `message` at its end.
struct Locate<'a> {
    path: &'a [Segment],
    message: &'a str,
}

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Locate<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.path.split_first() else {
            return Err(de::Error::custom(self.message));
        };
        let mut found = false;
        while let Some(key) = map.next_key_seed(Key {
            fail_on: match first {
                Segment::KeyItself(name) if rest.is_empty() && !found => Some(name.as_str()),
                _ => None,
            },
            message: self.message,
        })? {
            match first {
                Segment::Key(name) if !found && key == *name => {
                    found = true;
                    map.next_value_seed(Locate {
                        path: rest,
                        message: self.message,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.path.split_first() else {
            return Err(de::Error::custom(self.message));
        };
        let mut index = 0;
        loop {
            let more = match first {
                Segment::Index(wanted) if *wanted == index => seq.next_element_seed(Locate {
                    path: rest,
                    message: self.message,
                })?,
                Segment::Value(_) if rest.is_empty() => seq.next_element_seed(Locate {
                    path: self.path,
                    message: self.message,
                })?,
                _ => seq.next_element::<IgnoredAny>()?.map(|_| ()),
            };
            if more.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match self.path {
            [] => Err(E::custom(self.message)),
            [Segment::Value(wanted)] if wanted == v => Err(E::custom(self.message)),
            _ => Ok(()),
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.visit_str(&v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// A map key as text, failing with `message` when it is `fail_on`.
struct Key<'a> {
    fail_on: Option<&'a str>,
    message: &'a str,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        match self.fail_on {
            Some(name) if name == v => Err(E::custom(self.message)),
            _ => Ok(v.to_string()),
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(String::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<String, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::provider::Registry;

    fn error(text: &str) -> String {
        match crate::scenario::parse(Path::new("t.yaml"), text, &Registry::builtin()) {
            Ok(_) => panic!("parsed:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn of_two_bad_references_the_first_in_the_file_is_reported() {
        let param_first = "name: x\nsteps:\n  - authorize: {scope: \"${nope}\"}\n    client: mobile\n";
        let err = error(param_first);
        assert!(err.starts_with("t.yaml:3:24: "), "{err}");
        assert!(err.contains("unknown matrix variable `nope`"), "{err}");
        let client_first = "name: x\nsteps:\n  - client: mobile\n    authorize: {scope: \"${nope}\"}\n";
        let err = error(client_first);
        assert!(err.starts_with("t.yaml:3:13: "), "{err}");
        assert!(err.contains("unknown client `mobile`"), "{err}");
    }

    #[test]
    fn a_reference_inside_a_repeat_block_is_located_with_its_path() {
        let text = "name: x\nusers: [alice]\nsteps:\n  - repeat:\n      times: 2\n      steps:\n        - refresh: {of: {user: bob}}\n";
        let err = error(text);
        assert!(
            err.starts_with("t.yaml:7:32: steps[0].repeat.steps[0].refresh.of.user: "),
            "{err}"
        );
        assert!(err.contains("unknown user `bob`"), "{err}");
    }

    #[test]
    fn an_unknown_when_axis_is_located_at_its_key_and_a_value_in_a_list_at_itself() {
        let text = "name: x\nmatrix: {who: [a, b]}\nsteps:\n  - discovery:\n    when: {whom: a}\n";
        let err = error(text);
        assert!(err.starts_with("t.yaml:5:12: "), "{err}");
        assert!(
            err.contains("unknown matrix variable `whom`; did you mean `who`?"),
            "{err}"
        );
        let text = "name: x\nmatrix: {who: [a, b]}\nsteps:\n  - discovery:\n    when: {who: [a, c]}\n";
        let err = error(text);
        assert!(err.starts_with("t.yaml:5:21: steps[0].when.who[1]: "), "{err}");
        assert!(err.contains("unknown value of matrix axis `who` `c`"), "{err}");
    }
}
