//! The postings of one search term as a short string: for each section that holds the term,
//! the distance from the previous section's number, then the term's occurrences in its text
//! times two plus one if its title holds it, each number written in base 32 with the last
//! digit from [`LAST`] and the others from [`MORE`]. `js/search.js` decodes it.

/// Digits that end a number.
pub const LAST: &str = "0123456789abcdefghijklmnopqrstuv";
/// Digits with more to follow.
pub const MORE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%()";

/// One section holding a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// The section's number in the index.
    pub doc: usize,
    /// Occurrences in its text.
    pub count: u32,
    /// Whether its title holds the term.
    pub in_title: bool,
}

fn push_number(out: &mut String, mut n: u64) {
    let mut digits = vec![LAST.as_bytes()[(n % 32) as usize]];
    n /= 32;
    while n > 0 {
        digits.push(MORE.as_bytes()[(n % 32) as usize]);
        n /= 32;
    }
    out.extend(digits.iter().rev().map(|&b| b as char));
}

/// The postings (in increasing section order) as a string.
pub fn encode(postings: &[Posting]) -> String {
    let mut out = String::new();
    let mut previous = 0;
    for p in postings {
        push_number(&mut out, (p.doc - previous) as u64);
        push_number(&mut out, u64::from(p.count) * 2 + u64::from(p.in_title));
        previous = p.doc;
    }
    out
}

/// The postings a string holds (`None` when it is not one).
pub fn decode(text: &str) -> Option<Vec<Posting>> {
    let mut numbers = Vec::new();
    let mut value: u64 = 0;
    let mut unfinished = false;
    for c in text.chars() {
        if let Some(d) = LAST.find(c) {
            numbers.push(value.checked_mul(32)? + d as u64);
            value = 0;
            unfinished = false;
        } else {
            value = value.checked_mul(32)? + MORE.find(c)? as u64;
            unfinished = true;
        }
    }
    if unfinished || numbers.len() % 2 != 0 {
        return None;
    }
    let mut doc = 0usize;
    numbers
        .chunks(2)
        .map(|pair| {
            doc = doc.checked_add(usize::try_from(pair[0]).ok()?)?;
            Some(Posting {
                doc,
                count: u32::try_from(pair[1] / 2).ok()?,
                in_title: pair[1] % 2 == 1,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_size() {
        let postings = vec![
            Posting {
                doc: 0,
                count: 0,
                in_title: true,
            },
            Posting {
                doc: 3,
                count: 15,
                in_title: false,
            },
            Posting {
                doc: 40,
                count: 1,
                in_title: true,
            },
            Posting {
                doc: 70_000,
                count: 100_000,
                in_title: false,
            },
        ];
        let text = encode(&postings);
        assert_eq!(&text[..4], "013u", "small numbers are one digit");
        assert_eq!(decode(&text), Some(postings));
        assert_eq!(push_str(33), "B1");
        assert_eq!(decode(""), Some(vec![]));
        for bad in ["1", "A", "1x<", "B"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        for c in LAST.chars().chain(MORE.chars()) {
            assert!(!"<>&\"'\\/".contains(c), "{c} needs escaping somewhere");
        }
    }

    fn push_str(n: u64) -> String {
        let mut s = String::new();
        push_number(&mut s, n);
        s
    }
}
